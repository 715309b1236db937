// Packing of op(A) and op(B) blocks into the micro-panel layouts described in gemm_kernels.h, for all four
// transpose cases. The functions are always_inline templates so that each ISA file instantiates them inside its
// own target-attributed wrapper and the compiler vectorises them for that ISA; the anonymous namespace keeps the
// copies private to each file, so no differently-compiled definition can be picked by the linker for another file.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace bertnode::cpu::gemm_detail {
namespace {

#if defined(__GNUC__)
#define BERTNODE_PACK_INLINE inline __attribute__((always_inline))
#else
#define BERTNODE_PACK_INLINE __forceinline
#endif

// op(A) is [rows = mc][cols = kc]. Not transposed: op(A)(i, p) = a[i*lda + p] (rows are contiguous, so packing
// transposes blocks); transposed: op(A)(i, p) = a[p*lda + i] (each k step copies mr contiguous floats).
template <int MR>
BERTNODE_PACK_INLINE void packAImpl(const float* a, int64_t lda, bool trans, int rows, int cols, float* dst) {
  for (int i0 = 0; i0 < rows; i0 += MR, dst += static_cast<int64_t>(MR) * cols) {
    const int m = std::min(MR, rows - i0);
    if (trans) {
      for (int p = 0; p < cols; ++p) {
        const float* src = a + static_cast<int64_t>(p) * lda + i0;
        float* out = dst + static_cast<int64_t>(p) * MR;
        if (m == MR) {
          for (int r = 0; r < MR; ++r) out[r] = src[r];
        } else {
          for (int r = 0; r < m; ++r) out[r] = src[r];
          for (int r = m; r < MR; ++r) out[r] = 0.0f;
        }
      }
    } else {
      // Eight k steps at a time: each source row contributes 8 contiguous reads, the writes stay in one 8*MR block.
      constexpr int kStep = 8;
      int p0 = 0;
      for (; p0 + kStep <= cols; p0 += kStep) {
        float* out = dst + static_cast<int64_t>(p0) * MR;
        for (int r = 0; r < m; ++r) {
          const float* src = a + static_cast<int64_t>(i0 + r) * lda + p0;
          for (int q = 0; q < kStep; ++q) out[q * MR + r] = src[q];
        }
        for (int r = m; r < MR; ++r) {
          for (int q = 0; q < kStep; ++q) out[q * MR + r] = 0.0f;
        }
      }
      for (; p0 < cols; ++p0) {
        float* out = dst + static_cast<int64_t>(p0) * MR;
        for (int r = 0; r < m; ++r) out[r] = a[static_cast<int64_t>(i0 + r) * lda + p0];
        for (int r = m; r < MR; ++r) out[r] = 0.0f;
      }
    }
  }
}

// op(B) is [rows = kc][cols = nc]. Not transposed: op(B)(p, j) = b[p*ldb + j] (each k step copies nr contiguous
// floats); transposed: op(B)(p, j) = b[j*ldb + p] (packing transposes blocks).
template <int NR>
BERTNODE_PACK_INLINE void packBImpl(const float* b, int64_t ldb, bool trans, int rows, int cols, float* dst) {
  for (int j0 = 0; j0 < cols; j0 += NR, dst += static_cast<int64_t>(NR) * rows) {
    const int n = std::min(NR, cols - j0);
    if (!trans) {
      for (int p = 0; p < rows; ++p) {
        const float* src = b + static_cast<int64_t>(p) * ldb + j0;
        float* out = dst + static_cast<int64_t>(p) * NR;
        if (n == NR) {
          for (int j = 0; j < NR; ++j) out[j] = src[j];
        } else {
          for (int j = 0; j < n; ++j) out[j] = src[j];
          for (int j = n; j < NR; ++j) out[j] = 0.0f;
        }
      }
    } else {
      constexpr int kStep = 8;
      int p0 = 0;
      for (; p0 + kStep <= rows; p0 += kStep) {
        float* out = dst + static_cast<int64_t>(p0) * NR;
        for (int j = 0; j < n; ++j) {
          const float* src = b + static_cast<int64_t>(j0 + j) * ldb + p0;
          for (int q = 0; q < kStep; ++q) out[q * NR + j] = src[q];
        }
        for (int j = n; j < NR; ++j) {
          for (int q = 0; q < kStep; ++q) out[q * NR + j] = 0.0f;
        }
      }
      for (; p0 < rows; ++p0) {
        float* out = dst + static_cast<int64_t>(p0) * NR;
        for (int j = 0; j < n; ++j) out[j] = b[static_cast<int64_t>(j0 + j) * ldb + p0];
        for (int j = n; j < NR; ++j) out[j] = 0.0f;
      }
    }
  }
}

#undef BERTNODE_PACK_INLINE

}  // namespace
}  // namespace bertnode::cpu::gemm_detail
