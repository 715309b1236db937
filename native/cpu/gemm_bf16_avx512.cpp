// AVX-512 BF16 micro-kernel: the fp32 GEMM's 14 x 32 tile of C, with products of bf16-rounded inputs.
//
// vdpbf16ps (_mm512_dpbf16_ps) multiplies 16 lanes of bf16 *pairs* and adds both products to one fp32 lane:
//   c[j] += a[2j] * b[2j] + a[2j+1] * b[2j+1]   (products exact in fp32, sums in fp32)
// so every instruction does two k steps of 16 columns: twice the multiply-adds of one fp32 FMA at the same issue rate.
// The packed panels therefore hold k in pairs:
//   A micro-panel: for each pair of k steps (2q, 2q+1), 14 rows x 2 bf16 = one 32-bit word per row (broadcast);
//   B micro-panel: for each pair, 32 columns x 2 bf16 (column j's two values adjacent) = two zmm.
// An odd kc gets a zero second half in its last pair.
//
// Packing reuses the fp32 packers (gemm_avx512.cpp, which absorb all four transpose cases) and then converts each
// micro-panel in place: pair q reads fp32 rows 2q and 2q+1 (byte offset 2q * width * 4) and writes its bf16 words at
// byte offset q * width * 4, never past what is still unread. The bf16 data fill half of the fp32 micro-panel, so the
// driver (gemm.cpp) and its buffer sizes and panel offsets are used unchanged. Conversion is round-to-nearest-even
// (vcvtne2ps2bf16), the one rounding of each input; the micro-kernel accumulates in fp32 and applies alpha/beta in
// fp32 like the fp32 kernel.
#include "cpu/gemm_kernels.h"

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define BERTNODE_GEMM_AVX512BF16 1
#include <immintrin.h>

#include "cpu/gemm_avx512_shuffle.h"
#include "cpu/gemm_avx512_store.h"
#endif

