// AVX-512 VNNI int8 block kernel (gemm_int8_kernels.h): vpdpbusd multiplies unsigned bytes by signed bytes, four per
// 32-bit lane, and adds them to the lane. The activations are signed, so each is offset by 128 (x ^ 0x80 as an
// unsigned byte is x + 128) and the sums corrected afterwards: sum (x + 128) w = sum x w + 128 * colsum(w).
// A packed weight group (16 columns x 4 k, 64 bytes) is exactly one zmm of vpdpbusd's second source.
// Tile: 4 rows x 4 panels (64 columns) = 16 accumulators; the four rows' groups are broadcast one at a time.
#include "cpu/gemm_int8_kernels.h"

#if defined(__GNUC__) && defined(__x86_64__)
#define BERTNODE_INT8_VNNI 1
#include <immintrin.h>

#include <cstring>
#endif

namespace bertnode::cpu::int8_detail {

#if BERTNODE_INT8_VNNI
namespace {

// GCC 12's AVX-512 intrinsics build their "undefined" operands from a self-initialised variable, which
// -W(maybe-)uninitialized reports at every inlined call; the values are never read.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#define TARGET_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

constexpr int kTileRows = 4;
constexpr int kPanels = kBlockCols / kPanelCols;

TARGET_VNNI void blockVnni(const int8_t* a, int64_t lda, const int8_t* b, int paddedK, const int32_t* colSums,
                           int32_t* c) {
  const int64_t panelBytes = int64_t(kPanelCols) * paddedK;
  const int groups = paddedK / kKGroup;
  const __m512i offset = _mm512_set1_epi32(static_cast<int32_t>(0x80808080u));
  __m512i correction[kPanels];
  for (int p = 0; p < kPanels; ++p) {
    correction[p] = _mm512_slli_epi32(_mm512_loadu_si512(colSums + p * kPanelCols), 7);
  }
  for (int r0 = 0; r0 < kBlockRows; r0 += kTileRows) {
    __m512i acc[kTileRows][kPanels];
    for (int r = 0; r < kTileRows; ++r) {
      for (int p = 0; p < kPanels; ++p) acc[r][p] = _mm512_setzero_si512();
    }
    for (int g = 0; g < groups; ++g) {
      __m512i w[kPanels];
      for (int p = 0; p < kPanels; ++p) w[p] = _mm512_loadu_si512(b + p * panelBytes + int64_t(g) * 64);
      for (int r = 0; r < kTileRows; ++r) {
        int32_t bytes;
        std::memcpy(&bytes, a + (r0 + r) * lda + g * kKGroup, sizeof bytes);
        const __m512i x = _mm512_xor_si512(_mm512_set1_epi32(bytes), offset);
        for (int p = 0; p < kPanels; ++p) acc[r][p] = _mm512_dpbusd_epi32(acc[r][p], x, w[p]);
      }
    }
    for (int r = 0; r < kTileRows; ++r) {
      for (int p = 0; p < kPanels; ++p) {
        _mm512_store_si512(c + (r0 + r) * kBlockCols + p * kPanelCols, _mm512_sub_epi32(acc[r][p], correction[p]));
      }
    }
  }
}

#undef TARGET_VNNI
#pragma GCC diagnostic pop

const Int8FamilySpec kSpec{"avx512vnni", blockVnni};

}  // namespace

const Int8FamilySpec* vnniInt8Spec() {
  static const bool supported = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                                __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
  return supported ? &kSpec : nullptr;
}

#else

const Int8FamilySpec* vnniInt8Spec() { return nullptr; }

#endif

}  // namespace bertnode::cpu::int8_detail
