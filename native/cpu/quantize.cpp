// quantize.h: the AVX-512 path rounds with vcvtps2dq under the default MXCSR (round to nearest even), which is what
// std::nearbyint does in the default floating-point environment, so both paths give the same bytes.
#include "cpu/quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#if defined(__GNUC__) && defined(__x86_64__)
#define BERTNODE_QUANTIZE_AVX512 1
#include <immintrin.h>
#endif

namespace bertnode::cpu {
namespace {

float maxAbsPortable(const float* x, int K) {
  float m = 0.0f;
  for (int k = 0; k < K; ++k) m = std::max(m, std::fabs(x[k]));
  return m;
}

void roundPortable(const float* x, int K, float inverse, int8_t* q) {
  for (int k = 0; k < K; ++k) {
    const float r = std::nearbyint(x[k] * inverse);
    q[k] = static_cast<int8_t>(std::min(127.0f, std::max(-127.0f, r)));
  }
}

void dequantizePortable(const int32_t* acc, int n, float rowScale, const float* colScales, const float* bias,
                        float* y) {
  for (int j = 0; j < n; ++j) {
    const float scaled = static_cast<float>(acc[j]) * (rowScale * colScales[j]);
    y[j] = bias ? scaled + bias[j] : scaled;
  }
}

#if BERTNODE_QUANTIZE_AVX512
// GCC 12's AVX-512 intrinsics build their "undefined" operands from a self-initialised variable, which
// -W(maybe-)uninitialized reports at every inlined call; the values are never read.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#define TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl")))

TARGET_AVX512 inline __mmask16 lanes(int n) {
  return n >= 16 ? __mmask16(0xFFFF) : n <= 0 ? __mmask16(0) : __mmask16((1u << n) - 1);
}

TARGET_AVX512 float maxAbsAvx512(const float* x, int K) {
  __m512 m = _mm512_setzero_ps();
  for (int k = 0; k < K; k += 16) m = _mm512_max_ps(m, _mm512_abs_ps(_mm512_maskz_loadu_ps(lanes(K - k), x + k)));
  return _mm512_reduce_max_ps(m);
}

TARGET_AVX512 void roundAvx512(const float* x, int K, float inverse, int8_t* q) {
  const __m512 inv = _mm512_set1_ps(inverse);
  const __m512i lo = _mm512_set1_epi32(-127), hi = _mm512_set1_epi32(127);
  for (int k = 0; k < K; k += 16) {
    const __mmask16 m = lanes(K - k);
    __m512i r = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + k), inv));
    r = _mm512_min_epi32(_mm512_max_epi32(r, lo), hi);
    _mm_mask_storeu_epi8(q + k, m, _mm512_cvtepi32_epi8(r));
  }
}

// GCC contracts the product and the bias add below into one vfmadd (one rounding, not two) where FMA is available,
// unless told not to; the portable path (baseline x86-64 has no FMA) and the tests round twice. Clang contracts only
// within one source expression, which the intrinsics' inline bodies keep apart, and has no such attribute.
#if defined(__clang__)
#define NO_FP_CONTRACT
#else
#define NO_FP_CONTRACT __attribute__((optimize("fp-contract=off")))
#endif
NO_FP_CONTRACT TARGET_AVX512 void dequantizeAvx512(const int32_t* acc, int n, float rowScale, const float* colScales,
                                   const float* bias, float* y) {
  const __m512 sx = _mm512_set1_ps(rowScale);
  for (int j = 0; j < n; j += 16) {
    const __mmask16 m = lanes(n - j);
    const __m512 scale = _mm512_mul_ps(sx, _mm512_maskz_loadu_ps(m, colScales + j));
    __m512 out = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_maskz_loadu_epi32(m, acc + j)), scale);
    if (bias) out = _mm512_add_ps(out, _mm512_maskz_loadu_ps(m, bias + j));
    _mm512_mask_storeu_ps(y + j, m, out);
  }
}

#undef NO_FP_CONTRACT
#undef TARGET_AVX512
#pragma GCC diagnostic pop

#endif

struct RowOps {
  float (*maxAbs)(const float* x, int K);
  void (*round)(const float* x, int K, float inverse, int8_t* q);
  void (*dequantize)(const int32_t* acc, int n, float rowScale, const float* colScales, const float* bias, float* y);
};

const RowOps& rowOps() {
#if BERTNODE_QUANTIZE_AVX512
  static const RowOps ops = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                                        __builtin_cpu_supports("avx512vl")
                                ? RowOps{maxAbsAvx512, roundAvx512, dequantizeAvx512}
                                : RowOps{maxAbsPortable, roundPortable, dequantizePortable};
#else
  static const RowOps ops{maxAbsPortable, roundPortable, dequantizePortable};
#endif
  return ops;
}

}  // namespace

float quantizeRowInt8(const float* x, int K, int paddedK, int8_t* q) {
  const RowOps& ops = rowOps();
  std::memset(q + K, 0, static_cast<size_t>(paddedK - K));
  const float maxAbs = ops.maxAbs(x, K);
  if (maxAbs == 0.0f) {
    std::memset(q, 0, static_cast<size_t>(K));
    return 0.0f;
  }
  ops.round(x, K, 127.0f / maxAbs, q);
  return maxAbs / 127.0f;
}

void dequantizeRowInt8(const int32_t* acc, int n, float rowScale, const float* colScales, const float* bias,
                       float* y) {
  rowOps().dequantize(acc, n, rowScale, colScales, bias, y);
}

}  // namespace bertnode::cpu
