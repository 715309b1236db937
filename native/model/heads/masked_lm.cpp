// Masked language modelling (transformers' BertForMaskedLM): prediction scores [B, T, V] from `cls.predictions`
// (lm_prediction.h, decoder tied to the word embeddings); cross-entropy over the tokens whose int32 label
// ([B, T], the original token id) is in [0, V), -100 ignored (the unmasked tokens).
#include "model/heads/heads.h"
#include "model/heads/lm_prediction.h"
#include "model/heads/losses.h"

namespace bertnode::heads {
namespace {

class MaskedLmHead final : public Head {
 public:
  MaskedLmHead(const BertConfig& c, const BertOptions&)
      : V_(c.vocabSize), prediction_(c.hiddenSize, c.vocabSize, c.layerNormEps) {}

  void declare(ParameterCatalogue& catalogue) const override { prediction_.declare(catalogue); }
  void bind(const ParameterStore& store) override { prediction_.bind(store); }

  LabelLayout labelLayout(int rows, int T) const override {
    return {LabelLayout::Dtype::Int32,
            {{static_cast<size_t>(rows) * T, 0, V_, -100, false, "masked-LM token id", "vocabSize"}},
            "[batchSize, seqLen]"};
  }

  void layoutLabels(Slab& slab, const Dims& d) override { crossEntropy_.layoutLabels(slab, d.N); }
  void layout(Slab& slab, const Dims& d, bool backward) override {
    prediction_.layout(slab, d, backward);
    crossEntropy_.layout(slab, d.N, V_, backward);
  }
  void stageLabels(StagedUpload& staged, const Labels& labels, const Dims& d) override {
    crossEntropy_.stage(staged, labels.ints, d.N, V_);
  }

  void forward(Backend& be, const float* hidden, const int32_t*, const Dims& d, const DropoutKey&) override {
    prediction_.forward(be, hidden, d);
  }
  float loss(Backend& be, const Dims& d) override { return crossEntropy_.loss(be, prediction_.scores(), d.N, V_); }
  void backward(Backend& be, float scale, float* dHidden, const Dims& d, const DropoutKey&) override {
    prediction_.backward(be, crossEntropy_.backward(be, scale, d.N, V_), dHidden, d);
  }

  std::vector<HeadOutput> outputs(Backend& be, const Dims& d) override {
    return {downloadOutput(be, "logits", prediction_.scores(), static_cast<size_t>(d.N) * V_)};
  }

 private:
  int V_;
  LmPrediction prediction_;
  CrossEntropyLoss crossEntropy_;
};

}  // namespace

std::unique_ptr<Head> makeMaskedLM(const BertConfig& config, const BertOptions& options) {
  return std::make_unique<MaskedLmHead>(config, options);
}

}  // namespace bertnode::heads
