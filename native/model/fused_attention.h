// Flash-style attention: the scaled, masked softmax attention with dropout of model/backend.h's composed ops
// (Q K^T GEMM, attentionSoftmaxForward, dropout, GEMM with V) in one op that never writes the [B,NH,T,T]
// probabilities to memory. The backward recomputes them from per-row statistics saved by the forward.
//
// Layout: k, v and their gradients are [B,T,NH*D] (the rows the Q/K/V linears write; head h is columns
// h*D .. h*D+D-1), so no head split or merge runs around the op. The queries are the first Q = shape.queries
// positions of each sequence: q, context and their gradients [B,Q,NH*D], rowStats [B,NH,Q,2]; Q = T everywhere but
// in the first-token layer (Q = 1: the [CLS] query only). mask [B,T] int32.
#pragma once

#include <cstdint>

namespace bertnode {

struct AttentionShape {
  int B, NH, T, D;
  int queries;  // Q, 1 <= Q <= T: the query positions 0 .. Q-1 of each sequence
};

// Dropout on the probabilities: none when p == 0. Otherwise probability (b,h,t,s) (t < Q) keeps iff
// dropoutUniform(seed, step, site, ((b*NH+h)*T+t)*T+s) >= p (core/philox.h) and is scaled by 1/(1-p): the mask of
// Backend::dropout over the [B,NH,T,T] tensor, so the fused and composed paths drop the same probabilities.
struct AttentionDropout {
  float p;
  uint64_t seed;
  uint64_t step;
  uint32_t site;
};

class FusedAttention {
 public:
  virtual ~FusedAttention() = default;

  // context[b,t,h*D+d] = sum_s dropout(P)[b,h,t,s] * v[b,s,h*D+d]  (write), where P[b,h,t,:] is
  // attentionSoftmaxForward's masked softmax of scale * q[b,t,h,:] . k[b,s,h,:] (masked keys exactly 0; a row whose
  // keys are all masked uniform 1/T). rowStats[b,h,t] = {max over unmasked keys of the scaled scores (-inf for an
  // all-masked row), 1 / sum of their exps} (write): all the backward needs to rebuild P bit for bit.
  virtual void attentionForward(float* context, float* rowStats, const float* q, const float* k, const float* v,
                                const int32_t* mask, float scale, const AttentionShape& shape,
                                const AttentionDropout& drop) = 0;
  // Given dContext and the forward's q, k, v, rowStats, mask, scale and dropout: dq, dk, dv (write), the gradients
  // the composed ops' backward gives (attentionSoftmaxBackward on the regenerated P and dropout mask). Deterministic:
  // the same bits for any thread count.
  virtual void attentionBackward(float* dq, float* dk, float* dv, const float* dContext, const float* q,
                                 const float* k, const float* v, const float* rowStats, const int32_t* mask,
                                 float scale, const AttentionShape& shape, const AttentionDropout& drop) = 0;

  // The same two with q, k, v and the context stored as bf16 rows (nearest even), for a layer the backward reads where
  // the backend's bf16 GEMMs read bf16 operands (Backend::bf16GemmOperands()): every product rounds them to bf16
  // anyway, so the numbers are the fp32 storage's with half the bytes. Elsewhere these throw std::logic_error.
  virtual void attentionForwardBf16(uint16_t* context, float* rowStats, const uint16_t* q, const uint16_t* k,
                                    const uint16_t* v, const int32_t* mask, float scale, const AttentionShape& shape,
                                    const AttentionDropout& drop) = 0;
  virtual void attentionBackwardBf16(float* dq, float* dk, float* dv, const float* dContext, const uint16_t* q,
                                     const uint16_t* k, const uint16_t* v, const float* rowStats, const int32_t* mask,
                                     float scale, const AttentionShape& shape, const AttentionDropout& drop) = 0;
};

}  // namespace bertnode
