// Softmax cross-entropy over the classifier logits, per example, and its gradient.
//
// Shapes: logits/probs/dLogits [B,C]; labels [B] int32, outside [0, C) = ignored row; losses [B].
#include <algorithm>
#include <cmath>
#include <cstddef>

#include "cpu/ops.h"

namespace bertnode::cpu {
namespace {

bool ignored(int32_t label, int C) { return label < 0 || label >= C; }

}  // namespace

// Runs on the calling thread: B*C is a few classes per example, or a masked-LM batch whose rows are cheap next to
// the decoder GEMM that made them.
void crossEntropyForward(float* losses, float* probs, const float* logits, const int32_t* labels, int B, int C) {
  for (int b = 0; b < B; ++b) {
    const float* z = logits + static_cast<size_t>(b) * C;
    float* p = probs + static_cast<size_t>(b) * C;
    float maxValue = z[0];
    for (int c = 1; c < C; ++c) maxValue = std::max(maxValue, z[c]);
    double sum = 0.0;
    for (int c = 0; c < C; ++c) sum += std::exp(static_cast<double>(z[c]) - maxValue);
    double logSum = std::log(sum) + maxValue;
    for (int c = 0; c < C; ++c) p[c] = static_cast<float>(std::exp(static_cast<double>(z[c]) - logSum));
    losses[b] = ignored(labels[b], C) ? 0.0f : static_cast<float>(logSum - z[labels[b]]);
  }
}

void crossEntropyBackward(float* dLogits, const float* probs, const int32_t* labels, float scale, int B, int C) {
  for (int b = 0; b < B; ++b) {
    const float* p = probs + static_cast<size_t>(b) * C;
    float* d = dLogits + static_cast<size_t>(b) * C;
    if (ignored(labels[b], C)) {
      std::fill(d, d + C, 0.0f);
      continue;
    }
    for (int c = 0; c < C; ++c) d[c] = scale * (p[c] - (c == labels[b] ? 1.0f : 0.0f));
  }
}

}  // namespace bertnode::cpu
