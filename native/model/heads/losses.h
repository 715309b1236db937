// The losses the heads share, each a mean over what it counts, reduced on the host in double (as BertModel always
// has): softmax cross-entropy over class rows with ignored rows (labels outside [0, C)), and the elementwise
// binary cross-entropy with logits / squared error over float targets.
//
// Use per call: layoutLabels and layout (workspace), stage (host labels; they must live until the batch's upload),
// then loss(logits), then backward(scale) -> dLogits.
#pragma once

#include <cstdint>
#include <vector>

#include "model/arena.h"
#include "model/backend.h"
#include "model/staged_upload.h"

namespace bertnode {

class CrossEntropyLoss {
 public:
  void layoutLabels(Slab& slab, int rows) { labels_ = slab.take<int32_t>(static_cast<size_t>(rows)); }
  void layout(Slab& slab, int rows, int C, bool backward);
  // Labels outside [0, C) are ignored: no loss, no gradient, not counted in the mean.
  void stage(StagedUpload& staged, const int32_t* labels, int rows, int C);
  // Mean over the counted rows (0 when every row is ignored, where PyTorch would give NaN).
  float loss(Backend& be, const float* logits, int rows, int C);
  // dLogits [rows, C] of scale * mean loss.
  float* backward(Backend& be, float scale, int rows, int C);

 private:
  int32_t* labels_ = nullptr;
  float* probs_ = nullptr;
  float* losses_ = nullptr;
  float* dLogits_ = nullptr;
  int counted_ = 0;
};

enum class ElementLossKind { BinaryCrossEntropyWithLogits, SquaredError };

class ElementLoss {
 public:
  explicit ElementLoss(ElementLossKind kind) : kind_(kind) {}
  void layoutLabels(Slab& slab, int64_t n) { targets_ = slab.take<float>(static_cast<size_t>(n)); }
  void layout(Slab& slab, int64_t n, bool backward);
  void stage(StagedUpload& staged, const float* targets, int64_t n);
  float loss(Backend& be, const float* logits, int64_t n);  // mean over all n elements
  float* backward(Backend& be, const float* logits, float scale, int64_t n);

 private:
  ElementLossKind kind_;
  float* targets_ = nullptr;
  float* losses_ = nullptr;
  float* dLogits_ = nullptr;
};

}  // namespace bertnode
