// The AMX-BF16 product of one 32 x 32 block shared by the bf16-activation kernels (linear_bf16_amx.cpp,
// attention_bf16_amx.cpp): four accumulator tiles (tmm0-3), two tiles of A rows loaded in place from a row-major bf16
// matrix (tmm4: rows 0-15, tmm5: rows 16-31), two of a packed B panel (tmm6, tmm7: its columns 0-15 and 16-31), four
// tdpbf16ps per 32-step block of k. The tile configuration is gemm_amx.cpp's (every tile 16 rows of 64 bytes), loaded
// by its KernelSpec's enter hook.
//
// Include only inside an x86/GCC >= 11 guard (the callers' BERTNODE_*_AMX): the function carries its own target.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace bertnode::cpu::amx {

constexpr int kTile = 32;  // rows of an A strip, columns of a B panel, k steps of a block

// sums [32 x 32] (fp32, row stride 32) = (accumulate ? sums : 0) + a [32 x 32 * kBlocks] (bf16, row stride lda
// elements) times kBlocks packed blocks of one B panel ([16 k pairs][32 columns][2] each, 2 KiB).
__attribute__((target("amx-tile,amx-bf16"))) inline void tileProduct(const uint16_t* a, int64_t lda, int kBlocks,
                                                                        const uint16_t* panel, float* sums,
                                                                        bool accumulate) {
  const int64_t strideA = lda * static_cast<int64_t>(sizeof(uint16_t));
  constexpr int64_t kSumsStride = kTile * sizeof(float);
  if (accumulate) {
    _tile_loadd(0, sums, kSumsStride);
    _tile_loadd(1, sums + 16, kSumsStride);
    _tile_loadd(2, sums + 16 * kTile, kSumsStride);
    _tile_loadd(3, sums + 16 * kTile + 16, kSumsStride);
  } else {
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
  }
  for (int q = 0; q < kBlocks; ++q, a += kTile, panel += kTile * kTile) {
    _tile_loadd(4, a, strideA);
    _tile_loadd(5, a + 16 * lda, strideA);
    _tile_loadd(6, panel, 128);
    _tile_loadd(7, panel + 32, 128);
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
  }
  _tile_stored(0, sums, kSumsStride);
  _tile_stored(1, sums + 16, kSumsStride);
  _tile_stored(2, sums + 16 * kTile, kSumsStride);
  _tile_stored(3, sums + 16 * kTile + 16, kSumsStride);
}

}  // namespace bertnode::cpu::amx
