// PooledClassifier (pooled_classifier.h).
#include "model/heads/pooled_classifier.h"

namespace bertnode {

void PooledClassifier::declare(ParameterCatalogue& catalogue, bool declarePooler) const {
  if (declarePooler) catalogue.addLinear("bert.pooler.dense", H_, H_, usePooler_);
  catalogue.addLinear(name_, C_, H_, true);
}

void PooledClassifier::bind(const ParameterStore& store) {
  params_ = {usePooler_, usePooler_ ? store.linear("bert.pooler.dense") : Linear{}, store.linear(name_)};
}

void PooledClassifier::layout(Slab& slab, const Dims& d) {
  size_t rows = static_cast<size_t>(d.B) * H_;
  acts_ = {slab.take<float>(rows), slab.take<float>(usePooler_ ? rows : 0), slab.take<float>(rows),
           slab.take<float>(static_cast<size_t>(d.B) * C_)};
  scratch_[0] = slab.take<float>(rows);
  scratch_[1] = slab.take<float>(rows);
}

void PooledClassifier::forward(Backend& be, const float* hidden, const Dims& d, const DropoutKey& key) {
  headForward(be, params_, acts_, hidden, d, C_, dropoutP_, site_, key);
}

void PooledClassifier::backward(Backend& be, const float* dLogits, float* dHidden, const Dims& d,
                                const DropoutKey& key) {
  headBackward(be, params_, acts_, dLogits, scratch_[0], scratch_[1], dHidden, d, C_, dropoutP_, site_, key);
}

}  // namespace bertnode
