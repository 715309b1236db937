// The CPU implementations of the Backend ops (model/backend.h documents shapes and semantics; each function here
// is the op of the same name). One file per family: embeddings.cpp, layernorm.cpp, elementwise.cpp, gelu.cpp,
// attention.cpp, dropout.cpp, cross_entropy.cpp, adamw.cpp. All are threaded with parallelFor and run on host
// memory, which is the CPU backend's device memory.
#pragma once

#include <cstdint>

#include "model/backend.h"

namespace bertnode::cpu {

// embeddings.cpp
void embeddingsForward(float* out, const int32_t* ids, const int32_t* typeIds, const float* word,
                       const float* position, const float* tokenType, int B, int T, int H);
void embeddingsBackward(float* dWord, float* dPosition, float* dTokenType, const float* dOut,
                        const ScatterPlan& wordPlan, const ScatterPlan& typePlan, int B, int T, int H);
void gatherClsRows(float* out, const float* in, int B, int T, int H);
void scatterClsRows(float* dIn, const float* dOut, int B, int T, int H);

// layernorm.cpp
void layerNormForward(float* out, float* mean, float* rstd, const float* in, const float* gamma, const float* beta,
                      int N, int C, float eps);
// Backend::dropoutAddLayerNorm, one row at a time (dropoutSpan, the add, normalizeRow: the same bits as dropout, add
// and layerNormForward).
void dropoutAddLayerNorm(float* out, float* residual, float* mean, float* rstd, const float* branch, const float* in,
                         const float* gamma, const float* beta, int N, int C, float eps, float p, uint64_t seed,
                         uint64_t step, uint32_t site);
void layerNormBackward(float* dIn, float* dGamma, float* dBeta, const float* dOut, const float* in,
                       const float* gamma, const float* mean, const float* rstd, int N, int C);

// elementwise.cpp
void addBias(float* x, const float* bias, int N, int C);
void biasBackward(float* dBias, const float* dOut, int N, int C);
void add(float* out, const float* a, const float* b, int64_t n);
void multiply(float* out, const float* a, const float* b, int64_t n);
void scale(float* x, float alpha, int64_t n);
void tanhForward(float* out, const float* in, int64_t n);
void tanhBackward(float* dIn, const float* dOut, const float* out, int64_t n);
void sumOfSquares(float* result, const float* x, int64_t n);

// gelu.cpp
void geluForward(float* out, const float* in, int64_t n);
void geluBackward(float* dIn, const float* dOut, const float* in, int64_t n);
void geluForwardWithDerivative(float* out, float* derivative, const float* in, int64_t n);
// The same with out rounded to bf16 (nearest even); needs AVX-512 BF16 (throws std::runtime_error without it).
void geluForwardWithDerivativeBf16(uint16_t* out, float* derivative, const float* in, int64_t n);

// attention.cpp
void splitHeads(float* out, const float* in, int B, int T, int NH, int D);
void mergeHeads(float* out, const float* in, int B, int T, int NH, int D);
void attentionSoftmaxForward(float* probs, const float* scores, const int32_t* mask, float scale, int B, int NH,
                             int Q, int T);
void attentionSoftmaxBackward(float* dScores, const float* dProbs, const float* probs, float scale, int B, int NH,
                              int Q, int T);

// dropout.cpp
void dropout(float* out, const float* in, int64_t n, float p, uint64_t seed, uint64_t step, uint32_t site);
void dropoutRows(float* out, const float* in, int rows, int C, int64_t counterRowStride, float p, uint64_t seed,
                 uint64_t step, uint32_t site);

// cross_entropy.cpp
void crossEntropyForward(float* losses, float* probs, const float* logits, const int32_t* labels, int B, int C);
void crossEntropyBackward(float* dLogits, const float* probs, const int32_t* labels, float scale, int B, int C);

// head_losses.cpp
void bceWithLogitsForward(float* losses, const float* logits, const float* targets, int64_t n);
void bceWithLogitsBackward(float* dLogits, const float* logits, const float* targets, float scale, int64_t n);
void squaredErrorForward(float* losses, const float* x, const float* y, int64_t n);
void squaredErrorBackward(float* dX, const float* x, const float* y, float scale, int64_t n);

// pooling.cpp
void maskedMeanPool(float* out, const float* in, const int32_t* mask, int B, int T, int H);
void l2NormalizeRows(float* x, int N, int C);

// adamw.cpp
void adamwUpdate(float* param, const float* grad, float* m, float* v, int64_t n, float lr, float beta1, float beta2,
                 float eps, float weightDecay, float gradScale, float biasCorrection1, float biasCorrection2);

}  // namespace bertnode::cpu
