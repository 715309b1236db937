// BertSelfAttention's core, between the Q/K/V linears and the output dense: softmax(Q K^T * scale + mask) with
// dropout, times V. Two ways: composed from Backend ops over [B,NH,T,T] probabilities (what the attention maps are
// read from, and the path of a backend without fused attention), and the backend's FusedAttention.
#pragma once

#include <cstdint>

#include "model/layers.h"

namespace bertnode {

// 1/sqrt(D): the scores' scale.
float attentionScale(const Dims& d);
// The probabilities' dropout of this layer and call (p = 0 when dropout is off).
AttentionDropout attentionDropout(const LayerDropout& drop, const DropoutKey& key);

// Q is the queries per sequence: T, or 1 in the first-token layer (the [CLS] query alone; its probabilities drop
// out with the full [B,NH,T,T] tensor's masks). qh, heads, dqh and dHeads are [B,NH,Q,D]; kh, vh, dkh, dvh
// [B,NH,T,D]; probs, dropped and dScores [B,NH,Q,T].
//
// probs: the softmax before dropout (write); heads: the context per head (write). dropped is scratch, read only with
// dropout. Returns the probabilities the context used (after dropout: Hugging Face's `attentions` output), probs or
// dropped.
const float* composedAttentionForward(Backend& be, float* heads, float* probs, float* dropped, const float* qh,
                                      const float* kh, const float* vh, const int32_t* mask, const Dims& d, int Q,
                                      const AttentionDropout& drop);
// dHeads: the context's gradient per head; dqh, dkh, dvh (write; dqh may alias dHeads). dropped (with dropout) and
// dScores are scratch.
void composedAttentionBackward(Backend& be, float* dqh, float* dkh, float* dvh, const float* dHeads,
                               const float* qh, const float* kh, const float* vh, const float* probs, float* dropped,
                               float* dScores, const Dims& d, int Q, const AttentionDropout& drop);

}  // namespace bertnode
