// The CPU's flash-style attention (the contracts of model/fused_attention.h). bf16: every GEMM operand (q, k, v,
// the dropped probabilities, dContext, dS) is rounded to bf16 and the products summed in fp32 — gemmBf16, exactly
// as the composed path's GEMMs run under the bf16 precision; the softmax, dropout and statistics stay fp32.
#pragma once

#include <cstdint>

#include "model/fused_attention.h"

namespace bertnode::cpu {

void fusedAttentionForward(float* context, float* rowStats, const float* q, const float* k, const float* v,
                           const int32_t* mask, float scale, const AttentionShape& shape,
                           const AttentionDropout& drop, bool bf16);
void fusedAttentionBackward(float* dq, float* dk, float* dv, const float* dContext, const float* q, const float* k,
                            const float* v, const float* rowStats, const int32_t* mask, float scale,
                            const AttentionShape& shape, const AttentionDropout& drop, bool bf16);

}  // namespace bertnode::cpu
