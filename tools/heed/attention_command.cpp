#include "attention_command.hpp"

#include <fmt/core.h>

#include "heed/data/atomic_file.hpp"
#include "heed/error.hpp"

namespace heed::cli {

CLI::App* add_attention_command(CLI::App& app, AttentionConfig& c) {
  CLI::App* cmd = app.add_subcommand(
      "attention",
      "Write a saved model's attention coefficients as CSV: layer,src,dst,head,alpha for every "
      "edge (self loops included) of every attention layer; layers count from 0");
  add_model_options(*cmd, c.model);
  cmd->add_option("--out", c.out, "CSV file to write")->required();
  return cmd;
}

int run_attention(const AttentionConfig& c) {
  TrainedModel trained(c.model);
  std::vector<nn::Attention<float>> layers;
  trained.infer(&layers);
  if (layers.empty()) {
    throw Error(c.model.path + ": a " + trained.checkpoint().spec.model +
                " model has no attention layers");
  }
  data::AtomicFile file(c.out);
  file.write("layer,src,dst,head,alpha\n");
  std::string chunk;
  std::size_t rows = 0;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const Graph& g = layers[l].graph;
    const Tensor<float>& alpha = layers[l].alpha;
    const std::span<const NodeId> src = g.edge_src();
    const std::vector<NodeId> dst = g.edge_dst();
    for (std::size_t e = 0; e < src.size(); ++e) {
      for (std::size_t h = 0; h < alpha.cols(); ++h) {
        fmt::format_to(std::back_inserter(chunk), "{},{},{},{},{:.7g}\n", l, src[e], dst[e], h,
                       alpha(e, h));
        ++rows;
      }
      if (chunk.size() > (1 << 20)) {
        file.write(chunk);
        chunk.clear();
      }
    }
  }
  file.write(chunk);
  file.commit();
  fmt::print(stderr, "wrote {} coefficients of {} layer(s) to {}\n", rows, layers.size(), c.out);
  return 0;
}

}  // namespace heed::cli
