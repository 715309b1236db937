// AVX-512 micro-kernel: a 14 x 32 tile of C held in 28 zmm accumulators (two 16-float vectors per row).
//
// Each k step loads two vectors of packed B and broadcasts 14 packed A values, so 28 FMAs cost 16 loads: on
// Zen 4 (one 512-bit FMA per cycle per core, two 256-bit halves) and Skylake-X (two per cycle) the loads stay well
// under the load ports' limit and 28 independent chains hide the 4-cycle FMA latency.
// Compiled with the project's generic flags: every function that uses AVX-512 carries a target attribute and
// is only reached after __builtin_cpu_supports said yes.
#include "cpu/gemm_kernels.h"

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define BERTNODE_GEMM_AVX512 1
#include <immintrin.h>

#include "cpu/gemm_pack.h"
#endif

namespace bertnode::cpu::gemm_detail {

#if BERTNODE_GEMM_AVX512
namespace {

#define TARGET_AVX512 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,fma,avx2")))

constexpr int kMR = 14;
constexpr int kNR = 32;

TARGET_AVX512 inline void storeRow(float* c, __m512 lo, __m512 hi, __mmask16 maskLo, __mmask16 maskHi,
                                   bool full, __m512 alpha, __m512 beta, bool readC) {
  lo = _mm512_mul_ps(lo, alpha);
  hi = _mm512_mul_ps(hi, alpha);
  if (full) {
    if (readC) {
      lo = _mm512_fmadd_ps(_mm512_loadu_ps(c), beta, lo);
      hi = _mm512_fmadd_ps(_mm512_loadu_ps(c + 16), beta, hi);
    }
    _mm512_storeu_ps(c, lo);
    _mm512_storeu_ps(c + 16, hi);
  } else {
    if (readC) {
      lo = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(maskLo, c), beta, lo);
      hi = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(maskHi, c + 16), beta, hi);
    }
    _mm512_mask_storeu_ps(c, maskLo, lo);
    _mm512_mask_storeu_ps(c + 16, maskHi, hi);
  }
}

TARGET_AVX512 void kernel14x32(int kc, const float* pa, const float* pb, float* c, int64_t ldc, int m, int n,
                               float alpha, float beta) {
  __m512 lo[kMR], hi[kMR];
#pragma GCC unroll 14
  for (int r = 0; r < kMR; ++r) {
    lo[r] = _mm512_setzero_ps();
    hi[r] = _mm512_setzero_ps();
  }
#pragma GCC unroll 2
  for (int p = 0; p < kc; ++p) {
    const __m512 b0 = _mm512_load_ps(pb);
    const __m512 b1 = _mm512_load_ps(pb + 16);
#pragma GCC unroll 14
    for (int r = 0; r < kMR; ++r) {
      const __m512 a = _mm512_set1_ps(pa[r]);
      lo[r] = _mm512_fmadd_ps(a, b0, lo[r]);
      hi[r] = _mm512_fmadd_ps(a, b1, hi[r]);
    }
    pa += kMR;
    pb += kNR;
  }
  const bool full = n == kNR;
  const __mmask16 maskLo = n >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1);
  const __mmask16 maskHi = n >= 32 ? __mmask16(0xFFFF) : n > 16 ? __mmask16((1u << (n - 16)) - 1) : __mmask16(0);
  const __m512 alphaV = _mm512_set1_ps(alpha);
  const __m512 betaV = _mm512_set1_ps(beta);
  const bool readC = beta != 0.0f;
#pragma GCC unroll 14
  for (int r = 0; r < kMR; ++r) {
    if (r < m) storeRow(c + r * ldc, lo[r], hi[r], maskLo, maskHi, full, alphaV, betaV, readC);
  }
}

TARGET_AVX512 void packA14(const float* a, int64_t lda, bool trans, int rows, int cols, float* dst) {
  packAImpl<kMR>(a, lda, trans, rows, cols, dst);
}

TARGET_AVX512 void packB32(const float* b, int64_t ldb, bool trans, int rows, int cols, float* dst) {
  packBImpl<kNR>(b, ldb, trans, rows, cols, dst);
}

#undef TARGET_AVX512

// mc x kc of packed A (14 * 24 * 384 * 4 B = 516 KB) sits in the 1 MB L2 of Zen 4 beside the B micro-panel
// stream; kc x nc of packed B (4.7 MB) in the shared L3; one 14 x 384 A micro-panel (21 KB) fits L1.
const KernelSpec kSpec = {"avx512", kMR, kNR, kMR * 24, 384, 3072, kernel14x32, packA14, packB32};

}  // namespace

const KernelSpec* avx512KernelSpec() {
  static const bool supported = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                                __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
  return supported ? &kSpec : nullptr;
}

#else

const KernelSpec* avx512KernelSpec() { return nullptr; }

#endif

}  // namespace bertnode::cpu::gemm_detail
