#include "heed/train/checkpoint.hpp"

#include <zlib.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "heed/data/atomic_file.hpp"
#include "heed/data/file_bytes.hpp"
#include "heed/error.hpp"

namespace heed::train {
namespace {

static_assert(std::endian::native == std::endian::little,
              "checkpoints are little-endian; a big-endian build would need byte swaps");

constexpr std::string_view kMagic = "HEEDCKPT";
// magic, version, header length, parameter count, checksum.
constexpr std::size_t kSmallest = 8 + 4 + 4 + 4 + 4;

template <class V>
void put(std::string& out, V v) {
  char bytes[sizeof(V)];
  std::memcpy(bytes, &v, sizeof(V));
  out.append(bytes, sizeof(V));
}

std::uint32_t crc32_of(std::string_view bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes lengths as uInt: feed large buffers in pieces.
  constexpr std::size_t kPiece = std::size_t(1) << 30;
  for (std::size_t at = 0; at < bytes.size(); at += kPiece) {
    const std::size_t n = std::min(kPiece, bytes.size() - at);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data() + at), uInt(n));
  }
  return std::uint32_t(crc);
}

// Reads fields front to back; every read checks that the bytes are there.
class Reader {
 public:
  Reader(std::string_view bytes, const std::string& context) : bytes_(bytes), context_(context) {}

  template <class V>
  V get(const std::string& what) {
    need(sizeof(V), what);
    V v;
    std::memcpy(&v, bytes_.data() + at_, sizeof(V));
    at_ += sizeof(V);
    return v;
  }
  std::string_view take(std::size_t n, const std::string& what) {
    need(n, what);
    std::string_view s = bytes_.substr(at_, n);
    at_ += n;
    return s;
  }
  std::size_t at() const { return at_; }

 private:
  void need(std::size_t n, const std::string& what) const {
    if (n > bytes_.size() - at_) {
      throw Error(context_ + ": truncated at byte " + std::to_string(at_) + " while reading " +
                  what + " (" + std::to_string(n) + " bytes needed, " +
                  std::to_string(bytes_.size() - at_) + " left)");
    }
  }
  std::string_view bytes_;
  const std::string& context_;
  std::size_t at_ = 0;
};

using NamedTensors = std::vector<std::pair<std::string, Tensor<float>>>;

// A count, then per tensor: name length, name, rows, columns, values.
void put_tensors(std::string& out, const NamedTensors& tensors) {
  put<std::uint32_t>(out, std::uint32_t(tensors.size()));
  for (const auto& [name, value] : tensors) {
    if (name.size() > std::numeric_limits<std::uint16_t>::max()) {
      throw Error("checkpoint: tensor name too long: " + name.substr(0, 40) + "...");
    }
    put<std::uint16_t>(out, std::uint16_t(name.size()));
    out.append(name);
    put<std::uint64_t>(out, value.rows());
    put<std::uint64_t>(out, value.cols());
    out.append(reinterpret_cast<const char*>(value.data()), value.size() * sizeof(float));
  }
}

NamedTensors get_tensors(Reader& r, std::size_t body_size, const char* kind,
                         const std::string& context) {
  NamedTensors tensors;
  const auto count = r.get<std::uint32_t>(std::string("the ") + kind + " count");
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::string which = std::string(kind) + " " + std::to_string(i);
    const auto name_size = r.get<std::uint16_t>(which + "'s name length");
    std::string name(r.take(name_size, which + "'s name"));
    const auto rows = r.get<std::uint64_t>(which + " ('" + name + "')'s rows");
    const auto cols = r.get<std::uint64_t>(which + " ('" + name + "')'s columns");
    // The values must fit in what is left, which also bounds rows * cols.
    const std::size_t left = body_size - r.at();
    if (cols != 0 && rows > left / sizeof(float) / cols) {
      throw Error(context + ": " + which + " ('" + name + "') claims " + std::to_string(rows) +
                  " x " + std::to_string(cols) + " values, more than the file holds");
    }
    const std::string_view values =
        r.take(rows * cols * sizeof(float), which + " ('" + name + "')'s values");
    Tensor<float> t(rows, cols);
    if (!values.empty()) std::memcpy(t.data(), values.data(), values.size());
    tensors.emplace_back(std::move(name), std::move(t));
  }
  return tensors;
}

}  // namespace

