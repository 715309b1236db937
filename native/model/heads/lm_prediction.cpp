// LmPrediction (lm_prediction.h).
#include "model/heads/lm_prediction.h"

#include "model/parameter_names.h"

namespace bertnode {

void LmPrediction::declare(ParameterCatalogue& catalogue) const {
  // Hugging Face's state-dict order: the bias, then the transform (the tied decoder weight is not a tensor of its
  // own; checkpoints that carry cls.predictions.decoder.* are mapped onto these names by lib/weights).
  catalogue.add("cls.predictions.bias", {V_}, true);
  catalogue.addLinear("cls.predictions.transform.dense", H_, H_, true);
  catalogue.addNorm("cls.predictions.transform.LayerNorm", H_, true);
}

void LmPrediction::bind(const ParameterStore& store) {
  dense_ = store.linear("cls.predictions.transform.dense");
  norm_ = store.norm("cls.predictions.transform.LayerNorm");
  const ParamSlot& word = store.slot(names::kWordEmbeddings);
  const ParamSlot& bias = store.slot("cls.predictions.bias");
  decoder_ = {word.value, bias.value, word.grad, bias.grad};
}

void LmPrediction::layout(Slab& slab, const Dims& d, bool backward) {
  size_t rows = static_cast<size_t>(d.N) * H_;
  preGelu_ = slab.take<float>(rows);
  gelu_ = slab.take<float>(rows);
  mean_ = slab.take<float>(static_cast<size_t>(d.N));
  rstd_ = slab.take<float>(static_cast<size_t>(d.N));
  transformed_ = slab.take<float>(rows);
  scores_ = slab.take<float>(static_cast<size_t>(d.N) * V_);
  scratch_ = slab.take<float>(backward ? rows : 0);
}

void LmPrediction::forward(Backend& be, const float* hidden, const Dims& d) {
  input_ = hidden;
  int64_t n = static_cast<int64_t>(d.N) * H_;
  linearForward(be, dense_, preGelu_, hidden, d.N, H_, H_);
  be.geluForward(gelu_, preGelu_, n);
  be.layerNormForward(transformed_, mean_, rstd_, gelu_, norm_.gamma, norm_.beta, d.N, H_, eps_);
  linearForward(be, decoder_, scores_, transformed_, d.N, H_, V_);
}

void LmPrediction::backward(Backend& be, const float* dScores, float* dHidden, const Dims& d) {
  int64_t n = static_cast<int64_t>(d.N) * H_;
  linearBackward(be, decoder_, scratch_, 0.0f, dScores, transformed_, d.N, H_, V_);
  be.layerNormBackward(scratch_, norm_.dGamma, norm_.dBeta, scratch_, gelu_, norm_.gamma, mean_, rstd_, d.N, H_);
  be.geluBackward(scratch_, scratch_, preGelu_, n);
  linearBackward(be, dense_, dHidden, 0.0f, scratch_, input_, d.N, H_, H_);
}

}  // namespace bertnode
