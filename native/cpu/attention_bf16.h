// Attention for inference on bf16 rows (precision 'bf16' on AMX; model/bf16_activations.h): the scaled, masked
// softmax attention of model/fused_attention.h without dropout, reading q, k, v and writing the context as bf16.
//
// Shapes: q, k, v, context [B,T,NH*D] bf16 (row stride NH*D; head h at columns h*D .. h*D+D-1); mask [B,T] int32.
// The products are the composed bf16 path's (q, k, the probabilities and v rounded to bf16, nearest even; fp32 sums
// of the 32-step k blocks in order) and the softmax is its function (attention_rows.h), so the context is the bits
// that path's fp32 context would round to.
#pragma once

#include <cstdint>

#include "model/fused_attention.h"

namespace bertnode::cpu {

// context = attention(q, k, v) as above (write). Threaded over batch rows x heads; the same bits for any thread
// count. It runs where linearBf16Supported() (cpu/linear_bf16.h: the active bf16 GEMM family is AMX), and throws
// std::runtime_error elsewhere; every position is a query (shape.queries == T, else std::invalid_argument).
void attentionBf16(uint16_t* context, const uint16_t* q, const uint16_t* k, const uint16_t* v, const int32_t* mask,
                   float scale, const AttentionShape& shape);

}  // namespace bertnode::cpu