Checkpoint make_checkpoint(nn::Model<float>& model, std::string metadata) {
  Checkpoint c{model.spec(), std::move(metadata), {}, {}};
  for (Parameter<float>* p : model.parameters()) c.parameters.emplace_back(p->name, p->value);
  return c;
}

std::string encode_checkpoint(const Checkpoint& checkpoint) {
  nlohmann::json header;
  header["model"] = checkpoint.spec;
  try {
    header["metadata"] = nlohmann::json::parse(checkpoint.metadata);
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("checkpoint: the metadata is not valid JSON: ") + e.what());
  }
  const std::string header_text = header.dump();
  std::string out;
  out.append(kMagic);
  put<std::uint32_t>(out, kCheckpointVersion);
  put<std::uint32_t>(out, std::uint32_t(header_text.size()));
  out.append(header_text);
  put_tensors(out, checkpoint.parameters);
  put_tensors(out, checkpoint.state);
  put<std::uint32_t>(out, crc32_of(out));
  return out;
}

Checkpoint decode_checkpoint(std::string_view bytes, const std::string& context) {
  if (bytes.size() < kSmallest) {
    throw Error(context + ": truncated: " + std::to_string(bytes.size()) +
                " bytes, and a checkpoint has at least " + std::to_string(kSmallest));
  }
  if (bytes.substr(0, kMagic.size()) != kMagic) {
    throw Error(context + ": not a heed checkpoint (the file does not start with \"HEEDCKPT\")");
  }
  std::uint32_t version;
  std::memcpy(&version, bytes.data() + kMagic.size(), sizeof version);
  if (version != kCheckpointVersion) {
    throw Error(context + ": checkpoint format version " + std::to_string(version) +
                "; this heed reads version " + std::to_string(kCheckpointVersion));
  }
  const std::string_view body = bytes.substr(0, bytes.size() - 4);
  std::uint32_t stored;
  std::memcpy(&stored, bytes.data() + body.size(), sizeof stored);
  const std::uint32_t computed = crc32_of(body);
  if (stored != computed) {
    std::ostringstream why;
    why << context << ": checksum mismatch (stored " << std::hex << stored << ", computed "
        << computed << "): the file is corrupted or truncated";
    throw Error(why.str());
  }

  Reader r(body, context);
  r.take(kMagic.size(), "the magic");
  r.get<std::uint32_t>("the version");
  const auto header_size = r.get<std::uint32_t>("the header length");
  const std::string_view header_text = r.take(header_size, "the header");
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(header_text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(context + ": the header is not valid JSON (" + e.what() + ")");
  }
  if (!header.is_object() || !header.contains("model") || !header.contains("metadata")) {
    throw Error(context + ": the header lacks 'model' or 'metadata'");
  }
  Checkpoint c;
  c.spec = nn::model_spec_from_json(header["model"], context);
  c.metadata = header["metadata"].dump();
  c.parameters = get_tensors(r, body.size(), "parameter", context);
  c.state = get_tensors(r, body.size(), "state tensor", context);
  if (r.at() != body.size()) {
    throw Error(context + ": " + std::to_string(body.size() - r.at()) +
                " unexpected bytes after the last parameter");
  }
  return c;
}

void put_training_state(Checkpoint& checkpoint, const TrainingState& state) {
  nlohmann::json metadata = nlohmann::json::parse(checkpoint.metadata);
  metadata["training_state"] = {{"epoch", state.epoch},
                                {"adam_step", state.adam.step},
                                {"epochs_without_improvement", state.epochs_without_improvement},
                                {"best_loss", state.best_loss},
                                {"best_score", state.best_score},
                                {"best_epoch", state.best_epoch},
                                {"kept_val_loss", state.kept_val_loss},
                                {"kept_val_score", state.kept_val_score},
                                {"rng", state.rng},
                                {"seconds", state.seconds}};
  checkpoint.metadata = metadata.dump();
  checkpoint.state.clear();
  for (const Tensor<float>& t : state.adam.m) checkpoint.state.emplace_back("adam_m", t);
  for (const Tensor<float>& t : state.adam.v) checkpoint.state.emplace_back("adam_v", t);
  for (const Tensor<float>& t : state.kept) checkpoint.state.emplace_back("kept", t);
}

