// Linear layers on bf16 activations, for inference on AMX (precision 'bf16'; model/bf16_activations.h): the input rows
// are already bf16, so the tiles load them straight from the activation (no packing pass over fp32 rows), the weight
// is packed once into the tile layout (packWeightBf16) and reused across calls, and one epilogue adds the bias,
// applies GELU and/or adds a residual, and writes fp32 and/or bf16 rows.
//
// The products are the ones gemmBf16 computes for the same values (every operand rounded to bf16, nearest even, fp32
// sums; gemm.h): an activation stored as bf16 here is what gemmBf16's packer would have rounded it to, and both sum
// the 32-step k blocks of an output in order in an AMX tile, so a plain product gives the same bits as gemmBf16
// followed by the separate bias add. The GELU epilogue is within ~3e-7 of cpu/gelu.cpp's (a reciprocal instead of
// a division), which can move its bf16 output by one step where the value sits on a rounding boundary.
#pragma once

#include <cstddef>
#include <cstdint>

#include "model/bf16_activations.h"

namespace bertnode::cpu {

// Whether linearBf16 runs here: the active bf16 GEMM family is AMX (gemm_kernels.h; BERTNODE_CPU_KERNELS can rule it
// out). The functions below throw std::runtime_error when it is not.
bool linearBf16Supported();

// dst[i] = src[i] rounded to bf16 (nearest even) for n elements. Threaded.
void toBf16(uint16_t* dst, const float* src, int64_t n);
// The same for `rows` rows of `cols` elements with row strides ldDst and ldSrc, on the calling thread (inside a task).
void toBf16Rows(uint16_t* dst, int64_t ldDst, const float* src, int64_t ldSrc, int rows, int cols);
// out[r, c] = bf16(in[r, c] + bias[c]), nearest even, over N rows of C: addBias and the rounding of the bf16 GEMMs'
// packers in one pass (a training activation kept in bf16, Backend::addBiasBf16). Threaded.
void addBiasBf16(uint16_t* out, const float* in, const float* bias, int N, int C);

// Bytes of a weight [out, in] packed for linearBf16.
size_t packedWeightBf16Bytes(int out, int in);
// Packs weight [out, in] (row-major fp32, an nn.Linear's) into `packed` (packedWeightBf16Bytes bytes, 64-byte
// aligned): 32-column panels of 32-step k blocks in AMX's pair layout, out and in padded with zeros.
void packWeightBf16(void* packed, const float* weight, int out, int in);

// y = the epilogue of x W^T as model/bf16_activations.h's Bf16LinearArgs says (host pointers). Threaded; the same bits for
// any thread count.
void linearBf16(const Bf16LinearArgs& args);

}  // namespace bertnode::cpu
