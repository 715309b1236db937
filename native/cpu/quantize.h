// Symmetric int8 quantisation of one row (gemm_int8.h's scheme for weight rows and activation rows alike):
// maxAbs = max_k |x[k]|, q[k] = round_half_even(x[k] * (127 / maxAbs)) clamped to [-127, 127], scale = maxAbs / 127;
// a row of zeros gives q = 0 and scale 0. q[K .. paddedK) is zero-filled.
#pragma once

#include <cstdint>

namespace bertnode::cpu {

// Returns the row's scale. AVX-512 where the CPU has it, else portable C++: the same bits either way.
float quantizeRowInt8(const float* x, int K, int paddedK, int8_t* q);

}  // namespace bertnode::cpu