std::optional<TrainingState> training_state(const Checkpoint& checkpoint,
                                            const std::string& context) {
  const nlohmann::json metadata = nlohmann::json::parse(checkpoint.metadata);
  if (!metadata.contains("training_state")) return std::nullopt;
  TrainingState s;
  try {
    const nlohmann::json& j = metadata.at("training_state");
    s.epoch = j.at("epoch").get<int>();
    s.adam.step = j.at("adam_step").get<long>();
    s.epochs_without_improvement = j.at("epochs_without_improvement").get<int>();
    s.best_loss = j.at("best_loss").get<double>();
    // Files from before tasks had metrics other than accuracy call the
    // selection score what it then always was.
    s.best_score = j.contains("best_score") ? j.at("best_score").get<double>()
                                            : j.at("best_accuracy").get<double>();
    s.best_epoch = j.at("best_epoch").get<int>();
    s.kept_val_loss = j.at("kept_val_loss").get<double>();
    s.kept_val_score = j.contains("kept_val_score") ? j.at("kept_val_score").get<double>()
                                                    : j.at("kept_val_accuracy").get<double>();
    s.rng = j.at("rng").get<std::string>();
    s.seconds = j.at("seconds").get<double>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(context + ": the training state is incomplete (" + e.what() + ")");
  }
  const std::size_t n = checkpoint.parameters.size();
  if (checkpoint.state.size() != 3 * n) {
    throw Error(context + ": the training state holds " + std::to_string(checkpoint.state.size()) +
                " tensors, " + std::to_string(3 * n) + " expected");
  }
  for (std::size_t k = 0; k < 3 * n; ++k) {
    const auto& [name, value] = checkpoint.state[k];
    const char* want = k < n ? "adam_m" : k < 2 * n ? "adam_v" : "kept";
    if (name != want || !value.same_shape(checkpoint.parameters[k % n].second)) {
      throw Error(context + ": state tensor " + std::to_string(k) + " ('" + name +
                  "') is not the expected '" + want + "' of parameter " + std::to_string(k % n));
    }
    (k < n ? s.adam.m : k < 2 * n ? s.adam.v : s.kept).push_back(value);
  }
  return s;
}

void save_checkpoint(const std::filesystem::path& path, const Checkpoint& checkpoint) {
  data::write_file_atomically(path, encode_checkpoint(checkpoint));
}

Checkpoint load_checkpoint(const std::filesystem::path& path) {
  return decode_checkpoint(data::read_file_bytes(path, "checkpoint"), path.string());
}

std::unique_ptr<nn::Model<float>> restore_model(const Checkpoint& checkpoint,
                                                const std::string& context) {
  Rng rng(0);  // the initial values are all overwritten
  std::unique_ptr<nn::Model<float>> model;
  try {
    model = nn::make_model<float>(checkpoint.spec, rng);
  } catch (const Error& e) {
    throw Error(context + ": the model it describes is invalid: " + e.what());
  }
  std::vector<Parameter<float>*> params = model->parameters();
  if (params.size() != checkpoint.parameters.size()) {
    throw Error(context + ": " + std::to_string(checkpoint.parameters.size()) +
                " parameters stored, but the model it describes has " +
                std::to_string(params.size()));
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    const auto& [name, value] = checkpoint.parameters[i];
    Parameter<float>& p = *params[i];
    if (name != p.name || value.rows() != p.value.rows() || value.cols() != p.value.cols()) {
      throw Error(context + ": parameter " + std::to_string(i) + " is '" + name + "' " +
                  std::to_string(value.rows()) + " x " + std::to_string(value.cols()) +
                  ", the model expects '" + p.name + "' " + std::to_string(p.value.rows()) + " x " +
                  std::to_string(p.value.cols()));
    }
    for (float v : value.values()) {
      if (!std::isfinite(v)) {
        throw Error(context + ": parameter " + std::to_string(i) + " ('" + name +
                    "') holds a NaN or infinite value");
      }
    }
    p.value = value;
  }
  return model;
}

}  // namespace heed::train
