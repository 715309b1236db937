// BertLMPredictionHead (`cls.predictions`), shared by the masked-LM and pre-training heads: transform (dense H -> H,
// GELU, LayerNorm) then the decoder, whose weight is the word-embedding table itself (tied, as Hugging Face ties
// them) plus its own bias `cls.predictions.bias` [V]: prediction scores [N, V] for every token.
//
// The tied gradient: the decoder's weight gradient is added into the word-embedding gradient, before the encoder's
// backward scatters the input side into the same table. When the embeddings are frozen the decoder weight is
// frozen with them (one tensor, one trainability); the transform and the bias always train.
#pragma once

#include "model/arena.h"
#include "model/layers.h"
#include "model/parameters.h"

namespace bertnode {

class LmPrediction {
 public:
  LmPrediction(int hidden, int vocab, float eps) : H_(hidden), V_(vocab), eps_(eps) {}

  void declare(ParameterCatalogue& catalogue) const;
  void bind(const ParameterStore& store);
  void layout(Slab& slab, const Dims& d, bool backward);
  void forward(Backend& be, const float* hidden, const Dims& d);
  // dScores [N, V]; writes dHidden (beta 0: it must be the first writer) when set.
  void backward(Backend& be, const float* dScores, float* dHidden, const Dims& d);
  const float* scores() const { return scores_; }

 private:
  int H_, V_;
  float eps_;
  Linear dense_{}, decoder_{};
  Norm norm_{};
  const float* input_ = nullptr;
  float* preGelu_ = nullptr;  // [N,H] dense output
  float* gelu_ = nullptr;     // [N,H] LayerNorm input
  float* mean_ = nullptr;
  float* rstd_ = nullptr;
  float* transformed_ = nullptr;  // [N,H] decoder input
  float* scores_ = nullptr;       // [N,V]
  float* scratch_ = nullptr;      // [N,H] backward
};

}  // namespace bertnode
