#include "heed/nn/conv_registry.hpp"

#include "heed/error.hpp"
#include "heed/nn/gat_conv.hpp"
#include "heed/nn/gatv2_conv.hpp"
#include "heed/nn/gcn_conv.hpp"
#include "heed/nn/gin_conv.hpp"
#include "heed/nn/sage_conv.hpp"

namespace heed::nn {
namespace {

// The registry: one line per conv. Built once, on first use, and never
// changed after (a function-local constant, not mutable global state).
const std::vector<ConvInfo>& table() {
  static const std::vector<ConvInfo> convs{
      conv_entry<GATConv>(),  conv_entry<GATv2Conv>(), conv_entry<GCNConv>(),
      conv_entry<SAGEConv>(), conv_entry<GINConv>(),
  };
  return convs;
}

}  // namespace

std::span<const ConvInfo> registered_convs() {
  return table();
}

std::vector<std::string> conv_names() {
  std::vector<std::string> names;
  for (const ConvInfo& c : table()) names.push_back(c.traits.name);
  return names;
}

const ConvInfo& conv_info(std::string_view name) {
  for (const ConvInfo& c : table()) {
    if (c.traits.name == name) return c;
  }
  throw Error("unknown conv '" + std::string(name) + "' (expected " + one_of(conv_names()) + ")");
}

}  // namespace heed::nn
