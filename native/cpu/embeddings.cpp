// Embedding lookup and its scatter-add backward; [CLS]-row gather/scatter for the classification head.
//
// Shapes: ids, typeIds [B,T] int32; word [V,H]; position [P,H]; tokenType [TV,H]; out/dOut [B,T,H].
#include <cstddef>

#include "cpu/ops.h"
#include "cpu/thread_pool.h"

namespace bertnode::cpu {

void embeddingsForward(float* out, const int32_t* ids, const int32_t* typeIds, const float* word,
                       const float* position, const float* tokenType, int B, int T, int H) {
  size_t rows = static_cast<size_t>(B) * T;
  parallelFor(rows, 16, [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      const float* w = word + static_cast<size_t>(ids[r]) * H;
      const float* p = position + (r % T) * H;
      const float* tt = tokenType + static_cast<size_t>(typeIds[r]) * H;
      float* o = out + r * H;
      // Hugging Face's summation order, (word + type) + position, so the fp32 rounding matches too.
      for (int c = 0; c < H; ++c) o[c] = (w[c] + tt[c]) + p[c];
    }
  });
}

// Threads split the hidden dimension, so every thread owns a column slice of every table row: repeated ids
// accumulate without atomics and the result does not depend on the thread count.
void embeddingsBackward(float* dWord, float* dPosition, float* dTokenType, const float* dOut, const int32_t* ids,
                        const int32_t* typeIds, int B, int T, int H) {
  size_t rows = static_cast<size_t>(B) * T;
  parallelFor(static_cast<size_t>(H), 32, [&](size_t c0, size_t c1) {
    for (size_t r = 0; r < rows; ++r) {
      const float* g = dOut + r * H;
      if (dWord) {
        float* d = dWord + static_cast<size_t>(ids[r]) * H;
        for (size_t c = c0; c < c1; ++c) d[c] += g[c];
      }
      if (dPosition) {
        float* d = dPosition + (r % T) * H;
        for (size_t c = c0; c < c1; ++c) d[c] += g[c];
      }
      if (dTokenType) {
        float* d = dTokenType + static_cast<size_t>(typeIds[r]) * H;
        for (size_t c = c0; c < c1; ++c) d[c] += g[c];
      }
    }
  });
}

void gatherClsRows(float* out, const float* in, int B, int T, int H) {
  for (int b = 0; b < B; ++b) {
    const float* src = in + static_cast<size_t>(b) * T * H;
    float* dst = out + static_cast<size_t>(b) * H;
    for (int c = 0; c < H; ++c) dst[c] = src[c];
  }
}

void scatterClsRows(float* dIn, const float* dOut, int B, int T, int H) {
  for (int b = 0; b < B; ++b) {
    float* dst = dIn + static_cast<size_t>(b) * T * H;
    const float* src = dOut + static_cast<size_t>(b) * H;
    for (int c = 0; c < H; ++c) dst[c] += src[c];
  }
}

}  // namespace bertnode::cpu
