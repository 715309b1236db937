// Token classification (transformers' BertForTokenClassification): every token's hidden vector -> dropout ->
// `classifier` [numLabels, H] -> logits [B, T, numLabels]; cross-entropy over the tokens whose int32 label
// ([B, T]) is in [0, numLabels), label -100 ignored (sub-word continuations, special tokens, padding).
#include "model/dropout.h"
#include "model/dropout_sites.h"
#include "model/heads/heads.h"
#include "model/heads/losses.h"

namespace bertnode::heads {
namespace {

class TokenClassificationHead final : public Head {
 public:
  TokenClassificationHead(const BertConfig& c, const BertOptions&)
      : H_(c.hiddenSize), C_(c.numLabels), dropoutP_(classifierDropout(c)),
        site_(dropout_sites::classifier(c.numHiddenLayers)) {}

  void declare(ParameterCatalogue& catalogue) const override { catalogue.addLinear("classifier", C_, H_, true); }
  void bind(const ParameterStore& store) override { classifier_ = store.linear("classifier"); }

  LabelLayout labelLayout(int rows, int T) const override {
    return {LabelLayout::Dtype::Int32,
            {{static_cast<size_t>(rows) * T, 0, C_, -100, false, "token class index", "numLabels"}},
            "[batchSize, seqLen]"};
  }

  void layoutLabels(Slab& slab, const Dims& d) override { crossEntropy_.layoutLabels(slab, d.N); }
  void layout(Slab& slab, const Dims& d, bool backward) override {
    dropped_ = slab.take<float>(static_cast<size_t>(d.N) * H_);
    logits_ = slab.take<float>(static_cast<size_t>(d.N) * C_);
    crossEntropy_.layout(slab, d.N, C_, backward);
  }
  void stageLabels(StagedUpload& staged, const Labels& labels, const Dims& d) override {
    crossEntropy_.stage(staged, labels.ints, d.N, C_);
  }

  void forward(Backend& be, const float* hidden, const int32_t*, const Dims& d, const DropoutKey& key) override {
    input_ = dropoutInto(be, dropped_, hidden, static_cast<int64_t>(d.N) * H_, dropoutP_, site_, key);
    linearForward(be, classifier_, logits_, input_, d.N, H_, C_);
  }
  float loss(Backend& be, const Dims& d) override { return crossEntropy_.loss(be, logits_, d.N, C_); }

  // dHidden arrives zeroed and this head is its only writer, so the classifier writes it and dropout masks it in
  // place (the same mask as the forward's, regenerated from the counter).
  void backward(Backend& be, float scale, float* dHidden, const Dims& d, const DropoutKey& key) override {
    const float* dLogits = crossEntropy_.backward(be, scale, d.N, C_);
    linearBackward(be, classifier_, dHidden, 0.0f, dLogits, input_, d.N, H_, C_);
    if (dHidden) dropoutInPlace(be, dHidden, static_cast<int64_t>(d.N) * H_, dropoutP_, site_, key);
  }

  std::vector<HeadOutput> outputs(Backend& be, const Dims& d) override {
    return {downloadOutput(be, "logits", logits_, static_cast<size_t>(d.N) * C_)};
  }

 private:
  int H_, C_;
  float dropoutP_;
  uint32_t site_;
  Linear classifier_{};
  float* dropped_ = nullptr;
  const float* input_ = nullptr;  // the classifier's input: dropped_, or the hidden state itself without dropout
  float* logits_ = nullptr;
  CrossEntropyLoss crossEntropy_;
};

}  // namespace

std::unique_ptr<Head> makeTokenClassification(const BertConfig& config, const BertOptions& options) {
  return std::make_unique<TokenClassificationHead>(config, options);
}

}  // namespace bertnode::heads
