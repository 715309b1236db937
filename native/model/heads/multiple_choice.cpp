// Multiple choice (transformers' BertForMultipleChoice): an example's numChoices sequences are consecutive rows of
// the batch ([B, C, T] flattened to B*C rows); each row -> pooler -> dropout -> `classifier` H -> 1, giving
// logits [B, C]; cross-entropy over the choices with int32 labels [B] in [0, C).
#include <stdexcept>
#include <string>

#include "model/dropout_sites.h"
#include "model/heads/heads.h"
#include "model/heads/losses.h"
#include "model/heads/pooled_classifier.h"

namespace bertnode::heads {
namespace {

class MultipleChoiceHead final : public Head {
 public:
  MultipleChoiceHead(const BertConfig& c, const BertOptions& o)
      : choices_(o.numChoices),
        classifier_("classifier", c.hiddenSize, 1, true, classifierDropout(c),
                    dropout_sites::classifier(c.numHiddenLayers)) {}

  void declare(ParameterCatalogue& catalogue) const override { classifier_.declare(catalogue, true); }
  bool readsFirstTokenOnly() const override { return true; }
  void bind(const ParameterStore& store) override { classifier_.bind(store); }

  void checkBatch(int rows, int) const override {
    if (rows % choices_ != 0) {
      throw std::invalid_argument("a multiple-choice batch has numChoices = " + std::to_string(choices_) +
                                  " rows per example; batchSize " + std::to_string(rows) + " is not a multiple");
    }
  }

  LabelLayout labelLayout(int rows, int) const override {
    return {LabelLayout::Dtype::Int32,
            {{static_cast<size_t>(rows / choices_), 0, choices_, {}, false, "choice index", "numChoices"}},
            "[batchSize / numChoices]"};
  }

  void layoutLabels(Slab& slab, const Dims& d) override { crossEntropy_.layoutLabels(slab, examples(d)); }
  void layout(Slab& slab, const Dims& d, bool backward) override {
    classifier_.layout(slab, d);
    crossEntropy_.layout(slab, examples(d), choices_, backward);
  }
  void stageLabels(StagedUpload& staged, const Labels& labels, const Dims& d) override {
    crossEntropy_.stage(staged, labels.ints, examples(d), choices_);
  }

  void forward(Backend& be, const float* hidden, const int32_t*, const Dims& d, const DropoutKey& key) override {
    classifier_.forward(be, hidden, d, key);
  }
  // The classifier's [B*C, 1] output is the [B, C] choice logits as it lies.
  float loss(Backend& be, const Dims& d) override {
    return crossEntropy_.loss(be, classifier_.logits(), examples(d), choices_);
  }
  void backward(Backend& be, float scale, float* dHidden, const Dims& d, const DropoutKey& key) override {
    classifier_.backward(be, crossEntropy_.backward(be, scale, examples(d), choices_), dHidden, d, key);
  }

  std::vector<HeadOutput> outputs(Backend& be, const Dims& d) override {
    return {downloadOutput(be, "logits", classifier_.logits(), static_cast<size_t>(d.B))};
  }

 private:
  int examples(const Dims& d) const { return d.B / choices_; }

  int choices_;
  PooledClassifier classifier_;
  CrossEntropyLoss crossEntropy_;
};

}  // namespace

std::unique_ptr<Head> makeMultipleChoice(const BertConfig& config, const BertOptions& options) {
  return std::make_unique<MultipleChoiceHead>(config, options);
}

}  // namespace bertnode::heads
