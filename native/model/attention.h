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

// qh, kh, vh [B,NH,T,D] in; probs [B,NH,T,T] the softmax before dropout (write); heads [B,NH,T,D] the context per
// head (write). dropped [B,NH,T,T] is scratch, read only with dropout. Returns the probabilities the context used
// (after dropout: Hugging Face's `attentions` output), probs or dropped.
const float* composedAttentionForward(Backend& be, float* heads, float* probs, float* dropped, const float* qh,
                                      const float* kh, const float* vh, const int32_t* mask, const Dims& d,
                                      const AttentionDropout& drop);
// dHeads [B,NH,T,D] the context's gradient per head; dqh, dkh, dvh [B,NH,T,D] (write; dqh may alias dHeads).
// dropped (with dropout) and dScores [B,NH,T,T] are scratch.
void composedAttentionBackward(Backend& be, float* dqh, float* dkh, float* dvh, const float* dHeads,
                               const float* qh, const float* kh, const float* vh, const float* probs, float* dropped,
                               float* dScores, const Dims& d, const AttentionDropout& drop);

}  // namespace bertnode
