// GELU (exact erf form) on 16 fp32 lanes with AVX-512F, shared by the GELU op (gelu.cpp, where the CPU has AVX-512) and
// the bf16 Linear's epilogue (linear_bf16_amx.cpp), so that the composed and the bf16-activation paths compute the
// same GELU bits. cpu/vector_math.h's formula (Numerical Recipes' erfc fit and Cephes' exp), written with
// intrinsics: the reciprocal 1 / (1 + |z| / 2) comes from vrcp14ps and one Newton step (relative error ~2^-28)
// instead of a division, which alone costs more than the rest of the formula.
//
// Include only inside an x86/GCC guard; the functions carry their own target and are reached only after a CPU check.
#pragma once

#include <immintrin.h>

namespace bertnode::cpu::avx512 {

// The all-lanes masked forms compile to the plain instructions and avoid GCC 12's spurious -Wuninitialized from the
// _mm512_undefined_ps() inside the unmasked intrinsics (as in gemm_avx512_shuffle.h).
constexpr __mmask16 kAll = 0xFFFF;

// exp(e) for e <= 0 by cpu/vector_math.h's vexp steps (Cephes: n = round(e / ln2), r = e - n ln2 in two parts, a
// degree-6 polynomial), with 2^n applied by vscalefps; e below -87.3 is raised to -87.3 as there.
__attribute__((target("avx512f"))) inline __m512 exp16(__m512 e) {
  e = _mm512_maskz_max_ps(kAll, e, _mm512_set1_ps(-87.3f));
  const __m512 n = _mm512_maskz_roundscale_ps(kAll, _mm512_mul_ps(e, _mm512_set1_ps(1.44269504088896341f)),
                                              _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), e);
  r = _mm512_fmadd_ps(n, _mm512_set1_ps(2.12194440e-4f), r);
  const __m512 r2 = _mm512_mul_ps(r, r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_add_ps(_mm512_fmadd_ps(p, r2, r), _mm512_set1_ps(1.0f));
  return _mm512_maskz_scalef_ps(kAll, p, n);
}

// gelu(x) = x * Phi(x) with cpu/vector_math.h's vnormalCdf (the Numerical Recipes erfc fit, fractional error < 1.2e-7),
// its reciprocal 1 / (1 + |z| / 2) from vrcp14ps and one Newton step (relative error ~2^-28) instead of a division:
// a 512-bit division alone costs more than the rest of the formula. Within ~3e-7 relative of the exact GELU.
__attribute__((target("avx512f"))) inline __m512 gelu16(__m512 x) {
  const __m512 z = _mm512_mul_ps(x, _mm512_set1_ps(0.70710678118654752f));
  const __m512 a = _mm512_maskz_max_ps(kAll, z, _mm512_sub_ps(_mm512_setzero_ps(), z));  // |z|
  const __m512 d = _mm512_fmadd_ps(a, _mm512_set1_ps(0.5f), _mm512_set1_ps(1.0f));
  __m512 t = _mm512_maskz_rcp14_ps(kAll, d);
  t = _mm512_mul_ps(t, _mm512_fnmadd_ps(d, t, _mm512_set1_ps(2.0f)));
  __m512 p = _mm512_set1_ps(0.17087277f);
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-0.82215223f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.48851587f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-1.13520398f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.27886807f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-0.18628806f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.09678418f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.37409196f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.00002368f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-1.26551223f));
  const __m512 halfErfc = _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), t), exp16(_mm512_fnmadd_ps(a, a, p)));
  // Phi = 1 - halfErfc for z > 0, halfErfc otherwise (the left tail stays exact).
  const __mmask16 positive = _mm512_cmp_ps_mask(z, _mm512_setzero_ps(), _CMP_GT_OQ);
  const __m512 phi = _mm512_mask_sub_ps(halfErfc, positive, _mm512_set1_ps(1.0f), halfErfc);
  return _mm512_mul_ps(x, phi);
}

}  // namespace bertnode::cpu::avx512
