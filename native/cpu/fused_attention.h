// The CPU's flash-style attention (the contracts of model/fused_attention.h). bf16: every GEMM operand (q, k, v,
// the dropped probabilities, dContext, dS) is rounded to bf16 and the products summed in fp32 — gemmBf16, exactly
// as the composed path's GEMMs run under the bf16 precision; the softmax, dropout and statistics stay fp32. The Bf16
// pair takes q, k, v and writes the context as bf16 rows (FusedAttention::attentionForwardBf16; AMX only): the same
// products, their operands packed from the stored words.
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
void fusedAttentionForwardBf16(uint16_t* context, float* rowStats, const uint16_t* q, const uint16_t* k,
                               const uint16_t* v, const int32_t* mask, float scale, const AttentionShape& shape,
                               const AttentionDropout& drop);
void fusedAttentionBackwardBf16(float* dq, float* dk, float* dv, const float* dContext, const uint16_t* q,
                                const uint16_t* k, const uint16_t* v, const float* rowStats, const int32_t* mask,
                                float scale, const AttentionShape& shape, const AttentionDropout& drop);

}  // namespace bertnode::cpu