namespace bertnode::cpu::gemm_detail {

#if BERTNODE_GEMM_AVX512BF16
namespace {

#define TARGET_BF16 __attribute__((target("avx512bf16,avx512f,avx512bw,avx512vl,avx512dq")))

constexpr int kMR = 14;
constexpr int kNR = 32;

// One packed fp32 micro-panel [kc][width] (width 14 or 32) -> [ceil(kc/2)][width][2] bf16, in place.
template <int Width>
TARGET_BF16 inline void panelToBf16(float* panel, int kc) {
  const __m512i order = pairInterleave();
  const int pairs = (kc + 1) / 2;
  for (int q = 0; q < pairs; ++q) {
    const float* r0 = panel + static_cast<int64_t>(2 * q) * Width;
    const bool hasSecond = 2 * q + 1 < kc;
    uint16_t* out = reinterpret_cast<uint16_t*>(panel) + static_cast<int64_t>(q) * Width * 2;
    if constexpr (Width == kNR) {
      const __m512 lo0 = _mm512_loadu_ps(r0), hi0 = _mm512_loadu_ps(r0 + 16);
      const __m512 lo1 = hasSecond ? _mm512_loadu_ps(r0 + Width) : _mm512_setzero_ps();
      const __m512 hi1 = hasSecond ? _mm512_loadu_ps(r0 + Width + 16) : _mm512_setzero_ps();
      _mm512_storeu_si512(out, toBf16Pairs(lo0, lo1, order));
      _mm512_storeu_si512(out + 32, toBf16Pairs(hi0, hi1, order));
    } else {
      static_assert(Width <= 16, "an A micro-panel row must fit one zmm");
      constexpr __mmask16 rowLanes = static_cast<__mmask16>((1u << Width) - 1);
      constexpr __mmask32 pairLanes = static_cast<__mmask32>((uint64_t(1) << (2 * Width)) - 1);
      const __m512 a0 = _mm512_maskz_loadu_ps(rowLanes, r0);
      const __m512 a1 = hasSecond ? _mm512_maskz_loadu_ps(rowLanes, r0 + Width) : _mm512_setzero_ps();
      _mm512_mask_storeu_epi16(out, pairLanes, toBf16Pairs(a0, a1, order));
    }
  }
}

void packA14Bf16(const float* a, int64_t lda, bool trans, int rows, int cols, float* dst) {
  avx512KernelSpec()->packA(a, lda, trans, rows, cols, dst);
  for (int i0 = 0; i0 < rows; i0 += kMR) panelToBf16<kMR>(dst + static_cast<int64_t>(i0) * cols, cols);
}

void packB32Bf16(const float* b, int64_t ldb, bool trans, int rows, int cols, float* dst) {
  avx512KernelSpec()->packB(b, ldb, trans, rows, cols, dst);
  for (int j0 = 0; j0 < cols; j0 += kNR) panelToBf16<kNR>(dst + static_cast<int64_t>(j0) * rows, rows);
}

// 28 fp32 accumulators + 2 B vectors + 1 broadcast = 31 of the 32 zmm registers, as in the fp32 kernel.
TARGET_BF16 void kernel14x32Bf16(int kc, const float* pa, const float* pb, float* c, int64_t ldc, int m, int n,
                                 float alpha, float beta) {
  const uint32_t* a = reinterpret_cast<const uint32_t*>(pa);  // one (k, k+1) bf16 pair per row
  const __m512i* b = reinterpret_cast<const __m512i*>(pb);    // two zmm of pairs per k pair
  __m512 lo[kMR], hi[kMR];
#pragma GCC unroll 14
  for (int r = 0; r < kMR; ++r) {
    lo[r] = _mm512_setzero_ps();
    hi[r] = _mm512_setzero_ps();
  }
  const int pairs = (kc + 1) / 2;
#pragma GCC unroll 2
  for (int q = 0; q < pairs; ++q) {
    const __m512bh b0 = reinterpret_cast<__m512bh>(_mm512_load_si512(b));
    const __m512bh b1 = reinterpret_cast<__m512bh>(_mm512_load_si512(b + 1));
#pragma GCC unroll 14
    for (int r = 0; r < kMR; ++r) {
      const __m512bh x = reinterpret_cast<__m512bh>(_mm512_set1_epi32(static_cast<int>(a[r])));
      lo[r] = _mm512_dpbf16_ps(lo[r], x, b0);
      hi[r] = _mm512_dpbf16_ps(hi[r], x, b1);
    }
    a += kMR;
    b += 2;
  }
  const bool full = n == kNR;
  const __mmask16 maskLo = n >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1);
  const __mmask16 maskHi = n >= 32 ? __mmask16(0xFFFF) : n > 16 ? __mmask16((1u << (n - 16)) - 1) : __mmask16(0);
  const __m512 alphaV = _mm512_set1_ps(alpha);
  const __m512 betaV = _mm512_set1_ps(beta);
  const bool readC = beta != 0.0f;
#pragma GCC unroll 14
  for (int r = 0; r < kMR; ++r) {
    if (r < m) storeTileRow(c + r * ldc, lo[r], hi[r], maskLo, maskHi, full, alphaV, betaV, readC);
  }
}

#undef TARGET_BF16

// kc = 768, twice the fp32 kernel's: a bf16 k step is half the bytes, so the packed A block (14 * 24 * 768 * 2 B =
// 516 KB) and a B micro-panel (48 KB) keep the fp32 kernel's cache footprint, and each micro-kernel call runs the same
// 384 vdpbf16ps steps between its C loads/stores. Measured on Zen 4, one thread, 2016 x 768 x 768 NT: 205 GFLOP/s
// against 190 with kc = 384 (fp32 kernel: 105). The buffers are sized for fp32 panels and hold bf16 in their first half.
const KernelSpec kSpec = {"avx512bf16", kMR, kNR, kMR * 24, 768, 3072, kernel14x32Bf16, packA14Bf16, packB32Bf16,
                          1, 1, 32};

}  // namespace

const KernelSpec* avx512Bf16KernelSpec() {
  static const bool supported = avx512KernelSpec() != nullptr && __builtin_cpu_supports("avx512bf16");
  return supported ? &kSpec : nullptr;
}

#else

const KernelSpec* avx512Bf16KernelSpec() { return nullptr; }

#endif

}  // namespace bertnode::cpu::gemm_detail
