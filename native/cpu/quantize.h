// Symmetric int8 quantisation of one row (gemm_int8.h's scheme for weight rows and activation rows alike), and the
// dequantisation of one row of int32 sums.
//
// Quantisation:
// maxAbs = max_k |x[k]|, q[k] = round_half_even(x[k] * (127 / maxAbs)) clamped to [-127, 127], scale = maxAbs / 127;
// a row of zeros gives q = 0 and scale 0. q[K .. paddedK) is zero-filled.
#pragma once

#include <cstdint>

namespace bertnode::cpu {

// Returns the row's scale. AVX-512 where the CPU has it, else portable C++: the same bits either way.
float quantizeRowInt8(const float* x, int K, int paddedK, int8_t* q);

// The way back (gemm_int8.h): y[j] = float(acc[j]) * (rowScale * colScales[j]) + bias[j] for j < n, one rounding per
// operation in that order (no fused multiply-add), bias null meaning none. Same bits on either path.
void dequantizeRowInt8(const int32_t* acc, int n, float rowScale, const float* colScales, const float* bias, float* y);

}  // namespace bertnode::cpu
