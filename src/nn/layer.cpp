#include "heed/nn/layer.hpp"

#include <string>

namespace heed::nn {

template <class T>
std::vector<std::pair<NodeId, T>> Attention<T>::in_edges(NodeId node, int head) const {
  if (node < 0 || node >= graph.num_nodes()) {
    throw Error("attention: node " + std::to_string(node) + " outside [0, " +
                std::to_string(graph.num_nodes()) + ")");
  }
  if (head < 0 || std::size_t(head) >= alpha.cols()) {
    throw Error("attention: head " + std::to_string(head) + " outside [0, " +
                std::to_string(alpha.cols()) + ")");
  }
  std::vector<std::pair<NodeId, T>> edges;
  const Csr& in = graph.in();
  for (EdgeId e = in.indptr[std::size_t(node)]; e < in.indptr[std::size_t(node) + 1]; ++e) {
    edges.emplace_back(in.indices[std::size_t(e)], alpha(std::size_t(e), std::size_t(head)));
  }
  return edges;
}

template struct Attention<float>;
template struct Attention<double>;

}  // namespace heed::nn
