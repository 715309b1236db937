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

#include "cpu/gemm_avx512_shuffle.h"
#include "cpu/gemm_avx512_store.h"

#include <algorithm>
#endif

namespace bertnode::cpu::gemm_detail {

#if BERTNODE_GEMM_AVX512
namespace {

#define TARGET_AVX512 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,fma,avx2")))

constexpr int kMR = 14;
constexpr int kNR = 32;

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
    if (r < m) storeTileRow(c + r * ldc, lo[r], hi[r], maskLo, maskHi, full, alphaV, betaV, readC);
  }
}

// Packs op(A) into 14-row micro-panels (layout in gemm_kernels.h). Not transposed: 16 k steps at a time through
// transpose16x16 (rows past the block's end come in as zeros), the k tail element by element. Transposed: each k
// step is one masked 14-float copy per panel, k steps outer: each row of A (stored [k][m], rows far apart) is read
// front to back across the block instead of 56 bytes of it per panel.
TARGET_AVX512 void packA14(const float* a, int64_t lda, bool trans, int rows, int cols, float* dst) {
  const __mmask16 panelLanes = firstLanes(kMR);
  if (trans) {
    const int64_t panelFloats = static_cast<int64_t>(kMR) * cols;
    for (int p = 0; p < cols; ++p) {
      const float* src = a + p * lda;
      float* out = dst + p * kMR;
      for (int i0 = 0; i0 < rows; i0 += kMR, out += panelFloats) {
        _mm512_mask_storeu_ps(out, panelLanes, _mm512_maskz_loadu_ps(firstLanes(rows - i0), src + i0));
      }
    }
    return;
  }
  for (int i0 = 0; i0 < rows; i0 += kMR, dst += static_cast<int64_t>(kMR) * cols) {
    const int m = std::min(kMR, rows - i0);
    const float* panel = a + i0 * lda;
    int p0 = 0;
    for (; p0 + 16 <= cols; p0 += 16) {
      __m512 col[16];
      transpose16x16(panel + p0, lda, m, firstLanes(16), col);
#pragma GCC unroll 16
      for (int q = 0; q < 16; ++q) _mm512_mask_storeu_ps(dst + (p0 + q) * kMR, panelLanes, col[q]);
    }
    for (; p0 < cols; ++p0) {
      for (int r = 0; r < kMR; ++r) dst[p0 * kMR + r] = r < m ? panel[r * lda + p0] : 0.0f;
    }
  }
}

// Packs op(B) into 32-column micro-panels. Not transposed: each k step is two masked 16-float copies per panel, k
// steps outer so that each row of B is read front to back across the block (as packA14 does for a transposed A).
// Transposed (B stored [n][k]): each half panel of 16 columns goes through transpose16x16, 16 k steps at a time.
TARGET_AVX512 void packB32(const float* b, int64_t ldb, bool trans, int rows, int cols, float* dst) {
  if (!trans) {
    const int64_t panelFloats = static_cast<int64_t>(kNR) * rows;
    for (int p = 0; p < rows; ++p) {
      const float* src = b + p * ldb;
      float* out = dst + p * kNR;
      for (int j0 = 0; j0 < cols; j0 += kNR, out += panelFloats) {
        _mm512_storeu_ps(out, _mm512_maskz_loadu_ps(firstLanes(cols - j0), src + j0));
        _mm512_storeu_ps(out + 16, _mm512_maskz_loadu_ps(firstLanes(cols - j0 - 16), src + j0 + 16));
      }
    }
    return;
  }
  for (int j0 = 0; j0 < cols; j0 += kNR, dst += static_cast<int64_t>(kNR) * rows) {
    const int n = std::min(kNR, cols - j0);
    const float* panel = b + j0 * ldb;
    int p0 = 0;
    for (; p0 + 16 <= rows; p0 += 16) {
      for (int half = 0; half < 2; ++half) {
        __m512 col[16];
        transpose16x16(panel + half * 16 * ldb + p0, ldb, n - half * 16, firstLanes(16), col);
#pragma GCC unroll 16
        for (int q = 0; q < 16; ++q) _mm512_storeu_ps(dst + (p0 + q) * kNR + half * 16, col[q]);
      }
    }
    for (; p0 < rows; ++p0) {
      for (int j = 0; j < kNR; ++j) dst[p0 * kNR + j] = j < n ? panel[j * ldb + p0] : 0.0f;
    }
  }
}

#undef TARGET_AVX512

// Two sets of cache blocks for the same micro-kernel, chosen by the CPU's vendor (avx512KernelSpec):
//
// One 512-bit FMA port (AMD Zen 4): mc x kc of packed A (14 * 24 * 384 * 4 B = 516 KB) sits in the 1 MB L2 and streams
// past one B micro-panel (384 * 32 * 4 B = 48 KB, reused for all 24 A micro-panels from L1/L2); kc x nc of packed B
// (4.7 MB) lives in the shared L3. Each k step needs only 184 B for 28 FMA cycles, so L2 bandwidth is never the limit;
// kc = 384 to 768 and mc = 84 to 336 measured within noise of each other on the BERT shapes.
const KernelSpec kOnePortSpec = {"avx512", kMR, kNR, kMR * 24, 384, 3072, kernel14x32, packA14, packB32};

// Two 512-bit FMA ports (Intel Xeon since Skylake-SP): the same tile runs a k step in 14 cycles instead of 28, so the
// passes over C (one per kc block, each loading and storing C, which for a BERT GEMM is tens of MB in DRAM) cost twice
// as much next to the products. kc = 768 halves them (one pass for K = 768) and mc = 168 keeps the packed A block
// (14 * 12 * 768 * 4 B = 516 KB) as large as before in the 2 MB L2. Measured on a Sapphire Rapids-class core (one
// thread, GFLOP per CPU-second, best of 3 rounds under load 6-9): 145-150 -> 156-165 on the 8192-row BERT shapes;
// kc = 192 or 256 (a B micro-panel in the 48 KB L1) measured lower (125-140: C's extra passes cost more).
const KernelSpec kTwoPortSpec = {"avx512", kMR, kNR, kMR * 12, 768, 3072, kernel14x32, packA14, packB32};

bool cpuHasAvx512() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
}

}  // namespace

// AMD's cores with AVX-512 (Zen 4) split each 512-bit FMA over one port's two halves; Intel's have two full ports.
// Other vendors keep the one-port blocks, the ones first tuned and tested.
const KernelSpec* avx512KernelSpec() {
  static const bool twoPorts = __builtin_cpu_is("intel");
  return avx512KernelSpecFor(twoPorts ? 2 : 1);
}

const KernelSpec* avx512KernelSpecFor(int fmaPorts) {
  static const bool supported = cpuHasAvx512();
  if (!supported) return nullptr;
  return fmaPorts >= 2 ? &kTwoPortSpec : &kOnePortSpec;
}

#else

const KernelSpec* avx512KernelSpec() { return nullptr; }
const KernelSpec* avx512KernelSpecFor(int) { return nullptr; }

#endif

}  // namespace bertnode::cpu::gemm_detail
