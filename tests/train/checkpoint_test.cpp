// Checkpoints: a round trip restores the model exactly; every way a file can
// be damaged gives an error that says what is wrong, never a crash.
#include "heed/train/checkpoint.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "heed/data/atomic_file.hpp"
#include "heed/data/synthetic.hpp"
#include "heed/error.hpp"

namespace heed {
namespace {

namespace fs = std::filesystem;

nn::ModelSpec small_spec(const std::string& model, int layers = 2) {
  nn::ModelSpec spec;
  spec.model = model;
  spec.in_channels = 6;
  spec.hidden_channels = 3;
  spec.heads = 2;
  spec.out_channels = 4;
  spec.layers = layers;
  spec.norm = layers == 2 ? nn::Normalisation::kNone : nn::Normalisation::kLayer;
  return spec;
}

// A scratch folder of its own, removed afterwards.
struct Scratch {
  fs::path dir =
      fs::temp_directory_path() / ("heed-checkpoint-test-" + std::to_string(::getpid()) + "-" +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
  Scratch() { fs::create_directories(dir); }
  ~Scratch() { fs::remove_all(dir); }
};

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Checkpoint, RoundTripRestoresTheSamePredictions) {
  data::SyntheticOptions s;
  s.nodes = 200;
  s.train_per_class = 5;
  s.valid = 40;
  s.test = 80;
  s.features = 6;
  s.classes = 4;
  const data::Dataset d = data::make_csbm(s);
  const Graph graph = d.graph.with_self_loops();
  Scratch scratch;
  for (const std::string& kind : nn::model_names()) {
    for (int layers : {2, 3}) {
      nn::ModelSpec spec = small_spec(kind, layers);
      if (layers == 3 && spec.is_transformer()) spec.attention = nn::AttentionMode::kGraphAndDense;
      if (kind == "gin") spec.conv_options = {{"train_eps", 1}, {"eps", 0.25}};
      Rng rng(7);
      auto model = nn::make_model<float>(spec, rng);
      const fs::path path = scratch.dir / "model.heed";
      train::save_checkpoint(path, train::make_checkpoint(*model, R"({"seed": 7})"));
      const train::Checkpoint loaded = train::load_checkpoint(path);
      EXPECT_EQ(loaded.spec.model, kind);
      EXPECT_EQ(loaded.spec.conv_options, spec.conv_options);
      EXPECT_EQ(loaded.spec.layers, layers);
      EXPECT_EQ(loaded.metadata, R"({"seed":7})");
      auto restored = train::restore_model(loaded, path.string());
      Tape<float> t1, t2;
      const Tensor<float> a = model->forward(t1, d.x, graph, {}).value();
      const Tensor<float> b = restored->forward(t2, d.x, graph, {}).value();
      ASSERT_EQ(a.size(), b.size());
      EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0)
          << kind << " with " << layers << " layers";
    }
  }
}

std::string encoded_gat() {
  const nn::ModelSpec spec = small_spec("gat");
  Rng rng(1);
  auto model = nn::make_model<float>(spec, rng);
  return train::encode_checkpoint(train::make_checkpoint(*model));
}

TEST(Checkpoint, EveryTruncationIsAClearError) {
  const std::string bytes = encoded_gat();
  for (std::size_t n = 0; n < bytes.size(); n += (n < 64 ? 1 : 7)) {
    const std::string m = message_of(
        [&] { train::decode_checkpoint(std::string_view(bytes).substr(0, n), "m.heed"); });
    EXPECT_TRUE(m.find("m.heed: truncated") == 0 || m.find("m.heed: checksum mismatch") == 0 ||
                m.find("m.heed: not a heed checkpoint") == 0)
        << "at " << n << " bytes: " << m;
  }
}

TEST(Checkpoint, AFlippedByteFailsTheChecksum) {
  const std::string bytes = encoded_gat();
  for (std::size_t at : {std::size_t(20), bytes.size() / 2, bytes.size() - 5}) {
    std::string damaged = bytes;
    damaged[at] = char(damaged[at] ^ 0x10);
    EXPECT_NE(
        message_of([&] { train::decode_checkpoint(damaged, "m.heed"); }).find("checksum mismatch"),
        std::string::npos);
  }
}

TEST(Checkpoint, AnotherVersionOrFormatIsNamed) {
  std::string bytes = encoded_gat();
  std::string other = bytes;
  const std::uint32_t v2 = 2;
  std::memcpy(other.data() + 8, &v2, 4);
  EXPECT_EQ(message_of([&] { train::decode_checkpoint(other, "m.heed"); }),
            "m.heed: checkpoint format version 2; this heed reads version 1");
  std::string text = "node,feature\n0,1\n" + std::string(40, 'x');
  EXPECT_NE(
      message_of([&] { train::decode_checkpoint(text, "m.heed"); }).find("not a heed checkpoint"),
      std::string::npos);
}

TEST(Checkpoint, AParameterThatDoesNotFitTheModelIsNamed) {
  const nn::ModelSpec spec = small_spec("gat");
  Rng rng(1);
  auto model = nn::make_model<float>(spec, rng);
  train::Checkpoint c = train::make_checkpoint(*model);
  c.parameters[0].second = Tensor<float>(5, 6);  // the weight should be 6 x 6
  const train::Checkpoint back = train::decode_checkpoint(train::encode_checkpoint(c), "m.heed");
  EXPECT_EQ(message_of([&] { train::restore_model(back, "m.heed"); }),
            "m.heed: parameter 0 is 'weight' 5 x 6, the model expects 'weight' 6 x 6");
  c = train::make_checkpoint(*model);
  c.parameters[1].second(0, 0) = std::numeric_limits<float>::quiet_NaN();
  EXPECT_NE(message_of([&] {
              train::restore_model(train::decode_checkpoint(train::encode_checkpoint(c), "m"), "m");
            }).find("NaN"),
            std::string::npos);
}

TEST(Checkpoint, AnInterruptedSaveLeavesThePreviousFileWhole) {
  Scratch scratch;
  const fs::path path = scratch.dir / "model.heed";
  const std::string first = encoded_gat();
  data::write_file_atomically(path, first);
  {
    // A save that dies part-way: bytes written, never committed.
    data::AtomicFile file(path);
    file.write(first.substr(0, first.size() / 2));
  }
  EXPECT_NO_THROW(train::load_checkpoint(path));
  std::ifstream in(path, std::ios::binary);
  std::stringstream now;
  now << in.rdbuf();
  EXPECT_EQ(now.str(), first);
  // And no temporary file is left behind.
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(scratch.dir)) ++entries;
  EXPECT_EQ(entries, 1u);
}

TEST(Checkpoint, MissingFileIsNamed) {
  EXPECT_EQ(message_of([] { train::load_checkpoint("/no/such/model.heed"); }),
            "/no/such/model.heed: cannot open the checkpoint");
}

}  // namespace
}  // namespace heed
