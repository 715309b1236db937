// One attention row at a time (attention.cpp): the masked softmax shared by attentionSoftmaxForward and the fused
// kernels (fused_attention.cpp), so both produce the same probabilities, and its backward.
//
// Shapes: s, p, dp, ds [T] (one query's scores over the T keys); mask [T] int32 (the batch row's); stats [2].
#pragma once

#include <cstdint>

namespace bertnode::cpu {

// p = softmax(scale * s) over the keys with mask != 0, masked keys exactly 0; all keys masked: p = 1/T. When stats
// is not null it receives {max of the scaled unmasked scores (-inf when all are masked), 1 / sum of the exps}.
void softmaxRow(float* p, const float* s, const int32_t* mask, float scale, int T, float* stats);
// The same p, bit for bit, from s and the stats softmaxRow returned for it.
void softmaxRowFromStats(float* p, const float* s, const int32_t* mask, float scale, int T, const float* stats);
// ds = scale * p * (dp - sum_k dp*p)  (ds == dp allowed).
void softmaxRowBackward(float* ds, const float* dp, const float* p, float scale, int T);

}  // namespace bertnode::cpu
