// AMX-BF16 micro-kernel: a 32 x 32 tile of C in four 16 x 16 fp32 accumulator tiles, bf16 products summed in fp32.
//
// tdpbf16ps tmmC, tmmA, tmmB: C[16 x 16] += A[16 rows x 32 k] * B[32 k x 16 columns], with A's rows as 32 bf16 each
// and B in the "VNNI-2" layout: one tile row per pair of k steps, holding for each of the 16 columns its two k values
// side by side (the pair layout of vdpbf16ps). One instruction does 8,192 multiply-adds in about 16 cycles, 32 times
// an fp32 FMA port. Eight tiles: C00 C01 C10 C11 (tmm0-3), A rows 0-15 and 16-31 (tmm4, 5), B columns 0-15 and 16-31
// (tmm6, 7), so each 32-step block of k loads four tiles for four products, the 2 x 2 blocking oneDNN's brgemm uses.
//
// Packed layouts, per 32-step block of k (k padded with zeros to a multiple of 32):
//   A micro-panel: [32 rows][32 bf16] = 2 KiB (tmm4 = rows 0-15 with stride 64 B, tmm5 = rows 16-31);
//   B micro-panel: [16 k pairs][32 columns][2 bf16] = 2 KiB (tmm6 = the first 64 B of each 128-B row, tmm7 the rest).
// A panel of kc steps fills 32 * roundUp(kc, 32) bf16 = half that many floats (kStep 32, two elements per float).
// The packers round each fp32 input to bf16 once, to nearest even (vcvtne2ps2bf16), as the AVX-512 BF16 packers do:
// both families compute the same products and differ only in the order of the fp32 sums.
//
// Tile data needs the kernel's permission on Linux (arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA), once per
// process); when it is refused (an old kernel, a too-small signal stack) the family is reported unavailable and the
// dispatch falls back to AVX-512 BF16.
#include "cpu/gemm_kernels.h"

// AMX intrinsics need GCC 11 or Clang 12; older compilers build without this family (amxKernelSpec() is nullptr).
#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__) && \
    (defined(__clang__) ? __clang_major__ >= 12 : __GNUC__ >= 11)
#define BERTNODE_GEMM_AMX 1
#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "cpu/gemm_avx512_shuffle.h"
#include "cpu/gemm_avx512_store.h"
#endif

