// Attention helpers: head split/merge permutes and the masked, scaled softmax with its backward (row by row in
// attention_rows.h, which the fused kernels share).
//
// Shapes: in/out of the permutes [B,T,NH*D] <-> [B,NH,T,D]; scores/probs/dProbs/dScores [B,NH,T,T] (query t, key s);
// mask [B,T] int32 (1 = token, 0 = padding).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>

#include "cpu/attention_rows.h"
#include "cpu/ops.h"
#include "cpu/thread_pool.h"
#include "cpu/vector_math.h"

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

namespace {

// exp(scale * s - maxValue) for the unmasked keys, exactly 0 for the masked ones. Kept free of reductions and
// branches so it vectorises: masked keys get a -1e30 offset (vexp turns it into ~1e-38) and are then multiplied by
// exactly 0. softmaxRow and softmaxRowFromStats both run this one loop, so the fused backward rebuilds the forward's
// probabilities bit for bit (a second copy could be contracted into FMAs differently).
BERTNODE_SIMD_CLONES void maskedExpRow(float* p, const float* s, const int32_t* mask, float scale, float maxValue,
                                       int T) {
  for (int k = 0; k < T; ++k) {
    float keep = mask[k] != 0 ? 1.0f : 0.0f;
    float offset = mask[k] != 0 ? 0.0f : -1e30f;
    p[k] = keep * vexp(scale * s[k] - maxValue + offset);
  }
}

BERTNODE_SIMD_CLONES void scaleRow(float* p, float factor, int T) {
  for (int k = 0; k < T; ++k) p[k] *= factor;
}

void uniformRow(float* p, int T) {
  for (int k = 0; k < T; ++k) p[k] = 1.0f / static_cast<float>(T);
}

// The max and the sum run over kLanes independent partial results: a single running max or sum is a serial chain
// (~4 cycles per key) that GCC may not reorder without -ffast-math, and that chain cost more than the exps themselves.
// The lanes are one GCC vector (16 floats: a zmm register in the AVX-512 clone, four xmm in the baseline one): GCC
// left the equivalent 16-element array loops scalar (vmaxss/vaddss per lane), which made the row max cost as much as
// the exps. Lane l sees the same keys in the same order either way, so the results are the same bits.
constexpr int kLanes = 16;
typedef float Lanes __attribute__((vector_size(kLanes * sizeof(float))));
typedef int32_t LaneInts __attribute__((vector_size(kLanes * sizeof(int32_t))));

BERTNODE_SIMD_CLONES float maskedRowMax(const float* s, const int32_t* mask, float scale, int T) {
  const Lanes minusInf = Lanes{} - INFINITY;
  Lanes laneMax = minusInf;
  int k = 0;
  for (; k + kLanes <= T; k += kLanes) {
    Lanes scores;
    LaneInts keep;
    std::memcpy(&scores, s + k, sizeof(scores));
    std::memcpy(&keep, mask + k, sizeof(keep));
    // A masked key's score is replaced by -inf; lanes compare as `max < v ? v : max`, which ignores NaN.
    const Lanes v = keep != 0 ? scale * scores : minusInf;
    laneMax = laneMax < v ? v : laneMax;
  }
  float maxValue = -INFINITY;
  for (; k < T; ++k) {
    if (mask[k] != 0) maxValue = std::max(maxValue, scale * s[k]);
  }
  for (int l = 0; l < kLanes; ++l) maxValue = std::max(maxValue, laneMax[l]);
  return maxValue;
}

BERTNODE_SIMD_CLONES float rowSum(const float* p, int T) {
  Lanes laneSum = {};
  int k = 0;
  for (; k + kLanes <= T; k += kLanes) {
    Lanes values;
    std::memcpy(&values, p + k, sizeof(values));
    laneSum += values;
  }
  float sum = 0.0f;
  for (; k < T; ++k) sum += p[k];
  for (int l = 0; l < kLanes; ++l) sum += laneSum[l];
  return sum;
}

}  // namespace

void softmaxRow(float* p, const float* s, const int32_t* mask, float scale, int T, float* stats) {
  float maxValue = maskedRowMax(s, mask, scale, T);
  float inv = 1.0f / static_cast<float>(T);
  if (maxValue == -INFINITY) {  // no unmasked key
    uniformRow(p, T);
  } else {
    maskedExpRow(p, s, mask, scale, maxValue, T);
    inv = 1.0f / rowSum(p, T);
    scaleRow(p, inv, T);
  }
  if (stats) {
    stats[0] = maxValue;
    stats[1] = inv;
  }
}

void softmaxRowFromStats(float* p, const float* s, const int32_t* mask, float scale, int T, const float* stats) {
  if (stats[0] == -INFINITY) return uniformRow(p, T);
  maskedExpRow(p, s, mask, scale, stats[0], T);
  scaleRow(p, stats[1], T);
}

// Equivalent to Hugging Face's softmax(scale * scores + (1 - mask) * finfo.min): in fp32 the masked terms
// underflow to exactly 0, and a fully masked row becomes uniform, which is what we produce explicitly.
void attentionSoftmaxForward(float* probs, const float* scores, const int32_t* mask, float scale, int B, int NH,
                             int Q, int T) {
  size_t rows = static_cast<size_t>(B) * NH * Q;
  parallelFor(rows, 16, [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      size_t b = r / (static_cast<size_t>(NH) * Q);
      softmaxRow(probs + r * T, scores + r * T, mask + b * T, scale, T, nullptr);
    }
  });
}

BERTNODE_SIMD_CLONES void softmaxRowBackward(float* ds, const float* dp, const float* p, float scale, int T) {
  float dot = static_cast<float>(laneSum(T, [&](int k) { return dp[k] * p[k]; }));
  for (int k = 0; k < T; ++k) ds[k] = scale * p[k] * (dp[k] - dot);
}

void attentionSoftmaxBackward(float* dScores, const float* dProbs, const float* probs, float scale, int B, int NH,
                              int Q, int T) {
  size_t rows = static_cast<size_t>(B) * NH * Q;
  parallelFor(rows, 16, [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) softmaxRowBackward(dScores + r * T, dProbs + r * T, probs + r * T, scale, T);
  });
}

}  // namespace bertnode::cpu
