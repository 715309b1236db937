// AVX2 + FMA micro-kernel: a 6 x 16 tile of C held in 12 ymm accumulators (two 8-float vectors per row).
//
// Each k step loads two vectors of packed B and broadcasts 6 packed A values for 12 FMAs; 12 independent chains
// cover two FMA ports x 4-5 cycles of latency, and 12 + 2 + 1 registers fit the 16 ymm registers of AVX2.
// Compiled with the project's generic flags: the functions carry target attributes and are only reached after
// __builtin_cpu_supports said yes.
#include "cpu/gemm_kernels.h"

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define BERTNODE_GEMM_AVX2 1
#include <immintrin.h>

#include "cpu/gemm_pack.h"
#endif

namespace bertnode::cpu::gemm_detail {

#if BERTNODE_GEMM_AVX2
namespace {

#define TARGET_AVX2 __attribute__((target("avx2,fma")))

constexpr int kMR = 6;
constexpr int kNR = 16;

// Lane mask for the first `n` (0..8) of 8 floats: lanes whose index is below n get all bits set.
TARGET_AVX2 inline __m256i laneMask(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

TARGET_AVX2 void kernel6x16(int kc, const float* pa, const float* pb, float* c, int64_t ldc, int m, int n,
                            float alpha, float beta) {
  __m256 lo[kMR], hi[kMR];
#pragma GCC unroll 6
  for (int r = 0; r < kMR; ++r) {
    lo[r] = _mm256_setzero_ps();
    hi[r] = _mm256_setzero_ps();
  }
#pragma GCC unroll 4
  for (int p = 0; p < kc; ++p) {
    const __m256 b0 = _mm256_load_ps(pb);
    const __m256 b1 = _mm256_load_ps(pb + 8);
#pragma GCC unroll 6
    for (int r = 0; r < kMR; ++r) {
      const __m256 a = _mm256_broadcast_ss(pa + r);
      lo[r] = _mm256_fmadd_ps(a, b0, lo[r]);
      hi[r] = _mm256_fmadd_ps(a, b1, hi[r]);
    }
    pa += kMR;
    pb += kNR;
  }
  const __m256 alphaV = _mm256_set1_ps(alpha);
  const __m256 betaV = _mm256_set1_ps(beta);
  const bool readC = beta != 0.0f;
  if (n == kNR) {
#pragma GCC unroll 6
    for (int r = 0; r < kMR; ++r) {
      if (r >= m) break;
      float* row = c + r * ldc;
      __m256 vlo = _mm256_mul_ps(lo[r], alphaV);
      __m256 vhi = _mm256_mul_ps(hi[r], alphaV);
      if (readC) {
        vlo = _mm256_fmadd_ps(_mm256_loadu_ps(row), betaV, vlo);
        vhi = _mm256_fmadd_ps(_mm256_loadu_ps(row + 8), betaV, vhi);
      }
      _mm256_storeu_ps(row, vlo);
      _mm256_storeu_ps(row + 8, vhi);
    }
    return;
  }
  const __m256i maskLo = laneMask(n);
  const __m256i maskHi = laneMask(n - 8);
#pragma GCC unroll 6
  for (int r = 0; r < kMR; ++r) {
    if (r >= m) break;
    float* row = c + r * ldc;
    __m256 vlo = _mm256_mul_ps(lo[r], alphaV);
    __m256 vhi = _mm256_mul_ps(hi[r], alphaV);
    if (readC) {
      vlo = _mm256_fmadd_ps(_mm256_maskload_ps(row, maskLo), betaV, vlo);
      vhi = _mm256_fmadd_ps(_mm256_maskload_ps(row + 8, maskHi), betaV, vhi);
    }
    _mm256_maskstore_ps(row, maskLo, vlo);
    _mm256_maskstore_ps(row + 8, maskHi, vhi);
  }
}

TARGET_AVX2 void packA6(const float* a, int64_t lda, bool trans, int rows, int cols, float* dst) {
  packAImpl<kMR>(a, lda, trans, rows, cols, dst);
}

TARGET_AVX2 void packB16(const float* b, int64_t ldb, bool trans, int rows, int cols, float* dst) {
  packBImpl<kNR>(b, ldb, trans, rows, cols, dst);
}

#undef TARGET_AVX2

// kc x nr of packed B (256 * 16 * 4 B = 16 KB) stays in a 32 KB L1 while A micro-panels stream past it;
// mc x kc of packed A (6 * 32 * 256 * 4 B = 192 KB) fits a 256 KB+ L2; kc x nc of packed B (4 MB) the L3.
const KernelSpec kSpec = {"avx2", kMR, kNR, kMR * 32, 256, 4096, kernel6x16, packA6, packB16};

}  // namespace

const KernelSpec* avx2KernelSpec() {
  static const bool supported = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return supported ? &kSpec : nullptr;
}

#else

const KernelSpec* avx2KernelSpec() { return nullptr; }

#endif

}  // namespace bertnode::cpu::gemm_detail
