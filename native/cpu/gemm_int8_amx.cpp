// AMX-INT8 block kernel (gemm_int8_kernels.h): tdpbssd tmmC, tmmA, tmmB adds to C[16 x 16] (int32) the products of
// A[16 rows x 64 signed bytes] and B[16 groups x 16 columns x 4 signed bytes], i.e. 64 k steps: 16,384 multiply-adds
// per instruction. Signed by signed, so no offset or correction is needed.
// The quantised activations are read in place (rows of paddedK bytes, 64 k per tile row), and a packed weight panel is
// already B's layout (16 columns x 4 k per 64-byte row, consecutive groups 64 bytes apart).
// Tiles: C as 2 x 2 (tmm0-3) for a 32 x 32 half of the block, A rows 0-15 / 16-31 (tmm4, 5), B panels (tmm6, 7);
// the block's 64 columns are two such halves. Tile data permission and the OS checks are the AMX-BF16 family's
// (gemm_amx.cpp: amxKernelSpec()), and so is the tile configuration (amxInt8Spec() says why it fits); this family needs
// the AMX-INT8 bit of CPUID on top.
#include "cpu/gemm_int8_kernels.h"

#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__) && \
    (defined(__clang__) ? __clang_major__ >= 12 : __GNUC__ >= 11)
#define BERTNODE_INT8_AMX 1
#include <cpuid.h>
#include <immintrin.h>

#include "cpu/gemm_kernels.h"
#endif

namespace bertnode::cpu::int8_detail {

#if BERTNODE_INT8_AMX
namespace {

#define TARGET_AMX_INT8 __attribute__((target("amx-tile,amx-int8")))

TARGET_AMX_INT8 void blockAmx(const int8_t* a, int64_t lda, const int8_t* b, int paddedK, const int32_t*,
                              int32_t* c) {
  const int64_t panelBytes = int64_t(kPanelCols) * paddedK;
  constexpr int64_t kStrideC = kBlockCols * sizeof(int32_t);
  for (int half = 0; half < 2; ++half) {
    const int8_t* b0 = b + (2 * half) * panelBytes;
    const int8_t* b1 = b0 + panelBytes;
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
    for (int k = 0; k < paddedK; k += 64) {
      _tile_loadd(4, a + k, lda);
      _tile_loadd(5, a + 16 * lda + k, lda);
      _tile_loadd(6, b0 + int64_t(k) * kPanelCols, 64);
      _tile_loadd(7, b1 + int64_t(k) * kPanelCols, 64);
      _tile_dpbssd(0, 4, 6);
      _tile_dpbssd(1, 4, 7);
      _tile_dpbssd(2, 5, 6);
      _tile_dpbssd(3, 5, 7);
    }
    int32_t* out = c + half * 32;
    _tile_stored(0, out, kStrideC);
    _tile_stored(1, out + 16, kStrideC);
    _tile_stored(2, out + 16 * kBlockCols, kStrideC);
    _tile_stored(3, out + 16 * kBlockCols + 16, kStrideC);
  }
}

#undef TARGET_AMX_INT8

// CPUID.(7,0):EDX bit 25.
bool cpuHasAmxInt8() {
  unsigned eax, ebx, ecx, edx;
  return __get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) && (edx & (1u << 25));
}

}  // namespace

// The AMX-BF16 family's thread hooks load the same tile shapes this kernel uses (palette 1, tmm0-7 all 16 rows of 64
// bytes) and release them; the exact-result tests of this family fail if that configuration ever changes.
const Int8FamilySpec* amxInt8Spec() {
  static const gemm_detail::KernelSpec* bf16 = gemm_detail::amxKernelSpec();
  static const Int8FamilySpec spec{"amx", blockAmx, bf16 ? bf16->enter : nullptr, bf16 ? bf16->leave : nullptr};
  static const bool supported = bf16 != nullptr && cpuHasAmxInt8();
  return supported ? &spec : nullptr;
}

#else

const Int8FamilySpec* amxInt8Spec() { return nullptr; }

#endif

}  // namespace bertnode::cpu::int8_detail
