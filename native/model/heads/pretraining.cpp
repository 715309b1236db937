// BERT pre-training (transformers' BertForPreTraining): the masked-LM prediction (lm_prediction.h) plus
// next-sentence prediction on the pooler (`bert.pooler.dense`, `cls.seq_relationship` H -> 2, no dropout).
// Labels: int32 [B*T + B], the masked-LM labels [B, T] (-100 ignored) followed by the next-sentence labels [B]
// (0: B follows A, 1: random). Loss = masked-LM mean cross-entropy + next-sentence mean cross-entropy.
// Outputs: logits (prediction scores [B, T, V]) and seqRelationshipLogits [B, 2].
#include "model/dropout_sites.h"
#include "model/heads/heads.h"
#include "model/heads/lm_prediction.h"
#include "model/heads/losses.h"
#include "model/heads/pooled_classifier.h"

namespace bertnode::heads {
namespace {

class PreTrainingHead final : public Head {
 public:
  PreTrainingHead(const BertConfig& c, const BertOptions&)
      : H_(c.hiddenSize), V_(c.vocabSize), prediction_(c.hiddenSize, c.vocabSize, c.layerNormEps),
        nextSentence_("cls.seq_relationship", c.hiddenSize, 2, true, 0.0f,
                      dropout_sites::classifier(c.numHiddenLayers)) {}

  // State-dict order: bert.pooler, cls.predictions, cls.seq_relationship.
  void declare(ParameterCatalogue& catalogue) const override {
    catalogue.addLinear("bert.pooler.dense", H_, H_, true);
    prediction_.declare(catalogue);
    nextSentence_.declare(catalogue, false);
  }
  void bind(const ParameterStore& store) override {
    prediction_.bind(store);
    nextSentence_.bind(store);
  }

  LabelLayout labelLayout(int rows, int T) const override {
    return {LabelLayout::Dtype::Int32,
            {{static_cast<size_t>(rows) * T, 0, V_, -100, false, "masked-LM token id", "vocabSize"},
             {static_cast<size_t>(rows), 0, 2, {}, false, "next-sentence label", "2 classes"}},
            "[batchSize * seqLen + batchSize] (masked-LM labels, then next-sentence labels)"};
  }

  void layoutLabels(Slab& slab, const Dims& d) override {
    masked_.layoutLabels(slab, d.N);
    next_.layoutLabels(slab, d.B);
  }
  void layout(Slab& slab, const Dims& d, bool backward) override {
    prediction_.layout(slab, d, backward);
    nextSentence_.layout(slab, d);
    masked_.layout(slab, d.N, V_, backward);
    next_.layout(slab, d.B, 2, backward);
  }
  void stageLabels(StagedUpload& staged, const Labels& labels, const Dims& d) override {
    masked_.stage(staged, labels.ints, d.N, V_);
    next_.stage(staged, labels.ints + d.N, d.B, 2);
  }

  void forward(Backend& be, const float* hidden, const int32_t*, const Dims& d, const DropoutKey& key) override {
    prediction_.forward(be, hidden, d);
    nextSentence_.forward(be, hidden, d, key);
  }
  float loss(Backend& be, const Dims& d) override {
    return masked_.loss(be, prediction_.scores(), d.N, V_) + next_.loss(be, nextSentence_.logits(), d.B, 2);
  }
  // The prediction writes dHidden first (beta 0); the next-sentence branch then adds into the [CLS] rows.
  void backward(Backend& be, float scale, float* dHidden, const Dims& d, const DropoutKey& key) override {
    prediction_.backward(be, masked_.backward(be, scale, d.N, V_), dHidden, d);
    nextSentence_.backward(be, next_.backward(be, scale, d.B, 2), dHidden, d, key);
  }

  std::vector<HeadOutput> outputs(Backend& be, const Dims& d) override {
    return {downloadOutput(be, "logits", prediction_.scores(), static_cast<size_t>(d.N) * V_),
            downloadOutput(be, "seqRelationshipLogits", nextSentence_.logits(), static_cast<size_t>(d.B) * 2)};
  }

 private:
  int H_, V_;
  LmPrediction prediction_;
  PooledClassifier nextSentence_;
  CrossEntropyLoss masked_, next_;
};

}  // namespace

std::unique_ptr<Head> makePreTraining(const BertConfig& config, const BertOptions& options) {
  return std::make_unique<PreTrainingHead>(config, options);
}

}  // namespace bertnode::heads
