#pragma once
// Every conv heed knows, by name. A conv added to the table in
// src/nn/conv_registry.cpp is known from there to `heed train --model`,
// `heed bench --layer`, GNNStack and the checkpoint reader
// (docs/adding-a-layer.md).
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "heed/nn/layer.hpp"
#include "heed/tensor/random.hpp"

namespace heed::nn {

/// A registered conv: what it is, and how to build it in float or double.
struct ConvInfo {
  ConvTraits traits;
  std::unique_ptr<Conv<float>> (*make_float)(const LayerSpec&, Rng&) = nullptr;
  std::unique_ptr<Conv<double>> (*make_double)(const LayerSpec&, Rng&) = nullptr;

  template <class T>
  std::unique_ptr<Conv<T>> make(const LayerSpec& spec, Rng& rng) const {
    if constexpr (std::is_same_v<T, float>) {
      return make_float(spec, rng);
    } else {
      return make_double(spec, rng);
    }
  }
};

/// The entry of a conv class template C: C<T>::traits() and
/// C<T>(C<T>::options_from(spec), rng).
template <template <class> class C>
ConvInfo conv_entry() {
  return ConvInfo{C<float>::traits(),
                  [](const LayerSpec& s, Rng& r) -> std::unique_ptr<Conv<float>> {
                    return std::make_unique<C<float>>(C<float>::options_from(s), r);
                  },
                  [](const LayerSpec& s, Rng& r) -> std::unique_ptr<Conv<double>> {
                    return std::make_unique<C<double>>(C<double>::options_from(s), r);
                  }};
}

/// Every registered conv, in the table's order.
std::span<const ConvInfo> registered_convs();
/// The conv named `name`; heed::Error listing the names there are.
const ConvInfo& conv_info(std::string_view name);
/// The registered names, in order.
std::vector<std::string> conv_names();

/// Builds the conv named `name` from a layer request.
template <class T>
std::unique_ptr<Conv<T>> make_conv(std::string_view name, const LayerSpec& spec, Rng& rng) {
  return conv_info(name).make<T>(spec, rng);
}

}  // namespace heed::nn
