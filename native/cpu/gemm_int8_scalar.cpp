// Portable int8 block kernel: the packed layout read one 4-byte group at a time, int32 sums (gemm_int8_kernels.h).
// Runs where neither AMX-INT8 nor AVX-512 VNNI is available, and is the tests' reference for the driver.
#include "cpu/gemm_int8_kernels.h"

namespace bertnode::cpu::int8_detail {
namespace {

void blockScalar(const int8_t* a, int64_t lda, const int8_t* b, int paddedK, const int32_t*, int32_t* c) {
  const int64_t panelBytes = int64_t(kPanelCols) * paddedK;
  const int groups = paddedK / kKGroup;
  for (int r = 0; r < kBlockRows; ++r) {
    const int8_t* row = a + r * lda;
    int32_t* out = c + r * kBlockCols;
    for (int j = 0; j < kBlockCols; ++j) out[j] = 0;
    // One group of 4 k values against a panel's 16 columns at a time: the inner loop runs over contiguous bytes
    // (16 columns x 4), which the compiler vectorises for the baseline ISA.
    for (int p = 0; p < kBlockCols / kPanelCols; ++p) {
      int32_t* sums = out + p * kPanelCols;
      for (int g = 0; g < groups; ++g) {
        const int8_t* w = b + p * panelBytes + int64_t(g) * kPanelCols * kKGroup;
        const int32_t x0 = row[g * kKGroup], x1 = row[g * kKGroup + 1], x2 = row[g * kKGroup + 2],
                      x3 = row[g * kKGroup + 3];
        for (int col = 0; col < kPanelCols; ++col) {
          sums[col] += x0 * w[col * kKGroup] + x1 * w[col * kKGroup + 1] + x2 * w[col * kKGroup + 2] +
                       x3 * w[col * kKGroup + 3];
        }
      }
    }
  }
}

const Int8FamilySpec kSpec{"scalar", blockScalar};

}  // namespace

const Int8FamilySpec* scalarInt8Spec() { return &kSpec; }

}  // namespace bertnode::cpu::int8_detail
