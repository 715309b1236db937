// Internal interface between the int8 Linear driver (gemm_int8.cpp) and its per-family block kernels
// (gemm_int8.cpp's scalar one, gemm_int8_vnni.cpp, gemm_int8_amx.cpp).
#pragma once

#include <cstdint>

namespace bertnode::cpu::int8_detail {

constexpr int kBlockRows = 32;     // rows of A (and C) one kernel call computes
constexpr int kBlockCols = 64;     // columns: four 16-column panels of the packed weights
constexpr int kPanelCols = 16;
constexpr int kKGroup = 4;         // k values per 32-bit lane (vpdpbusd, tdpbssd)

// C[32][64] (int32, row stride 64) = A[32 rows][paddedK] (int8, row stride lda) x W^T over the four panels at b
// (panel p at b + p * 16 * paddedK; gemm_int8.h's layout). colSums are the 64 columns' sums of qw, for families that
// offset A. paddedK is a multiple of 64.
using Int8BlockKernel = void (*)(const int8_t* a, int64_t lda, const int8_t* b, int paddedK, const int32_t* colSums,
                                 int32_t* c);
using Int8ThreadHook = void (*)();

struct Int8FamilySpec {
  const char* name;
  Int8BlockKernel kernel;
  Int8ThreadHook enter = nullptr;  // AMX: load the tile configuration on this thread; nullptr: none
  Int8ThreadHook leave = nullptr;
};

// nullptr unless this CPU/OS/build runs the family.
const Int8FamilySpec* amxInt8Spec();
const Int8FamilySpec* vnniInt8Spec();
const Int8FamilySpec* scalarInt8Spec();  // always available

}  // namespace bertnode::cpu::int8_detail
