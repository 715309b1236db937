// linearBf16 on AMX (linear_bf16.h).
//
// One 32 x 32 block of y is four accumulator tiles (tmm0-3), as in gemm_amx.cpp: per 32-step block of k, two tiles of
// x rows (tmm4: rows 0-15, tmm5: rows 16-31, loaded straight from the bf16 activation with its row stride) and two of
// the packed weight (tmm6, tmm7: the panel's columns 0-15 and 16-31), four tdpbf16ps.
//
// Blocking: the weight's panels are taken in groups of at most ~1 MiB and 16 panels (they stay in the 2 MiB L2 while
// every 32-row strip of x streams past them). For one strip, k runs in passes of 256 steps (kKcBlocks blocks): a
// 32 x 256 slice of the strip (16 KiB) stays in L1 while every panel of the group takes its 256 steps, its partial
// sums parked in an L1/L2 buffer (16 x 4 KiB) between passes and reloaded into the tiles. Storing and reloading fp32
// tiles is exact, so every output is still the sum of its k blocks in order. Measured here (one thread, CPU time,
// 2048 x 3072 x 768): all of k per panel (the strip read from L2 for every panel) 935 GFLOP/s, these passes
// 1,100-1,200. After the last pass the group's blocks go through the epilogue. Threads split the strips (or, with
// fewer strips than threads, the panels); no split changes any sum, so results do not depend on the thread count.
//
// A strip that the tiles cannot load in place — fewer than 32 rows (the last one), or `in` not a multiple of 32 (a
// tile row would run past the row) — is first copied into a zero-padded buffer of 32 rows x roundUp(in, 32).
#include "cpu/linear_bf16.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "cpu/gemm_kernels.h"
#include "cpu/thread_pool.h"

#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__) && \
    (defined(__clang__) ? __clang_major__ >= 12 : __GNUC__ >= 11)
#define BERTNODE_LINEAR_BF16_AMX 1
#include <immintrin.h>

#include "cpu/amx_tile_product.h"
#include "cpu/gelu_avx512.h"
#include "cpu/gemm_avx512_shuffle.h"
#endif

namespace bertnode::cpu {
namespace {

constexpr int kTile = 32;                          // amx::kTile, also where the AMX code is not compiled
constexpr size_t kBlockBytes = kTile * kTile * 2; // one packed 32-step block of one panel (bf16)
constexpr size_t kGroupBytes = size_t(1) << 20;   // packed weight per panel group (L2-resident)
constexpr int kMaxGroupPanels = 16;                // and at most this many: the partial sums of a strip, 16 x 4 KiB
constexpr int kKcBlocks = 8;                       // k blocks per pass: a 32 x 256 slice of the strip (16 KiB, L1)

const gemm_detail::KernelSpec& requireAmx() {
  const gemm_detail::KernelSpec* spec = gemm_detail::activeAmxKernelSpec();
  if (!spec) throw std::runtime_error("linearBf16 needs the AMX bf16 GEMM family, which is not active on this CPU");
  return *spec;
}

#if BERTNODE_LINEAR_BF16_AMX

#define TARGET_AMX __attribute__((target("amx-tile,amx-bf16,avx512f,avx512vl,avx512bw,avx512dq,avx512bf16")))

// One row of the epilogue over n <= 32 columns: bias, GELU, residual, then the fp32 and/or bf16 stores.
TARGET_AMX void epilogueRow(const float* sums, int n, const Bf16LinearArgs& a, int64_t row, int col) {
  const __mmask16 lo = gemm_detail::firstLanes(n), hi = gemm_detail::firstLanes(n - 16);
  __m512 v0 = _mm512_load_ps(sums), v1 = _mm512_load_ps(sums + 16);
  if (a.bias) {
    v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(lo, a.bias + col));
    v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(hi, a.bias + col + 16));
  }
  if (a.gelu) {
    v0 = avx512::gelu16(v0);
    v1 = avx512::gelu16(v1);
  }
  const int64_t at = row * a.out + col;
  if (a.residual) {
    v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(lo, a.residual + at));
    v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(hi, a.residual + at + 16));
  }
  if (a.y) {
    _mm512_mask_storeu_ps(a.y + at, lo, v0);
    _mm512_mask_storeu_ps(a.y + at + 16, hi, v1);
  }
  if (a.yBf16) {
    const __m512i both = reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(v1, v0));  // v0 in the low half
    const __mmask32 mask = n >= 32 ? __mmask32(0xFFFFFFFFu) : __mmask32((1u << n) - 1);
    _mm512_mask_storeu_epi16(a.yBf16 + at, mask, both);
  }
}

// bf16(src + bias) for n <= 32 elements.
TARGET_AMX void biasRowBf16(uint16_t* dst, const float* src, const float* bias, int n) {
  const __mmask16 lo = gemm_detail::firstLanes(n), hi = gemm_detail::firstLanes(n - 16);
  const __m512 v0 = _mm512_add_ps(_mm512_maskz_loadu_ps(lo, src), _mm512_maskz_loadu_ps(lo, bias));
  const __m512 v1 = _mm512_add_ps(_mm512_maskz_loadu_ps(hi, src + 16), _mm512_maskz_loadu_ps(hi, bias + 16));
  const __mmask32 words = n >= 32 ? ~__mmask32(0) : (__mmask32(1) << n) - 1;
  _mm512_mask_storeu_epi16(dst, words, gemm_detail::toBf16Row(v0, v1));
}

// Rows [begin, end) of addBiasBf16.
TARGET_AMX void addBiasRowsBf16(uint16_t* out, const float* in, const float* bias, size_t begin, size_t end, int C) {
  for (size_t r = begin; r < end; ++r) {
    for (int c = 0; c < C; c += 32) biasRowBf16(out + r * C + c, in + r * C + c, bias + c, std::min(32, C - c));
  }
}

