// Attention helpers: head split/merge permutes and the masked, scaled softmax with its backward.
//
// Shapes: in/out of the permutes [B,T,NH*D] <-> [B,NH,T,D]; scores/probs/dProbs/dScores [B,NH,T,T] (query t, key s);
// mask [B,T] int32 (1 = token, 0 = padding).
#include <algorithm>
#include <cmath>
#include <cstddef>

#include "cpu/ops.h"
#include "cpu/thread_pool.h"

namespace bertnode::cpu {

void splitHeads(float* out, const float* in, int B, int T, int NH, int D) {
  size_t rows = static_cast<size_t>(B) * T;  // one (b, t) row of `in` per task item
  size_t width = static_cast<size_t>(NH) * D;
  parallelFor(rows, 32, [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      size_t b = r / T, t = r % T;
      const float* src = in + r * width;
      for (int h = 0; h < NH; ++h) {
        float* dst = out + ((b * NH + h) * T + t) * D;
        for (int d = 0; d < D; ++d) dst[d] = src[static_cast<size_t>(h) * D + d];
      }
    }
  });
}

void mergeHeads(float* out, const float* in, int B, int T, int NH, int D) {
  size_t rows = static_cast<size_t>(B) * T;
  size_t width = static_cast<size_t>(NH) * D;
  parallelFor(rows, 32, [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      size_t b = r / T, t = r % T;
      float* dst = out + r * width;
      for (int h = 0; h < NH; ++h) {
        const float* src = in + ((b * NH + h) * T + t) * D;
        for (int d = 0; d < D; ++d) dst[static_cast<size_t>(h) * D + d] = src[d];
      }
    }
  });
}

// Equivalent to Hugging Face's softmax(scale * scores + (1 - mask) * finfo.min): in fp32 the masked terms
// underflow to exactly 0, and a fully masked row becomes uniform, which is what we produce explicitly.
void attentionSoftmaxForward(float* probs, const float* scores, const int32_t* mask, float scale, int B, int NH,
                             int T) {
  size_t rows = static_cast<size_t>(B) * NH * T;
  parallelFor(rows, 16, [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      size_t b = r / (static_cast<size_t>(NH) * T);
      const int32_t* m = mask + b * T;
      const float* s = scores + r * T;
      float* p = probs + r * T;
      float maxValue = -INFINITY;
      for (int k = 0; k < T; ++k) {
        if (m[k] != 0) maxValue = std::max(maxValue, scale * s[k]);
      }
      if (maxValue == -INFINITY) {
        for (int k = 0; k < T; ++k) p[k] = 1.0f / static_cast<float>(T);
        continue;
      }
      float sum = 0.0f;
      for (int k = 0; k < T; ++k) {
        float e = m[k] != 0 ? std::exp(scale * s[k] - maxValue) : 0.0f;
        p[k] = e;
        sum += e;
      }
      float inv = 1.0f / sum;
      for (int k = 0; k < T; ++k) p[k] *= inv;
    }
  });
}

void attentionSoftmaxBackward(float* dScores, const float* dProbs, const float* probs, float scale, int B, int NH,
                              int T) {
  size_t rows = static_cast<size_t>(B) * NH * T;
  parallelFor(rows, 16, [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      const float* dp = dProbs + r * T;
      const float* p = probs + r * T;
      float* ds = dScores + r * T;
      float dot = 0.0f;
      for (int k = 0; k < T; ++k) dot += dp[k] * p[k];
      for (int k = 0; k < T; ++k) ds[k] = scale * p[k] * (dp[k] - dot);
    }
  });
}

}  // namespace bertnode::cpu
