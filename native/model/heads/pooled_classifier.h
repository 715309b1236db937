// The pooled classifier the sequence-classification, multiple-choice and next-sentence heads share: [CLS] rows,
// optional BertPooler (dense + tanh, `bert.pooler.dense`), dropout, a linear layer (layers.h headForward /
// headBackward), with its workspace.
#pragma once

#include <string>

#include "model/arena.h"
#include "model/layers.h"
#include "model/parameters.h"

namespace bertnode {

class PooledClassifier {
 public:
  // `classifier`: the linear layer's name prefix ("classifier", "cls.seq_relationship"); outputs: its width.
  PooledClassifier(std::string classifier, int hidden, int outputs, bool usePooler, float dropoutP, uint32_t site)
      : name_(std::move(classifier)), H_(hidden), C_(outputs), usePooler_(usePooler), dropoutP_(dropoutP),
        site_(site) {}

  // The pooler (trainable only when used), then the classifier: state-dict order.
  void declare(ParameterCatalogue& catalogue, bool declarePooler) const;
  void bind(const ParameterStore& store);
  void layout(Slab& slab, const Dims& d);
  void forward(Backend& be, const float* hidden, const Dims& d, const DropoutKey& key);
  // dLogits [rows, outputs]; accumulates into the [CLS] rows of dHidden (when set).
  void backward(Backend& be, const float* dLogits, float* dHidden, const Dims& d, const DropoutKey& key);
  const float* logits() const { return acts_.logits; }

 private:
  std::string name_;
  int H_, C_;
  bool usePooler_;
  float dropoutP_;
  uint32_t site_;
  HeadParams params_{};
  HeadActivations acts_{};
  float* scratch_[2]{};
};

}  // namespace bertnode