#undef TARGET_AMX

// Rows [s0, s1) of strips and panels [p0, p1) of one thread.
void runBlock(const gemm_detail::KernelSpec& spec, const Bf16LinearArgs& a, int s0, int s1, int p0, int p1) {
  const int kBlocks = (a.in + kTile - 1) / kTile;
  const int paddedIn = kBlocks * kTile;
  const size_t panelBytes = kBlocks * kBlockBytes;
  const int groupPanels = std::clamp(static_cast<int>(kGroupBytes / panelBytes), 1, kMaxGroupPanels);
  const bool inPlace = a.in % kTile == 0;
  thread_local std::vector<uint16_t> copy;
  alignas(64) float sumsBase[kMaxGroupPanels * kTile * kTile];
  spec.enter();
  for (int g0 = p0; g0 < p1; g0 += groupPanels) {
    const int g1 = std::min(p1, g0 + groupPanels);
    for (int s = s0; s < s1; ++s) {
      const int64_t row0 = static_cast<int64_t>(s) * kTile;
      const int m = static_cast<int>(std::min<int64_t>(kTile, a.rows - row0));
      const uint16_t* strip = a.x + row0 * a.in;
      int64_t ldx = a.in;
      if (m < kTile || !inPlace) {
        copy.assign(static_cast<size_t>(kTile) * paddedIn, 0);
        for (int r = 0; r < m; ++r) std::memcpy(copy.data() + r * paddedIn, strip + r * a.in, 2 * size_t(a.in));
        strip = copy.data();
        ldx = paddedIn;
      }
      for (int q0 = 0; q0 < kBlocks; q0 += kKcBlocks) {
        const int qn = std::min(kKcBlocks, kBlocks - q0);
        for (int p = g0; p < g1; ++p) {
          const auto* panel =
              reinterpret_cast<const uint16_t*>(static_cast<const char*>(a.packedWeight) + p * panelBytes) +
              static_cast<size_t>(q0) * kTile * kTile;
          amx::tileProduct(strip + q0 * kTile, ldx, qn, panel, sumsBase + (p - g0) * kTile * kTile, q0 > 0);
        }
      }
      // Row by row across the group's panels: each output row is written as one contiguous run of the group's
      // columns rather than a 32-column piece per panel at a stride of a whole row.
      for (int r = 0; r < m; ++r) {
        for (int p = g0; p < g1; ++p) {
          const int col = p * kTile, n = std::min(kTile, a.out - col);
          epilogueRow(sumsBase + (p - g0) * kTile * kTile + r * kTile, n, a, row0 + r, col);
        }
      }
    }
  }
  spec.leave();
}

#endif

}  // namespace

bool linearBf16Supported() {
#if BERTNODE_LINEAR_BF16_AMX
  return gemm_detail::activeAmxKernelSpec() != nullptr;
#else
  return false;
#endif
}

size_t packedWeightBf16Bytes(int out, int in) {
  return static_cast<size_t>((out + kTile - 1) / kTile) * ((in + kTile - 1) / kTile) * kBlockBytes;
}

void packWeightBf16(void* packed, const float* weight, int out, int in) {
  const gemm_detail::KernelSpec& spec = requireAmx();
  // The AMX GEMM's packer of a transposed B ([n][k], a Linear's weight): the panels this kernel reads.
  spec.packB(weight, in, true, in, out, static_cast<float*>(packed));
}

void toBf16(uint16_t* dst, const float* src, int64_t n) {
  requireAmx();
#if BERTNODE_LINEAR_BF16_AMX
  parallelFor(static_cast<size_t>(n), 8192,
              [&](size_t begin, size_t end) { gemm_detail::toBf16Span(dst + begin, src + begin, end - begin); });
#endif
}

void toBf16Rows(uint16_t* dst, int64_t ldDst, const float* src, int64_t ldSrc, int rows, int cols) {
  requireAmx();
#if BERTNODE_LINEAR_BF16_AMX
  for (int r = 0; r < rows; ++r) gemm_detail::toBf16Span(dst + r * ldDst, src + r * ldSrc, static_cast<size_t>(cols));
#endif
}

void addBiasBf16(uint16_t* out, const float* in, const float* bias, int N, int C) {
  requireAmx();
#if BERTNODE_LINEAR_BF16_AMX
  parallelFor(static_cast<size_t>(N), 16,
              [&](size_t begin, size_t end) { addBiasRowsBf16(out, in, bias, begin, end, C); });
#endif
}

void linearBf16(const Bf16LinearArgs& a) {
  const gemm_detail::KernelSpec& spec = requireAmx();
  if (a.rows < 1 || a.in < 1 || a.out < 1 || !a.x || !a.packedWeight || (!a.y && !a.yBf16)) {
    throw std::invalid_argument("linearBf16: empty shape or missing buffer");
  }
#if BERTNODE_LINEAR_BF16_AMX
  const int strips = (a.rows + kTile - 1) / kTile, panels = (a.out + kTile - 1) / kTile;
  if (strips >= numThreads()) {
    parallelFor(static_cast<size_t>(strips), 1,
                [&](size_t s0, size_t s1) { runBlock(spec, a, int(s0), int(s1), 0, panels); });
  } else {
    parallelFor(static_cast<size_t>(panels), 1,
                [&](size_t p0, size_t p1) { runBlock(spec, a, 0, strips, int(p0), int(p1)); });
  }
#else
  (void)spec;
#endif
}

}  // namespace bertnode::cpu
