// Write-back of one row of a 32-column AVX-512 micro-tile, shared by the fp32 and bf16 micro-kernels:
//   c[0..32) = alpha * (lo | hi) + beta * c   (C read only when readC; masked lanes past n are neither read nor written)
// Only AVX-512F instructions, so both kernels' wider target attributes inline it.
// Include only where <immintrin.h> is available (inside the kernels' x86/GCC guards).
#pragma once

#include <immintrin.h>

namespace bertnode::cpu::gemm_detail {

__attribute__((target("avx512f"))) inline void storeTileRow(float* c, __m512 lo, __m512 hi, __mmask16 maskLo,
                                                            __mmask16 maskHi, bool full, __m512 alpha, __m512 beta,
                                                            bool readC) {
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

}  // namespace bertnode::cpu::gemm_detail
