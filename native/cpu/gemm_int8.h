// int8 Linear layers for inference: PyTorch's quantize_dynamic(nn.Linear, qint8) arithmetic, with per-row activation
// scales (more accurate than its per-tensor ones, and as cheap here: every row is quantised in one pass).
//
// Weights W [N out, K in] are quantised once, symmetrically per output channel: sw[n] = max_k |W[n,k]| / 127,
// qw[n,k] = round(W[n,k] * (127 / max_k |W[n,k]|)) in [-127, 127] (round half to even; a zero row quantises to 0
// with scale 0). Activations x [M, K] are quantised per call the same way per row (scale sx[m]). Products are summed
// exactly in int32 (|sum| <= 127 * 127 * K, so K <= kInt8MaxK keeps it in range), and
//   y[m,n] = float(acc[m,n]) * (sx[m] * sw[n]) + bias[n]
// in fp32, one rounding per operation in this order. Integer sums do not depend on their order, so every kernel
// family and every thread count gives the same bits.
//
// Families, chosen at run time (int8Family): "amx" (AMX-INT8 tdpbssd, s8 x s8) where the CPU has AMX-INT8,
// "avx512vnni" (vpdpbusd, u8 x s8: activations offset by 128, corrected with 128 * colsum(qw)) where it has AVX-512
// VNNI, "scalar" everywhere. BERTNODE_CPU_KERNELS, when set, stands for a CPU whose best family is the named one
// (gemm_kernels.h): "amx" keeps AMX-INT8, "avx512bf16" and "avx512" allow at most VNNI, "avx2" and "scalar" mean
// scalar.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace bertnode::cpu {

// 127 * 127 * K must fit an int32 sum.
constexpr int kInt8MaxK = 133000;

// One Linear's quantised weights in the packed layout every family reads: columns in panels of 16, each panel
// [K/4 groups of k][16 columns][4 k values] (one 64-byte row per group: a zmm for vpdpbusd, a tile row for tdpbssd),
// N padded with zero columns to a multiple of 64 and K with zeros to a multiple of 64.
struct Int8Weights {
  int N = 0, K = 0;        // logical shape [N, K]
  int paddedN = 0, paddedK = 0;
  std::unique_ptr<int8_t[]> packed;   // paddedN * paddedK bytes
  std::unique_ptr<float[]> scales;    // [paddedN] sw, 0 on padding
  std::unique_ptr<int32_t[]> colSums; // [paddedN] sum_k qw[n,k] (the VNNI correction)
};

// Quantises W [N, K] row-major (N, K >= 1, K <= kInt8MaxK; std::invalid_argument otherwise).
Int8Weights quantizeWeights(const float* W, int N, int K);

// y [M, N] = dequantised int8 x [M, K] times W^T plus bias (bias may be null: no bias). Threaded over the pool.
void linearInt8(const Int8Weights& w, const float* x, int M, const float* bias, float* y);

// The family linearInt8 runs ("amx", "avx512vnni" or "scalar"); throws std::invalid_argument like the fp32 GEMMs
// when BERTNODE_CPU_KERNELS is not a family this CPU runs.
const char* int8Family();

namespace int8_detail {

// Whether this CPU/build runs the named family (whatever BERTNODE_CPU_KERNELS says).
bool int8FamilyAvailable(const std::string& family);
// linearInt8 with a given family (tests compare them); std::invalid_argument when it is not available.
void linearInt8With(const std::string& family, const Int8Weights& w, const float* x, int M, const float* bias,
                    float* y);

}  // namespace int8_detail
}  // namespace bertnode::cpu
