// Portable int8 block kernel: the packed layout read one 4-byte group at a time, int32 sums (gemm_int8_kernels.h).
// Runs where neither AMX-INT8 nor AVX-512 VNNI is available, and is the tests' reference for the driver.
#include "cpu/gemm_int8_kernels.h"

namespace bertnode::cpu::int8_detail {
namespace {

void blockScalar(const int8_t* a, int64_t lda, const int8_t* b, int paddedK, const int32_t*, int32_t* c) {
  const int64_t panelBytes = int64_t(kPanelCols) * paddedK;
  for (int r = 0; r < kBlockRows; ++r) {
    const int8_t* row = a + r * lda;
    for (int j = 0; j < kBlockCols; ++j) {
      const int8_t* column = b + (j / kPanelCols) * panelBytes + (j % kPanelCols) * kKGroup;
      int32_t sum = 0;
      for (int g = 0; g < paddedK / kKGroup; ++g) {
        const int8_t* w = column + int64_t(g) * kPanelCols * kKGroup;
        const int8_t* x = row + g * kKGroup;
        sum += x[0] * w[0] + x[1] * w[1] + x[2] * w[2] + x[3] * w[3];
      }
      c[r * kBlockCols + j] = sum;
    }
  }
}

const Int8FamilySpec kSpec{"scalar", blockScalar};

}  // namespace

const Int8FamilySpec* scalarInt8Spec() { return &kSpec; }

}  // namespace bertnode::cpu::int8_detail
