// Inverted dropout whose mask is regenerated from Philox (core/philox.h) on every call, so the backward is the same
// call applied to the incoming gradient and no mask is ever stored.
//
// Shapes: flat, n elements; element i keeps iff dropoutUniform(seed, step, site, i) >= p, and is scaled by 1/(1-p).
// Training calls this three times per trained layer on the [B,NH,T,T] attention probabilities (forward, and twice in
// the backward), so the generator's speed matters: on AVX-512 CPUs 16 Philox blocks (64 elements) run side by side
// in vector registers, 2.6x faster than GCC's vectorisation of the scalar form (0.63 ns per element on 2 Zen 4
// cores, where the 8 bytes each element moves make it memory-bound). The bits, and so the outputs, are identical
// to the scalar path's.
#include <cstddef>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define BERTNODE_DROPOUT_AVX512 1
#endif

#include "core/philox.h"
#include "cpu/dropout_span.h"
#include "cpu/ops.h"
#include "cpu/thread_pool.h"
#include "cpu/vector_math.h"

namespace bertnode::cpu {
namespace {

// Whole Philox blocks [blockBegin, blockEnd), one block (4 elements) at a time: straight-line code per block, so
// GCC vectorises across blocks where AVX-512 is absent (the 32x32->64-bit products map onto vpmuludq).
// out and in hold the elements from `origin` on (element i at out[i - origin]).
BERTNODE_SIMD_CLONES void dropoutBlocks(float* out, const float* in, uint64_t origin, size_t blockBegin,
                                        size_t blockEnd, float p, float keepScale, uint64_t seed, uint64_t step,
                                        uint32_t site) {
  for (size_t blk = blockBegin; blk < blockEnd; ++blk) {
    PhiloxBlock bits = dropoutBlock(seed, step, site, blk);
    for (size_t lane = 0; lane < 4; ++lane) {
      size_t i = blk * 4 + lane - origin;
      float keep = uniformFromBits(bits.v[lane]) >= p ? keepScale : 0.0f;
      out[i] = in[i] * keep;
    }
  }
}

// Elements [begin, end) one at a time (the partial Philox blocks at the ends of a range); same origin rule.
void dropoutElements(float* out, const float* in, uint64_t origin, uint64_t begin, uint64_t end, float p,
                     float keepScale, uint64_t seed, uint64_t step, uint32_t site) {
  for (uint64_t i = begin; i < end; ++i) {
    float keep = dropoutUniform(seed, step, site, i) >= p ? keepScale : 0.0f;
    out[i - origin] = in[i - origin] * keep;
  }
}

#ifdef BERTNODE_DROPOUT_AVX512

// GCC 12's AVX-512 intrinsics build their "undefined" operands from a self-initialised variable, which
// -Wmaybe-uninitialized reports at every inlined call; the values are never read.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

// The high 32 bits of the 32x32-bit products a[j] * k, for the 16 lanes: vpmuludq multiplies the even lanes, so the
// odd ones are shifted down first; the high halves are then merged back into their own lanes.
__attribute__((target("avx512f"))) inline __m512i mulHi(__m512i a, __m512i k) {
  __m512i even = _mm512_srli_epi64(_mm512_mul_epu32(a, k), 32);
  __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), k);
  return _mm512_mask_blend_epi32(0xAAAA, even, odd);
}

