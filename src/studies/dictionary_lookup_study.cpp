#include "heed/studies/dictionary_lookup_study.hpp"

#include <chrono>
#include <memory>
#include <span>

#include "heed/autograd/ops.hpp"
#include "heed/error.hpp"
#include "heed/nn/conv_registry.hpp"
#include "heed/nn/init.hpp"
#include "heed/optim/adam.hpp"
#include "heed/train/metrics.hpp"

namespace heed::studies {
namespace {

// One attention layer (no self loops: a query learns only from the keys),
// ELU, and a linear map to the k answers.
class LookupModel {
 public:
  LookupModel(const DictionaryLookupStudy& s, int features, int classes, Rng& rng) {
    const int width = s.heads * s.hidden;
    if (!nn::conv_info(s.conv).traits.attends) {
      throw Error("dictionary lookup: the layer must attend (gat or gatv2), not " + s.conv);
    }
    nn::LayerSpec layer;
    layer.in_channels = features;
    layer.out_channels = s.hidden;
    layer.heads = s.heads;
    layer.dropout = 0.0;
    layer.options = {{"add_self_loops", 0}};
    conv_ = nn::make_conv<float>(s.conv, layer, rng);
    weight_ = Parameter<float>(
        "weight", nn::glorot_uniform<float>(std::size_t(width), std::size_t(classes),
                                            std::size_t(width), std::size_t(classes), rng));
    bias_ = Parameter<float>("bias", Tensor<float>(1, std::size_t(classes)), false);
  }

  Var<float> forward(Tape<float>& tape, const Tensor<float>& x, const Graph& graph) {
    Var<float> h = ops::elu(conv_->forward(tape.view(x), graph, {}));
    h = ops::add_bias(ops::matmul(h, tape.parameter(weight_)), tape.parameter(bias_));
    return ops::log_softmax(h);
  }

  std::vector<Parameter<float>*> parameters() {
    std::vector<Parameter<float>*> p = conv_->parameters();
    p.push_back(&weight_);
    p.push_back(&bias_);
    return p;
  }

 private:
  std::unique_ptr<nn::Conv<float>> conv_;
  Parameter<float> weight_;
  Parameter<float> bias_;
};

}  // namespace

DictionaryLookupResult run_dictionary_lookup(const DictionaryLookupStudy& s) {
  if (s.heads < 1 || s.hidden < 1 || s.max_epochs < 1 || !(s.lr > 0)) {
    throw Error("dictionary lookup: heads, hidden, epochs and lr must be positive");
  }
  const auto start = std::chrono::steady_clock::now();
  const data::Dataset d = data::dictionary_lookup(s.data);
  const data::Split& split = d.split("public");
  Rng rng(s.seed);
  LookupModel model(s, d.num_features(), d.num_classes, rng);
  std::vector<Parameter<float>*> params = model.parameters();
  optim::Adam<float> adam(params, optim::AdamOptions{.lr = s.lr, .weight_decay = 0});
  const std::span<const std::int32_t> labels(d.y);
  const std::span<const NodeId> train_rows(split.train), test_rows(split.test);

  DictionaryLookupResult r;
  bool reached = false;
  for (int epoch = 1; epoch <= s.max_epochs && !reached; ++epoch) {
    adam.zero_grad();
    Tape<float> tape;
    Var<float> logp = model.forward(tape, d.x, d.graph);
    Var<float> loss = ops::nll_loss(logp, labels, train_rows);
    // The accuracy of the parameters this pass used, before the step.
    const double acc = train::accuracy(logp.value(), labels, train_rows);
    r.best_train_accuracy = std::max(r.best_train_accuracy, acc);
    reached = acc >= s.stop_at;
    if (!reached) {
      tape.backward(loss);
      adam.step();
      r.epochs = epoch;
    }
  }
  // The final parameters, scored on the training and the unseen graphs.
  Tape<float> tape(Tape<float>::Gradients::kOff);
  Var<float> logp = model.forward(tape, d.x, d.graph);
  r.final_loss = ops::nll_loss(logp, labels, train_rows).value()(0, 0);
  r.train_accuracy = train::accuracy(logp.value(), labels, train_rows);
  r.best_train_accuracy = std::max(r.best_train_accuracy, r.train_accuracy);
  if (!test_rows.empty()) r.test_accuracy = train::accuracy(logp.value(), labels, test_rows);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace heed::studies
