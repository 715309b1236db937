// Extractive question answering (transformers' BertForQuestionAnswering): `qa_outputs` [2, H] maps every token to a
// start and an end logit (outputs startLogits, endLogits [B, T], and logits [B, T, 2] as qa_outputs returns them).
// Labels: int32 [B, 2], each example's (start, end) token position. As transformers does, positions are clamped
// to [0, T] and T (a position outside the sequence) is ignored; loss = (CE(start) + CE(end)) / 2, each a mean over
// its own non-ignored examples.
#include <algorithm>

#include "model/heads/heads.h"
#include "model/heads/losses.h"

namespace bertnode::heads {
namespace {

class QuestionAnsweringHead final : public Head {
 public:
  QuestionAnsweringHead(const BertConfig& c, const BertOptions&) : H_(c.hiddenSize) {}

  void declare(ParameterCatalogue& catalogue) const override { catalogue.addLinear("qa_outputs", 2, H_, true); }

  // Row k of qa_outputs (weight row and bias element) as its own H -> 1 linear layer, so each logit comes out
  // contiguous [B*T] without a strided gather.
  void bind(const ParameterStore& store) override {
    Linear both = store.linear("qa_outputs");
    for (int k = 0; k < 2; ++k) {
      rows_[k] = {both.weight + k * H_, both.bias + k, both.dWeight ? both.dWeight + k * H_ : nullptr,
                  both.dBias ? both.dBias + k : nullptr};
    }
  }

  LabelLayout labelLayout(int rows, int) const override {
    return {LabelLayout::Dtype::Int32, {{static_cast<size_t>(rows) * 2, 0, 0, {}, true, "token position", ""}},
            "[batchSize, 2] (start, end)"};
  }

  void layoutLabels(Slab& slab, const Dims& d) override {
    for (CrossEntropyLoss& loss : losses_) loss.layoutLabels(slab, d.B);
  }
  void layout(Slab& slab, const Dims& d, bool backward) override {
    for (int k = 0; k < 2; ++k) {
      logits_[k] = slab.take<float>(static_cast<size_t>(d.N));
      losses_[k].layout(slab, d.B, d.T, backward);
    }
  }
  void stageLabels(StagedUpload& staged, const Labels& labels, const Dims& d) override {
    for (int k = 0; k < 2; ++k) {
      positions_[k].resize(static_cast<size_t>(d.B));
      for (int b = 0; b < d.B; ++b) positions_[k][b] = std::clamp(labels.ints[2 * b + k], 0, d.T);
      losses_[k].stage(staged, positions_[k].data(), d.B, d.T);  // T is outside [0, T): ignored
    }
  }

  void forward(Backend& be, const float* hidden, const int32_t*, const Dims& d, const DropoutKey&) override {
    input_ = hidden;
    for (int k = 0; k < 2; ++k) linearForward(be, rows_[k], logits_[k], hidden, d.N, H_, 1);
  }
  float loss(Backend& be, const Dims& d) override {
    return (losses_[0].loss(be, logits_[0], d.B, d.T) + losses_[1].loss(be, logits_[1], d.B, d.T)) / 2.0f;
  }
  void backward(Backend& be, float scale, float* dHidden, const Dims& d, const DropoutKey&) override {
    for (int k = 0; k < 2; ++k) {
      const float* dLogits = losses_[k].backward(be, scale / 2.0f, d.B, d.T);
      linearBackward(be, rows_[k], dHidden, k == 0 ? 0.0f : 1.0f, dLogits, input_, d.N, H_, 1);
    }
  }

  std::vector<HeadOutput> outputs(Backend& be, const Dims& d) override {
    std::vector<float> start(static_cast<size_t>(d.N)), end(start.size()), both(2 * start.size());
    be.download(start.data(), logits_[0], sizeof(float) * start.size());
    be.download(end.data(), logits_[1], sizeof(float) * end.size());
    for (size_t i = 0; i < start.size(); ++i) {
      both[2 * i] = start[i];
      both[2 * i + 1] = end[i];
    }
    return {{"logits", std::move(both)}, {"startLogits", std::move(start)}, {"endLogits", std::move(end)}};
  }

 private:
  int H_;
  Linear rows_[2]{};
  float* logits_[2]{};
  CrossEntropyLoss losses_[2];
  std::vector<int32_t> positions_[2];
  const float* input_ = nullptr;  // the encoder's last hidden state, read again by the backward
};

}  // namespace

std::unique_ptr<Head> makeQuestionAnswering(const BertConfig& config, const BertOptions& options) {
  return std::make_unique<QuestionAnsweringHead>(config, options);
}

}  // namespace bertnode::heads
