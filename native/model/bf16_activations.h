// Inference with bf16 activations between the ops of an encoder layer (precision 'bf16'): Linear layers that read
// their input rows as bf16, use a weight packed once for the device's bf16 units, and finish in one epilogue (bias,
// GELU, residual; fp32 and/or bf16 rows out), and an attention that reads bf16 q, k, v and writes a bf16 context.
// A backend offers them through Backend::bf16Activations() where it has such kernels (the CPU with AMX,
// cpu/linear_bf16.h and cpu/attention_bf16.h), null elsewhere; the model then runs the layers that no backward reads
// and no one wants probabilities of through them (model/layers.h, encoderLayerInferenceBf16).
//
// The products equal the bf16 GEMMs' (every operand rounded to bf16, nearest even; fp32 sums of the k blocks in
// order): a row kept as bf16 is what the GEMM's packing would have rounded it to.
#pragma once

#include <cstddef>
#include <cstdint>

#include "model/fused_attention.h"

namespace bertnode {

// y[r, :] = epilogue(x[r, :] W^T) for r < rows, x [rows, in] bf16 (row stride in), W packed by packWeight:
//   v = sum + bias[c];  v = gelu(v) (exact erf form) when gelu;  v += residual[r, c] when residual is set (row stride
//   out);  y[r, c] = v (fp32) and/or yBf16[r, c] = bf16(v), nearest even (either may be null, not both).
// y may alias residual. Device pointers.
struct Bf16LinearArgs {
  const uint16_t* x = nullptr;
  const void* packedWeight = nullptr;
  const float* bias = nullptr;
  const float* residual = nullptr;
  float* y = nullptr;
  uint16_t* yBf16 = nullptr;
  int rows = 0, in = 0, out = 0;
  bool gelu = false;
};

class Bf16Activations {
 public:
  virtual ~Bf16Activations() = default;

  // Bytes of device memory a weight [out, in] takes packed.
  virtual size_t packedWeightBytes(int out, int in) = 0;
  // Packs the fp32 weight [out, in] (an nn.Linear's, row-major) into `packed` (packedWeightBytes, 64-byte aligned).
  virtual void packWeight(void* packed, const float* weight, int out, int in) = 0;
  // dst[i] = bf16(src[i]), nearest even, for n elements.
  virtual void toBf16(uint16_t* dst, const float* src, int64_t n) = 0;
  virtual void linear(const Bf16LinearArgs& args) = 0;
  // context = softmax(scale * q k^T, masked) v per head, no dropout; q, k, v, context [B,T,NH*D] bf16 (the fused
  // attention's layout, model/fused_attention.h), mask [B,T]. Device pointers.
  virtual void attention(uint16_t* context, const uint16_t* q, const uint16_t* k, const uint16_t* v,
                         const int32_t* mask, float scale, const AttentionShape& shape) = 0;
};

}  // namespace bertnode
