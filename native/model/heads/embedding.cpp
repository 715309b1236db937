// Sentence embeddings for inference (what sentence-transformers' all-MiniLM-L6-v2 computes): the last hidden state
// pooled by the mean over the attention mask or by the [CLS] row, optionally L2-normalised; output "embeddings"
// [B, H]. No parameters (the pooler of a checkpoint is not used) and no loss: labels and training are refused.
#include <stdexcept>

#include "model/heads/heads.h"

namespace bertnode::heads {
namespace {

class EmbeddingHead final : public Head {
 public:
  EmbeddingHead(const BertConfig& c, const BertOptions& o)
      : H_(c.hiddenSize), mean_(o.pooling == Pooling::Mean), normalize_(o.normalize) {}

  void declare(ParameterCatalogue&) const override {}
  void bind(const ParameterStore&) override {}
  bool trainable() const override { return false; }
  bool readsFirstTokenOnly() const override { return !mean_; }
  LabelLayout labelLayout(int, int) const override {
    return {LabelLayout::Dtype::Int32, {}, "(none)", kInferenceOnly};
  }

  void layoutLabels(Slab&, const Dims&) override {}
  void layout(Slab& slab, const Dims& d, bool) override {
    pooled_ = slab.take<float>(static_cast<size_t>(d.B) * H_);
  }
  void stageLabels(StagedUpload&, const Labels&, const Dims&) override { inferenceOnly(); }

  void forward(Backend& be, const float* hidden, const int32_t* mask, const Dims& d, const DropoutKey&) override {
    if (mean_) {
      be.maskedMeanPool(pooled_, hidden, mask, d.B, d.T, H_);
    } else {
      be.gatherClsRows(pooled_, hidden, d.B, d.T, H_);
    }
    if (normalize_) be.l2NormalizeRows(pooled_, d.B, H_);
  }
  float loss(Backend&, const Dims&) override { inferenceOnly(); }
  void backward(Backend&, float, float*, const Dims&, const DropoutKey&) override { inferenceOnly(); }

  std::vector<HeadOutput> outputs(Backend& be, const Dims& d) override {
    return {downloadOutput(be, "embeddings", pooled_, static_cast<size_t>(d.B) * H_)};
  }

 private:
  static constexpr const char* kInferenceOnly =
      "the embedding head is inference-only: it takes no labels and does not train";
  [[noreturn]] static void inferenceOnly() { throw std::invalid_argument(kInferenceOnly); }

  int H_;
  bool mean_, normalize_;
  float* pooled_ = nullptr;
};

}  // namespace

std::unique_ptr<Head> makeEmbedding(const BertConfig& config, const BertOptions& options) {
  return std::make_unique<EmbeddingHead>(config, options);
}

}  // namespace bertnode::heads