// The same blocks as dropoutBlocks, 16 at a time: lane j of the four counter words v0..v3 is block blk + j, and
// the ten rounds are philox4x32_10's, word for word. The 4 x 16 result (word w of block j) is then transposed to
// element order (element 4j + w) by unpacking 32-bit, then 64-bit pairs (giving 128-bit lanes that each hold one
// block) and reordering the 128-bit lanes.
__attribute__((target("avx512f"))) void dropoutBlocksAvx512(float* out, const float* in, uint64_t origin,
                                                            size_t blockBegin, size_t blockEnd, float p,
                                                            float keepScale, uint64_t seed, uint64_t step,
                                                            uint32_t site) {
  const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i mul0 = _mm512_set1_epi32(static_cast<int>(0xD2511F53u));
  const __m512i mul1 = _mm512_set1_epi32(static_cast<int>(0xCD9E8D57u));
  __m512i key0[10], key1[10];
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    key0[round] = _mm512_set1_epi32(static_cast<int>(k0));
    key1[round] = _mm512_set1_epi32(static_cast<int>(k1));
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  const __m512i siteWord = _mm512_set1_epi32(static_cast<int>(site));
  const __m512i stepWord = _mm512_set1_epi32(static_cast<int>(static_cast<uint32_t>(step)));
  const __m512 threshold = _mm512_set1_ps(p);
  const __m512 scale = _mm512_set1_ps(keepScale);
  const __m512 toUnit = _mm512_set1_ps(1.0f / 16777216.0f);

  size_t blk = blockBegin;
  for (; blk + 16 <= blockEnd; blk += 16) {
    // Block numbers blk .. blk+15 as (lo32, hi32), carrying into the high word where the low one wraps.
    const __m512i base = _mm512_set1_epi32(static_cast<int>(static_cast<uint32_t>(blk)));
    const __m512i high = _mm512_set1_epi32(static_cast<int>(static_cast<uint32_t>(blk >> 32)));
    __m512i v0 = _mm512_add_epi32(base, iota);
    __mmask16 wrapped = _mm512_cmplt_epu32_mask(v0, base);
    __m512i v1 = _mm512_mask_add_epi32(high, wrapped, high, _mm512_set1_epi32(1));
    __m512i v2 = siteWord, v3 = stepWord;
    for (int round = 0; round < 10; ++round) {
      __m512i hi0 = mulHi(v0, mul0), lo0 = _mm512_mullo_epi32(v0, mul0);
      __m512i hi1 = mulHi(v2, mul1), lo1 = _mm512_mullo_epi32(v2, mul1);
      v0 = _mm512_xor_si512(_mm512_xor_si512(hi1, v1), key0[round]);
      v1 = lo1;
      v2 = _mm512_xor_si512(_mm512_xor_si512(hi0, v3), key1[round]);
      v3 = lo0;
    }
    // Transpose: u_r's 128-bit lane k is block 4k + r, then out_q holds blocks 4q .. 4q+3.
    __m512i t0 = _mm512_unpacklo_epi32(v0, v1), t1 = _mm512_unpackhi_epi32(v0, v1);
    __m512i t2 = _mm512_unpacklo_epi32(v2, v3), t3 = _mm512_unpackhi_epi32(v2, v3);
    __m512i u0 = _mm512_unpacklo_epi64(t0, t2), u1 = _mm512_unpackhi_epi64(t0, t2);
    __m512i u2 = _mm512_unpacklo_epi64(t1, t3), u3 = _mm512_unpackhi_epi64(t1, t3);
    __m512i a = _mm512_shuffle_i32x4(u0, u1, 0x88), b = _mm512_shuffle_i32x4(u2, u3, 0x88);
    __m512i c = _mm512_shuffle_i32x4(u0, u1, 0xDD), d = _mm512_shuffle_i32x4(u2, u3, 0xDD);
    const __m512i words[4] = {_mm512_shuffle_i32x4(a, b, 0x88), _mm512_shuffle_i32x4(c, d, 0x88),
                              _mm512_shuffle_i32x4(a, b, 0xDD), _mm512_shuffle_i32x4(c, d, 0xDD)};
    for (int q = 0; q < 4; ++q) {
      // uniformFromBits: (bits >> 8) * 2^-24, exact in fp32; keep where >= p, multiplied like the scalar path.
      __m512 uniform = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_srli_epi32(words[q], 8)), toUnit);
      __mmask16 keep = _mm512_cmp_ps_mask(uniform, threshold, _CMP_GE_OQ);
      size_t i = blk * 4 + 16 * static_cast<size_t>(q) - origin;
      __m512 factor = _mm512_maskz_mov_ps(keep, scale);
      _mm512_storeu_ps(out + i, _mm512_mul_ps(_mm512_loadu_ps(in + i), factor));
    }
  }
  dropoutBlocks(out, in, origin, blk, blockEnd, p, keepScale, seed, step, site);
}

#pragma GCC diagnostic pop

bool hasAvx512() {
  static const bool supported = __builtin_cpu_supports("avx512f");
  return supported;
}

#endif

}  // namespace

void dropout(float* out, const float* in, int64_t n, float p, uint64_t seed, uint64_t step, uint32_t site) {
  const float keepScale = 1.0f / (1.0f - p);
  const size_t fullBlocks = static_cast<size_t>(n) / 4;
  parallelFor(fullBlocks, 1024, [&](size_t begin, size_t end) {
#ifdef BERTNODE_DROPOUT_AVX512
    if (hasAvx512()) return dropoutBlocksAvx512(out, in, 0, begin, end, p, keepScale, seed, step, site);
#endif
    dropoutBlocks(out, in, 0, begin, end, p, keepScale, seed, step, site);
  });
  dropoutElements(out, in, 0, fullBlocks * 4, static_cast<uint64_t>(n), p, keepScale, seed, step, site);
}

void dropoutRows(float* out, const float* in, int rows, int C, int64_t counterRowStride, float p, uint64_t seed,
                 uint64_t step, uint32_t site) {
  parallelFor(static_cast<size_t>(rows), 1, [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      const size_t at = r * static_cast<size_t>(C);
      dropoutSpan(out + at, in + at, r * static_cast<uint64_t>(counterRowStride), static_cast<size_t>(C), p, seed,
                  step, site);
    }
  });
}

void dropoutSpan(float* out, const float* in, uint64_t first, size_t n, float p, uint64_t seed, uint64_t step,
                 uint32_t site) {
  const float keepScale = 1.0f / (1.0f - p);
  const uint64_t end = first + n;
  // A partial Philox block at either end goes element by element; the whole blocks between run vectorised.
  const uint64_t blockBegin = (first + 3) / 4, blockEnd = end / 4;
  if (blockBegin >= blockEnd) return dropoutElements(out, in, first, first, end, p, keepScale, seed, step, site);
  dropoutElements(out, in, first, first, blockBegin * 4, p, keepScale, seed, step, site);
#ifdef BERTNODE_DROPOUT_AVX512
  if (hasAvx512()) {
    dropoutBlocksAvx512(out, in, first, blockBegin, blockEnd, p, keepScale, seed, step, site);
  } else {
    dropoutBlocks(out, in, first, blockBegin, blockEnd, p, keepScale, seed, step, site);
  }
#else
  dropoutBlocks(out, in, first, blockBegin, blockEnd, p, keepScale, seed, step, site);
#endif
  dropoutElements(out, in, first, blockEnd * 4, end, p, keepScale, seed, step, site);
}

}  // namespace bertnode::cpu
