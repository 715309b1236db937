// Portable micro-kernel: a 4 x 8 tile of C in plain C++ that any compiler can keep in registers and vectorise
// for its baseline ISA (SSE2 on x86-64, NEON on arm64). Used where neither AVX-512 nor AVX2 is available, and by
// the tests as the reference for the packed driver itself.
#include <algorithm>

#include "cpu/gemm_kernels.h"
#include "cpu/gemm_pack.h"

namespace bertnode::cpu::gemm_detail {
namespace {

constexpr int kMR = 4;
constexpr int kNR = 8;

void kernel4x8(int kc, const float* pa, const float* pb, float* c, int64_t ldc, int m, int n, float alpha,
               float beta) {
  float acc[kMR][kNR] = {};
  for (int p = 0; p < kc; ++p, pa += kMR, pb += kNR) {
    for (int r = 0; r < kMR; ++r) {
      for (int j = 0; j < kNR; ++j) acc[r][j] += pa[r] * pb[j];
    }
  }
  for (int r = 0; r < m; ++r) {
    float* row = c + r * ldc;
    if (beta == 0.0f) {
      for (int j = 0; j < n; ++j) row[j] = alpha * acc[r][j];
    } else {
      for (int j = 0; j < n; ++j) row[j] = alpha * acc[r][j] + beta * row[j];
    }
  }
}

void packA4(const float* a, int64_t lda, bool trans, int rows, int cols, float* dst) {
  packAImpl<kMR>(a, lda, trans, rows, cols, dst);
}

void packB8(const float* b, int64_t ldb, bool trans, int rows, int cols, float* dst) {
  packBImpl<kNR>(b, ldb, trans, rows, cols, dst);
}

const KernelSpec kSpec = {"scalar", kMR, kNR, kMR * 32, 256, 2048, kernel4x8, packA4, packB8};

}  // namespace

const KernelSpec* scalarKernelSpec() { return &kSpec; }

}  // namespace bertnode::cpu::gemm_detail
