// AVX-512 register shuffles shared by the packers of the AVX-512 fp32 (gemm_avx512.cpp), AVX-512 BF16
// (gemm_bf16_avx512.cpp) and AMX (gemm_amx.cpp) kernels: a 16 x 16 transpose of 32-bit elements and the rounding of
// fp32 to bf16 pairs. Include only inside the kernels' x86/GCC guards; every function inlines into its callers'
// wider target attributes and is only reached after the CPU checks of those callers.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

namespace bertnode::cpu::gemm_detail {
namespace {

// Lanes [0, n) of a 16-lane mask (n clamped to [0, 16]).
inline __mmask16 firstLanes(int n) {
  return n >= 16 ? __mmask16(0xFFFF) : n <= 0 ? __mmask16(0) : __mmask16((1u << n) - 1);
}

// Transposes a 16 x 16 block of 32-bit elements: rows [0, rows) are loaded from src (row stride ld, only the lanes
// in `cols` read, the others zero), the other rows are zero; col[q] receives element q of every row. Three shuffle
// stages (32-bit and 64-bit unpacks within 128-bit lanes, then two 128-bit lane shuffles), 64 shuffles for 256
// elements: several times faster than moving them one by one. The all-lanes masked forms compile to the plain
// instructions; they avoid GCC 12's spurious -Wmaybe-uninitialized from the _mm512_undefined_ps() inside the unmasked
// intrinsics.
__attribute__((target("avx512f"))) inline void transpose16x16(const float* src, int64_t ld, int rows, __mmask16 cols,
                                                              __m512 col[16]) {
  constexpr __mmask16 kAll = 0xFFFF;
  constexpr __mmask8 kAll8 = 0xFF;
  __m512 r[16];
#pragma GCC unroll 16
  for (int i = 0; i < 16; ++i) r[i] = i < rows ? _mm512_maskz_loadu_ps(cols, src + i * ld) : _mm512_setzero_ps();
  __m512 t[16];
#pragma GCC unroll 8
  for (int g = 0; g < 8; ++g) {
    t[2 * g] = _mm512_maskz_unpacklo_ps(kAll, r[2 * g], r[2 * g + 1]);      // per lane: a0 b0 a1 b1
    t[2 * g + 1] = _mm512_maskz_unpackhi_ps(kAll, r[2 * g], r[2 * g + 1]);  // per lane: a2 b2 a3 b3
  }
  __m512 u[16];  // u[4h + j], lane L: column 4L + j of rows 4h .. 4h + 3
#pragma GCC unroll 4
  for (int h = 0; h < 4; ++h) {
    const __m512d lo01 = _mm512_castps_pd(t[4 * h]), hi01 = _mm512_castps_pd(t[4 * h + 1]);
    const __m512d lo23 = _mm512_castps_pd(t[4 * h + 2]), hi23 = _mm512_castps_pd(t[4 * h + 3]);
    u[4 * h + 0] = _mm512_castpd_ps(_mm512_maskz_unpacklo_pd(kAll8, lo01, lo23));
    u[4 * h + 1] = _mm512_castpd_ps(_mm512_maskz_unpackhi_pd(kAll8, lo01, lo23));
    u[4 * h + 2] = _mm512_castpd_ps(_mm512_maskz_unpacklo_pd(kAll8, hi01, hi23));
    u[4 * h + 3] = _mm512_castpd_ps(_mm512_maskz_unpackhi_pd(kAll8, hi01, hi23));
  }
#pragma GCC unroll 4
  for (int j = 0; j < 4; ++j) {
    const __m512 v0 = _mm512_maskz_shuffle_f32x4(kAll, u[j], u[4 + j], 0x88);  // lanes L0 L2 | L0 L2
    const __m512 v1 = _mm512_maskz_shuffle_f32x4(kAll, u[j], u[4 + j], 0xDD);  // lanes L1 L3 | L1 L3
    const __m512 v2 = _mm512_maskz_shuffle_f32x4(kAll, u[8 + j], u[12 + j], 0x88);
    const __m512 v3 = _mm512_maskz_shuffle_f32x4(kAll, u[8 + j], u[12 + j], 0xDD);
    col[j] = _mm512_maskz_shuffle_f32x4(kAll, v0, v2, 0x88);
    col[8 + j] = _mm512_maskz_shuffle_f32x4(kAll, v0, v2, 0xDD);
    col[4 + j] = _mm512_maskz_shuffle_f32x4(kAll, v1, v3, 0x88);
    col[12 + j] = _mm512_maskz_shuffle_f32x4(kAll, v1, v3, 0xDD);
  }
}

// Lane order of _mm512_permutexvar_epi16 that turns [row0 x16 | row1 x16] (16-bit each) into 16 adjacent pairs.
__attribute__((target("avx512f,avx512bw"))) inline __m512i pairInterleave() {
  alignas(64) static const uint16_t kIndex[32] = {0, 16, 1, 17, 2,  18, 3,  19, 4,  20, 5,  21, 6,  22, 7,  23,
                                                  8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};
  return _mm512_load_si512(kIndex);
}

// Rounds r0 and r1 (16 fp32 each) to bf16, nearest even, and interleaves them: 32-bit lane j = (r0[j], r1[j]), the
// pair layout vdpbf16ps and AMX's tdpbf16ps read.
__attribute__((target("avx512f,avx512bw,avx512bf16"))) inline __m512i toBf16Pairs(__m512 r0, __m512 r1,
                                                                                   __m512i order) {
  // cvtne2ps_pbh(a, b) puts b's 16 values in the low half and a's in the high half.
  return _mm512_permutexvar_epi16(order, reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(r1, r0)));
}

// 32 consecutive fp32 (lo = first 16, hi = next 16) rounded to 32 consecutive bf16, nearest even.
__attribute__((target("avx512f,avx512bw,avx512bf16"))) inline __m512i toBf16Row(__m512 lo, __m512 hi) {
  return reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(hi, lo));
}

// dst[0, n) = src[0, n) rounded to bf16, nearest even; nothing at or past n is read or written.
__attribute__((target("avx512f,avx512bw,avx512bf16"))) inline void toBf16Span(uint16_t* dst, const float* src,
                                                                               size_t n) {
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    _mm512_storeu_si512(dst + i, toBf16Row(_mm512_loadu_ps(src + i), _mm512_loadu_ps(src + i + 16)));
  }
  if (i < n) {
    const int left = static_cast<int>(n - i);
    const __m512i row = toBf16Row(_mm512_maskz_loadu_ps(firstLanes(left), src + i),
                                  _mm512_maskz_loadu_ps(firstLanes(left - 16), src + i + 16));
    _mm512_mask_storeu_epi16(dst + i, __mmask32((uint64_t(1) << left) - 1), row);
  }
}

}  // namespace
}  // namespace bertnode::cpu::gemm_detail
