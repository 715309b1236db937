// Elementwise losses of the task heads: binary cross-entropy with logits (multi-label classification) and squared
// error (regression), with their gradients. The heads reduce the per-element losses to a mean on the host.
//
// Shapes: every array has n elements (logits [B,C] flattened).
#include <cmath>

#include "cpu/ops.h"

namespace bertnode::cpu {

// torch's binary_cross_entropy_with_logits: max(x,0) - x*y + log1p(exp(-|x|)), stable for large |x|.
void bceWithLogitsForward(float* losses, const float* logits, const float* targets, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    float x = logits[i];
    losses[i] = std::fmax(x, 0.0f) - x * targets[i] + std::log1p(std::exp(-std::fabs(x)));
  }
}

void bceWithLogitsBackward(float* dLogits, const float* logits, const float* targets, float scale, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    float sigmoid = 1.0f / (1.0f + std::exp(-logits[i]));
    dLogits[i] = scale * (sigmoid - targets[i]);
  }
}

void squaredErrorForward(float* losses, const float* x, const float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    float diff = x[i] - y[i];
    losses[i] = diff * diff;
  }
}

void squaredErrorBackward(float* dX, const float* x, const float* y, float scale, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dX[i] = scale * 2.0f * (x[i] - y[i]);
}

}  // namespace bertnode::cpu