namespace bertnode::cpu::gemm_detail {

#if BERTNODE_GEMM_AMX
namespace {

#define TARGET_AMX __attribute__((target("amx-tile,amx-bf16,avx512f,avx512vl,avx512bw,avx512dq,avx512bf16")))

constexpr int kMR = 32;
constexpr int kNR = 32;
constexpr int kKBlock = 32;                          // k steps per tile product
constexpr int kBlockElements = kMR * kKBlock;        // bf16 per packed 32-step block of one panel (A or B)
constexpr int kBlockFloats = kBlockElements / 2;     // the same in floats of the packing buffer

// Palette 1: every tile 16 rows of 64 bytes (16 fp32 for C, 32 bf16 for A, 16 bf16 pairs for B).
struct alignas(64) TileConfig {
  uint8_t palette;
  uint8_t startRow;
  uint8_t reserved[14];
  uint16_t bytesPerRow[16];
  uint8_t rows[16];
};

TileConfig makeTileConfig() {
  TileConfig config{};
  config.palette = 1;
  for (int t = 0; t < 8; ++t) {
    config.bytesPerRow[t] = 64;
    config.rows[t] = 16;
  }
  return config;
}

TARGET_AMX void enterTiles() {
  static const TileConfig config = makeTileConfig();
  _tile_loadconfig(&config);
}

// Returns the tiles to their initial state, so a context switch does not save 8 KiB of tile data for this thread.
TARGET_AMX void leaveTiles() { _tile_release(); }

// C tile (ic, jc) of the 32 x 32 block at c with row stride ldc floats.
#define C_TILE(c, ldc, ic, jc) ((c) + (ic) * 16 * (ldc) + (jc) * 16)

TARGET_AMX void kernel32x32(int kc, const float* pa, const float* pb, float* c, int64_t ldc, int m, int n,
                            float alpha, float beta) {
  // A whole tile with alpha 1 and beta 0 or 1 (every C block of a plain product) goes straight between C and the
  // accumulators: beta 1 starts them from C, beta 0 from zero. Anything else goes through a local buffer.
  const bool direct = m == kMR && n == kNR && alpha == 1.0f && (beta == 0.0f || beta == 1.0f);
  const int64_t strideC = ldc * static_cast<int64_t>(sizeof(float));
  if (direct && beta == 1.0f) {
    _tile_loadd(0, C_TILE(c, ldc, 0, 0), strideC);
    _tile_loadd(1, C_TILE(c, ldc, 0, 1), strideC);
    _tile_loadd(2, C_TILE(c, ldc, 1, 0), strideC);
    _tile_loadd(3, C_TILE(c, ldc, 1, 1), strideC);
  } else {
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
  }
  const uint16_t* a = reinterpret_cast<const uint16_t*>(pa);
  const uint16_t* b = reinterpret_cast<const uint16_t*>(pb);
  const int blocks = (kc + kKBlock - 1) / kKBlock;
  // C (tens of MB in a BERT GEMM, far beyond the caches) is written after the products: its lines are fetched for
  // writing a few per k block, spread over the loop. All 64 at once fill the line-fill buffers and stall
  // the tile loads behind them; spread, the K = 768 GEMMs ran ~8 % faster per CPU-second (median of 5 A/B rounds).
  // Not when the tiles start from C: those loads have already brought its lines in.
  const bool fetchC = !(direct && beta == 1.0f);
  const int linesPerBlock = fetchC ? (2 * m + blocks - 1) / blocks : 0;
  int line = 0;
  for (int q = 0; q < blocks; ++q, a += kBlockElements, b += kBlockElements) {
    for (int l = 0; l < linesPerBlock && line < 2 * m; ++l, ++line) {
      _mm_prefetch(reinterpret_cast<const char*>(c + (line >> 1) * ldc + (line & 1) * 16), _MM_HINT_ET0);
    }
    _tile_loadd(4, a, 64);
    _tile_loadd(5, a + 16 * kKBlock, 64);
    _tile_loadd(6, b, 128);
    _tile_loadd(7, b + 32, 128);
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
  }
  if (direct) {
    _tile_stored(0, C_TILE(c, ldc, 0, 0), strideC);
    _tile_stored(1, C_TILE(c, ldc, 0, 1), strideC);
    _tile_stored(2, C_TILE(c, ldc, 1, 0), strideC);
    _tile_stored(3, C_TILE(c, ldc, 1, 1), strideC);
    return;
  }
  alignas(64) float sums[kMR * kNR];
  constexpr int64_t kSumsStride = kNR * sizeof(float);
  _tile_stored(0, C_TILE(sums, kNR, 0, 0), kSumsStride);
  _tile_stored(1, C_TILE(sums, kNR, 0, 1), kSumsStride);
  _tile_stored(2, C_TILE(sums, kNR, 1, 0), kSumsStride);
  _tile_stored(3, C_TILE(sums, kNR, 1, 1), kSumsStride);
  const __mmask16 maskLo = firstLanes(n), maskHi = firstLanes(n - 16);
  const __m512 alphaV = _mm512_set1_ps(alpha), betaV = _mm512_set1_ps(beta);
  for (int r = 0; r < m; ++r) {
    storeTileRow(c + r * ldc, _mm512_load_ps(sums + r * kNR), _mm512_load_ps(sums + r * kNR + 16), maskLo, maskHi,
                 n == kNR, alphaV, betaV, beta != 0.0f);
  }
}

#undef C_TILE

// The first n of 32 16-bit lanes (n <= 0: none).
inline __mmask32 firstWords(int n) { return n >= 32 ? ~__mmask32(0) : n <= 0 ? 0 : (__mmask32(1) << n) - 1; }

// A row-major operand as the non-transposed packers read it, stored fp32 (rounded to bf16 here, nearest even) or bf16
// (copied): the one difference between packing from the two, so packRowsA32 / packRowsB32 serve both. Elements at
// and past `valid` read as zeros.
struct Fp32Rows {
  const float* data;
  // 32 consecutive elements from `at` as bf16.
  TARGET_AMX __m512i row32(int64_t at, int valid) const {
    return toBf16Row(_mm512_maskz_loadu_ps(firstLanes(valid), data + at),
                     _mm512_maskz_loadu_ps(firstLanes(valid - 16), data + at + 16));
  }
  // Two rows' 32 elements from `at0` and `at1` (absent: zeros) as one row of (row 0, row 1) pairs, columns 0-15 in
  // `low` and 16-31 in `high`.
  TARGET_AMX void pairs(int64_t at0, bool has0, int64_t at1, bool has1, int valid, __m512i& low, __m512i& high) const {
    const __mmask16 lo = firstLanes(valid), hi = firstLanes(valid - 16);
    const __m512 zero = _mm512_setzero_ps();
    const __m512 r0lo = has0 ? _mm512_maskz_loadu_ps(lo, data + at0) : zero;
    const __m512 r0hi = has0 ? _mm512_maskz_loadu_ps(hi, data + at0 + 16) : zero;
    const __m512 r1lo = has1 ? _mm512_maskz_loadu_ps(lo, data + at1) : zero;
    const __m512 r1hi = has1 ? _mm512_maskz_loadu_ps(hi, data + at1 + 16) : zero;
    const __m512i order = pairInterleave();
    low = toBf16Pairs(r0lo, r1lo, order);
    high = toBf16Pairs(r0hi, r1hi, order);
  }
};

struct Bf16Rows {
  const uint16_t* data;
  TARGET_AMX __m512i row32(int64_t at, int valid) const { return _mm512_maskz_loadu_epi16(firstWords(valid), data + at); }
  // The pairs interleave the two rows' 16-bit words (vpermt2w: word 2j from row 0's column j, 2j + 1 from row 1's).
  TARGET_AMX void pairs(int64_t at0, bool has0, int64_t at1, bool has1, int valid, __m512i& low, __m512i& high) const {
    const __m512i r0 = has0 ? row32(at0, valid) : _mm512_setzero_si512();
    const __m512i r1 = has1 ? row32(at1, valid) : _mm512_setzero_si512();
    alignas(64) static constexpr uint16_t kLow[32] = {0, 32, 1, 33, 2,  34, 3,  35, 4,  36, 5,  37, 6,  38, 7,  39,
                                                      8, 40, 9, 41, 10, 42, 11, 43, 12, 44, 13, 45, 14, 46, 15, 47};
    alignas(64) static constexpr uint16_t kHigh[32] = {16, 48, 17, 49, 18, 50, 19, 51, 20, 52, 21, 53, 22, 54, 23, 55,
                                                       24, 56, 25, 57, 26, 58, 27, 59, 28, 60, 29, 61, 30, 62, 31, 63};
    low = _mm512_permutex2var_epi16(r0, _mm512_load_si512(kLow), r1);
    high = _mm512_permutex2var_epi16(r0, _mm512_load_si512(kHigh), r1);
  }
};

// packA32's layout from row-major A (op(A) = a[i*lda + p]): each row's 32 k values of a block are one zmm.
template <class Rows>
TARGET_AMX void packRowsA32(const Rows& a, int64_t lda, int rows, int cols, float* dst) {
  const int blocks = (cols + kKBlock - 1) / kKBlock;
  const int64_t panelElements = static_cast<int64_t>(blocks) * kBlockElements;
  uint16_t* packed = reinterpret_cast<uint16_t*>(dst);
  for (int i0 = 0; i0 < rows; i0 += kMR) {
    const int m = std::min(kMR, rows - i0);
    uint16_t* panel = packed + (i0 / kMR) * panelElements;
    for (int q = 0; q < blocks; ++q) {
      const int p0 = q * kKBlock;
      uint16_t* out = panel + static_cast<int64_t>(q) * kBlockElements;
      for (int r = 0; r < kMR; ++r) {
        const __m512i row =
            r < m ? a.row32(static_cast<int64_t>(i0 + r) * lda + p0, cols - p0) : _mm512_setzero_si512();
        _mm512_store_si512(out + r * kKBlock, row);
      }
    }
  }
}

// packB32's layout from row-major B (op(B) = b[p*ldb + j]): two k rows at a time become one row of pairs. Row pairs
// outer, panels inner: each pair of B's rows is read front to back (B's rows are long and far apart, so walking one
// panel down all rows would touch a new page every row).
template <class Rows>
TARGET_AMX void packRowsB32(const Rows& b, int64_t ldb, int rows, int cols, float* dst) {
  const int blocks = (rows + kKBlock - 1) / kKBlock;
  const int64_t panelElements = static_cast<int64_t>(blocks) * kBlockElements;
  for (int p = 0; p < blocks * kKBlock; p += 2) {
    const int q = p / kKBlock, t = (p % kKBlock) / 2;
    const int64_t row0 = static_cast<int64_t>(p) * ldb;
    uint16_t* out = reinterpret_cast<uint16_t*>(dst) + static_cast<int64_t>(q) * kBlockElements + t * 2 * kNR;
    for (int j0 = 0; j0 < cols; j0 += kNR, out += panelElements) {
      __m512i low, high;
      b.pairs(row0 + j0, p < rows, row0 + ldb + j0, p + 1 < rows, cols - j0, low, high);
      _mm512_store_si512(out, low);
      _mm512_store_si512(out + kNR, high);
    }
  }
}

// op(A) [rows = mc][cols = kc] -> 32-row panels of [32-step block][32 rows][32 bf16].
// Not transposed (rows of A contiguous along k): each row's 32 k values are two masked loads and one conversion.
// Transposed (A stored [k][m]): 16 x 16 blocks go through transpose16x16 (k past kc and rows past mc come in as zeros).
TARGET_AMX void packA32(const float* a, int64_t lda, bool trans, int rows, int cols, float* dst) {
  const int blocks = (cols + kKBlock - 1) / kKBlock;
  const int64_t panelElements = static_cast<int64_t>(blocks) * kBlockElements;
  uint16_t* packed = reinterpret_cast<uint16_t*>(dst);
  if (trans) {
    // 16 k steps outer, panels inner: the 16 rows of A (stored [k][m], rows far apart) are read front to back across
    // the block instead of one 64-byte piece of each per panel.
    for (int p0 = 0; p0 < cols; p0 += 16) {
      const int q = p0 / kKBlock, k16 = p0 % kKBlock;
      for (int i0 = 0; i0 < rows; i0 += kMR) {
        const int m = std::min(kMR, rows - i0);
        uint16_t* out = packed + (i0 / kMR) * panelElements + static_cast<int64_t>(q) * kBlockElements;
        for (int r16 = 0; r16 < kMR; r16 += 16) {
          __m512 col[16];
          transpose16x16(a + static_cast<int64_t>(p0) * lda + i0 + r16, lda, cols - p0, firstLanes(m - r16), col);
#pragma GCC unroll 16
          for (int r = 0; r < 16; ++r) {
            _mm256_store_si256(reinterpret_cast<__m256i*>(out + (r16 + r) * kKBlock + k16),
                               reinterpret_cast<__m256i>(_mm512_cvtneps_pbh(col[r])));
          }
        }
      }
    }
    // k past cols up to the 32-step block: the loop above wrote the last block's first 16 steps only when cols ends
    // inside them; the second half of a block that cols does not reach is zero.
    if (cols % kKBlock != 0 && cols % kKBlock <= 16) {
      const int q = cols / kKBlock;
      for (int i0 = 0; i0 < rows; i0 += kMR) {
        uint16_t* out = packed + (i0 / kMR) * panelElements + static_cast<int64_t>(q) * kBlockElements;
        for (int r = 0; r < kMR; ++r) _mm256_store_si256(reinterpret_cast<__m256i*>(out + r * kKBlock + 16),
                                                         _mm256_setzero_si256());
      }
    }
    return;
  }
  packRowsA32(Fp32Rows{a}, lda, rows, cols, dst);
}

// packB32's layout from transposed B (stored [n][k], a Linear layer's weight or the keys of Q K^T): each column's 32
// k values are one row32 of 16 pairs (one zmm of 32-bit words), and 16 columns of them are transposed as 32-bit words
// into 16 rows of pairs.
template <class Rows>
TARGET_AMX void packColsB32(const Rows& b, int64_t ldb, int rows, int cols, float* dst) {
  const int blocks = (rows + kKBlock - 1) / kKBlock;
  for (int j0 = 0; j0 < cols; j0 += kNR, dst += static_cast<int64_t>(blocks) * kBlockFloats) {
    const int n = std::min(kNR, cols - j0);
    uint16_t* panel = reinterpret_cast<uint16_t*>(dst);
    for (int q = 0; q < blocks; ++q) {
      const int p0 = q * kKBlock;
      uint16_t* out = panel + static_cast<int64_t>(q) * kBlockElements;
      for (int j16 = 0; j16 < kNR; j16 += 16) {
        alignas(64) float pairs[16 * 16];  // row jj: column j0 + j16 + jj as 16 words of k pairs
        for (int jj = 0; jj < 16; ++jj) {
          const __m512i words = j16 + jj < n ? b.row32(static_cast<int64_t>(j0 + j16 + jj) * ldb + p0, rows - p0)
                                             : _mm512_setzero_si512();
          _mm512_store_si512(pairs + jj * 16, words);
        }
        __m512 col[16];
        transpose16x16(pairs, 16, 16, firstLanes(16), col);
#pragma GCC unroll 16
        for (int t = 0; t < 16; ++t) _mm512_store_ps(reinterpret_cast<float*>(out + t * 2 * kNR + j16 * 2), col[t]);
      }
    }
  }
}

// op(B) [rows = kc][cols = nc] -> 32-column panels of [32-step block][16 k pairs][32 columns][2 bf16].
// Not transposed (rows of B contiguous along n): two k rows at a time become one row of pairs (toBf16Pairs).
// Transposed (B stored [n][k]): packColsB32.
TARGET_AMX void packB32(const float* b, int64_t ldb, bool trans, int rows, int cols, float* dst) {
  if (trans) return packColsB32(Fp32Rows{b}, ldb, rows, cols, dst);
  packRowsB32(Fp32Rows{b}, ldb, rows, cols, dst);
}

// The same layouts from operands stored as bf16 (gemmBf16Operands): A not transposed, B either way.
TARGET_AMX void packA32Bf16(const uint16_t* a, int64_t lda, int rows, int cols, float* dst) {
  packRowsA32(Bf16Rows{a}, lda, rows, cols, dst);
}

TARGET_AMX void packB32Bf16(const uint16_t* b, int64_t ldb, bool trans, int rows, int cols, float* dst) {
  if (trans) return packColsB32(Bf16Rows{b}, ldb, rows, cols, dst);
  packRowsB32(Bf16Rows{b}, ldb, rows, cols, dst);
}

#undef TARGET_AMX

// Asks Linux for this process's permission to use tile data (XFEATURE_XTILEDATA = 18); 0 means granted.
bool tileDataPermitted() {
  constexpr long kArchReqXcompPerm = 0x1023;
  constexpr long kXfeatureXtileData = 18;
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtileData) == 0;
}

// CPUID.(7,0):EDX bit 22 AMX-BF16, bit 24 AMX-TILE; the OS must have enabled XSAVE (CPUID.1:ECX bit 27) with the
// tile configuration and tile data states in XCR0 (bits 17 and 18).
bool cpuHasAmxBf16() {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 27))) return false;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  if (!(edx & (1u << 22)) || !(edx & (1u << 24))) return false;
  unsigned xcr0Lo, xcr0Hi;
  __asm__("xgetbv" : "=a"(xcr0Lo), "=d"(xcr0Hi) : "c"(0));
  constexpr unsigned kTileStates = (1u << 17) | (1u << 18);
  return (xcr0Lo & kTileStates) == kTileStates;
}

