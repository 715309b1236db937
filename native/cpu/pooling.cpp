// Sentence-embedding pooling (model/heads/embedding.cpp): masked mean over the tokens and L2 normalisation, as
// sentence-transformers' Pooling and Normalize modules compute them. Inference only, so no backward.
//
// Shapes: in [B,T,H]; mask [B,T] int32 in {0,1}; out [B,H]; x [N,C].
#include <algorithm>
#include <cmath>
#include <cstddef>

#include "cpu/ops.h"

namespace bertnode::cpu {

void maskedMeanPool(float* out, const float* in, const int32_t* mask, int B, int T, int H) {
  for (int b = 0; b < B; ++b) {
    float* o = out + static_cast<size_t>(b) * H;
    std::fill(o, o + H, 0.0f);
    float count = 0.0f;
    for (int t = 0; t < T; ++t) {
      if (mask[static_cast<size_t>(b) * T + t] == 0) continue;
      count += 1.0f;
      const float* row = in + (static_cast<size_t>(b) * T + t) * H;
      for (int h = 0; h < H; ++h) o[h] += row[h];
    }
    float denominator = std::max(count, 1e-9f);  // sentence-transformers' clamp(min=1e-9)
    for (int h = 0; h < H; ++h) o[h] /= denominator;
  }
}

void l2NormalizeRows(float* x, int N, int C) {
  for (int r = 0; r < N; ++r) {
    float* row = x + static_cast<size_t>(r) * C;
    double sum = 0.0;
    for (int c = 0; c < C; ++c) sum += static_cast<double>(row[c]) * row[c];
    float norm = std::max(static_cast<float>(std::sqrt(sum)), 1e-12f);  // F.normalize's eps
    for (int c = 0; c < C; ++c) row[c] /= norm;
  }
}

}  // namespace bertnode::cpu
