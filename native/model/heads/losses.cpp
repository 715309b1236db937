// CrossEntropyLoss and ElementLoss (losses.h).
#include "model/heads/losses.h"

#include <vector>

namespace bertnode {
namespace {

double hostSum(Backend& be, const float* values, size_t n) {
  std::vector<float> host(n);
  be.download(host.data(), values, sizeof(float) * n);
  double sum = 0.0;
  for (float v : host) sum += v;
  return sum;
}

}  // namespace

void CrossEntropyLoss::layout(Slab& slab, int rows, int C, bool backward) {
  size_t logits = static_cast<size_t>(rows) * C;
  probs_ = slab.take<float>(logits);
  losses_ = slab.take<float>(static_cast<size_t>(rows));
  dLogits_ = slab.take<float>(backward ? logits : 0);
}

void CrossEntropyLoss::stage(StagedUpload& staged, const int32_t* labels, int rows, int C) {
  counted_ = 0;
  for (int r = 0; r < rows; ++r) counted_ += labels[r] >= 0 && labels[r] < C;
  staged.add(labels_, labels, sizeof(int32_t) * static_cast<size_t>(rows));
}

float CrossEntropyLoss::loss(Backend& be, const float* logits, int rows, int C) {
  be.crossEntropyForward(losses_, probs_, logits, labels_, rows, C);
  if (counted_ == 0) return 0.0f;
  return static_cast<float>(hostSum(be, losses_, static_cast<size_t>(rows)) / counted_);
}

float* CrossEntropyLoss::backward(Backend& be, float scale, int rows, int C) {
  float perRow = counted_ > 0 ? scale / static_cast<float>(counted_) : 0.0f;
  be.crossEntropyBackward(dLogits_, probs_, labels_, perRow, rows, C);
  return dLogits_;
}

void ElementLoss::layout(Slab& slab, int64_t n, bool backward) {
  losses_ = slab.take<float>(static_cast<size_t>(n));
  dLogits_ = slab.take<float>(backward ? static_cast<size_t>(n) : 0);
}

void ElementLoss::stage(StagedUpload& staged, const float* targets, int64_t n) {
  staged.add(targets_, targets, sizeof(float) * static_cast<size_t>(n));
}

float ElementLoss::loss(Backend& be, const float* logits, int64_t n) {
  if (kind_ == ElementLossKind::BinaryCrossEntropyWithLogits) {
    be.bceWithLogitsForward(losses_, logits, targets_, n);
  } else {
    be.squaredErrorForward(losses_, logits, targets_, n);
  }
  return static_cast<float>(hostSum(be, losses_, static_cast<size_t>(n)) / static_cast<double>(n));
}

float* ElementLoss::backward(Backend& be, const float* logits, float scale, int64_t n) {
  float perElement = scale / static_cast<float>(n);
  if (kind_ == ElementLossKind::BinaryCrossEntropyWithLogits) {
    be.bceWithLogitsBackward(dLogits_, logits, targets_, perElement, n);
  } else {
    be.squaredErrorBackward(dLogits_, logits, targets_, perElement, n);
  }
  return dLogits_;
}

}  // namespace bertnode
