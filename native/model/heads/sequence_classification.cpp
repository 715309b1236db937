// Sequence classification (transformers' BertForSequenceClassification, or the classic recipe's linear layer on
// the last layer's [CLS] vector): pooled vector -> dropout -> `classifier` [numLabels, H] -> logits [B, numLabels],
// with the loss of config.problem_type:
//   single-label: cross-entropy, int32 labels [B] in [0, numLabels);
//   multi-label:  binary cross-entropy with logits, float labels [B, numLabels], mean over every element;
//   regression:   mean squared error, float labels [B, numLabels] (numLabels 1: one score per example).
#include "model/dropout_sites.h"
#include "model/heads/heads.h"
#include "model/heads/losses.h"
#include "model/heads/pooled_classifier.h"

namespace bertnode::heads {
namespace {

class SequenceClassificationHead final : public Head {
 public:
  SequenceClassificationHead(const BertConfig& c, const BertOptions& o)
      : problem_(o.problemType), C_(c.numLabels),
        classifier_("classifier", c.hiddenSize, c.numLabels, o.pooling == Pooling::Pooler, classifierDropout(c),
                    dropout_sites::classifier(c.numHiddenLayers)),
        elementLoss_(o.problemType == ProblemType::MultiLabel ? ElementLossKind::BinaryCrossEntropyWithLogits
                                                              : ElementLossKind::SquaredError) {}

  void declare(ParameterCatalogue& catalogue) const override { classifier_.declare(catalogue, true); }
  bool readsFirstTokenOnly() const override { return true; }
  void bind(const ParameterStore& store) override { classifier_.bind(store); }

  LabelLayout labelLayout(int rows, int) const override {
    if (problem_ == ProblemType::SingleLabel) {
      return {LabelLayout::Dtype::Int32, {{static_cast<size_t>(rows), 0, C_, {}, false, "class index", "numLabels"}},
              "[batchSize]"};
    }
    return {LabelLayout::Dtype::Float32, {{static_cast<size_t>(rows) * C_, 0, 0, {}, false, "target", ""}},
            "[batchSize, numLabels]"};
  }

  void layoutLabels(Slab& slab, const Dims& d) override {
    if (problem_ == ProblemType::SingleLabel) {
      crossEntropy_.layoutLabels(slab, d.B);
    } else {
      elementLoss_.layoutLabels(slab, elements(d));
    }
  }

  void layout(Slab& slab, const Dims& d, bool backward) override {
    classifier_.layout(slab, d);
    if (problem_ == ProblemType::SingleLabel) {
      crossEntropy_.layout(slab, d.B, C_, backward);
    } else {
      elementLoss_.layout(slab, elements(d), backward);
    }
  }

  void stageLabels(StagedUpload& staged, const Labels& labels, const Dims& d) override {
    if (problem_ == ProblemType::SingleLabel) {
      crossEntropy_.stage(staged, labels.ints, d.B, C_);
    } else {
      elementLoss_.stage(staged, labels.floats, elements(d));
    }
  }

  void forward(Backend& be, const float* hidden, const int32_t*, const Dims& d, const DropoutKey& key) override {
    classifier_.forward(be, hidden, d, key);
  }

  float loss(Backend& be, const Dims& d) override {
    if (problem_ == ProblemType::SingleLabel) return crossEntropy_.loss(be, classifier_.logits(), d.B, C_);
    return elementLoss_.loss(be, classifier_.logits(), elements(d));
  }

  void backward(Backend& be, float scale, float* dHidden, const Dims& d, const DropoutKey& key) override {
    const float* dLogits = problem_ == ProblemType::SingleLabel
                               ? crossEntropy_.backward(be, scale, d.B, C_)
                               : elementLoss_.backward(be, classifier_.logits(), scale, elements(d));
    classifier_.backward(be, dLogits, dHidden, d, key);
  }

  std::vector<HeadOutput> outputs(Backend& be, const Dims& d) override {
    return {downloadOutput(be, "logits", classifier_.logits(), static_cast<size_t>(elements(d)))};
  }

 private:
  int64_t elements(const Dims& d) const { return static_cast<int64_t>(d.B) * C_; }

  ProblemType problem_;
  int C_;
  PooledClassifier classifier_;
  CrossEntropyLoss crossEntropy_;
  ElementLoss elementLoss_;
};

}  // namespace

std::unique_ptr<Head> makeSequenceClassification(const BertConfig& config, const BertOptions& options) {
  return std::make_unique<SequenceClassificationHead>(config, options);
}

}  // namespace bertnode::heads