// kc = 1536 (48 blocks of four tile products per micro-kernel call between C's load and store): a B micro-panel
// (96 KiB) stays in the 2 MiB L2 next to the packed A block (mc = 256: 768 KiB), which every B micro-panel streams past.
// C is the costly operand here (a BERT GEMM's C is tens of MiB and each kc block loads and stores it once more), so kc
// is as large as L2 allows. Measured here (Sapphire Rapids-class, one thread, CPU time on the shared machine, repeated
// runs): 8192 x 768 x 3072 NN 480 -> 600 GFLOP/s going from kc = 768 to 1536, 550 at 3072; kc = 256 (B panel in L1)
// halves the rate of 8192 x 768 x 768 NT; mc = 128 and 256 measure the same, 512 lower.
const KernelSpec kSpec = {"amx",   kMR,     kNR,     kMR * 8,   1536,       3072,        kernel32x32, packA32, packB32,
                          kKBlock, 2,       512,     enterTiles, leaveTiles, packA32Bf16, packB32Bf16};

}  // namespace

const KernelSpec* amxKernelSpec() {
  static const bool supported = avx512Bf16KernelSpec() != nullptr && cpuHasAmxBf16() && tileDataPermitted();
  return supported ? &kSpec : nullptr;
}

#else

const KernelSpec* amxKernelSpec() { return nullptr; }

#endif

}  // namespace bertnode::cpu::gemm_detail
