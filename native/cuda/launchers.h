// The CUDA launchers behind CudaBackend's ops (model/backend.h documents the shapes and semantics of each op; every
// launcher here is the op of the same name). One .cu file per family, each with three levels: __global__ kernels,
// these launchers (host functions that pick a grid and enqueue on `stream`, never synchronising), and the
// CudaBackend method in cuda_backend.cu that forwards to them.
//
// Launchers that reduce across rows take a `Scratch` to hold their per-block partial sums: reductions happen in
// two deterministic passes (partials in a fixed order, then a fixed-order sum) rather than with float atomics, so a
// run repeats bit for bit. No kernel uses float atomics: the word and token-type embedding gradients' scatter-add
// follows the host-built ScatterPlan (model/backend.h; see embeddings.cu).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "model/backend.h"

namespace bertnode::cuda {

// Device scratch memory owned by the backend; `get` returns at least `bytes`, growing (after a synchronise) when
// asked for more than it holds. Valid until the next call of get; kernels of one stream use it in turn.
class Scratch {
 public:
  virtual void* get(size_t bytes) = 0;

 protected:
  ~Scratch() = default;
};

// embeddings.cu
void embeddingsForward(cudaStream_t stream, float* out, const int32_t* ids, const int32_t* typeIds,
                       const float* word, const float* position, const float* tokenType, int B, int T, int H);
void embeddingsBackward(cudaStream_t stream, Scratch& scratch, float* dWord, float* dPosition, float* dTokenType,
                        const float* dOut, const ScatterPlan& wordPlan, const ScatterPlan& typePlan, int B, int T,
                        int H);
void gatherClsRows(cudaStream_t stream, float* out, const float* in, int B, int T, int H);
void scatterClsRows(cudaStream_t stream, float* dIn, const float* dOut, int B, int T, int H);

// layernorm.cu
void layerNormForward(cudaStream_t stream, float* out, float* mean, float* rstd, const float* in,
                      const float* gamma, const float* beta, int N, int C, float eps);
void layerNormBackward(cudaStream_t stream, Scratch& scratch, float* dIn, float* dGamma, float* dBeta,
                       const float* dOut, const float* in, const float* gamma, const float* mean, const float* rstd,
                       int N, int C);

// elementwise.cu
void addBias(cudaStream_t stream, float* x, const float* bias, int N, int C);
void biasBackward(cudaStream_t stream, Scratch& scratch, float* dBias, const float* dOut, int N, int C);
void add(cudaStream_t stream, float* out, const float* a, const float* b, int64_t n);
void multiply(cudaStream_t stream, float* out, const float* a, const float* b, int64_t n);
void scale(cudaStream_t stream, float* x, float alpha, int64_t n);
void tanhForward(cudaStream_t stream, float* out, const float* in, int64_t n);
void tanhBackward(cudaStream_t stream, float* dIn, const float* dOut, const float* out, int64_t n);
void sumOfSquares(cudaStream_t stream, Scratch& scratch, float* result, const float* x, int64_t n);

// gelu.cu
void geluForward(cudaStream_t stream, float* out, const float* in, int64_t n);
void geluBackward(cudaStream_t stream, float* dIn, const float* dOut, const float* in, int64_t n);
void geluForwardWithDerivative(cudaStream_t stream, float* out, float* derivative, const float* in, int64_t n);

// attention.cu
void splitHeads(cudaStream_t stream, float* out, const float* in, int B, int T, int NH, int D);
void mergeHeads(cudaStream_t stream, float* out, const float* in, int B, int T, int NH, int D);
void attentionSoftmaxForward(cudaStream_t stream, float* probs, const float* scores, const int32_t* mask,
                             float scale, int B, int NH, int Q, int T);
void attentionSoftmaxBackward(cudaStream_t stream, float* dScores, const float* dProbs, const float* probs,
                              float scale, int B, int NH, int Q, int T);

// dropout.cu
void dropout(cudaStream_t stream, float* out, const float* in, int64_t n, float p, uint64_t seed, uint64_t step,
             uint32_t site);
void dropoutRows(cudaStream_t stream, float* out, const float* in, int rows, int C, int64_t counterRowStride, float p,
                 uint64_t seed, uint64_t step, uint32_t site);

// cross_entropy.cu
void crossEntropyForward(cudaStream_t stream, float* losses, float* probs, const float* logits,
                         const int32_t* labels, int B, int C);
void crossEntropyBackward(cudaStream_t stream, float* dLogits, const float* probs, const int32_t* labels,
                          float scale, int B, int C);

// head_losses.cu
void bceWithLogitsForward(cudaStream_t stream, float* losses, const float* logits, const float* targets, int64_t n);
void bceWithLogitsBackward(cudaStream_t stream, float* dLogits, const float* logits, const float* targets,
                           float scale, int64_t n);
void squaredErrorForward(cudaStream_t stream, float* losses, const float* x, const float* y, int64_t n);
void squaredErrorBackward(cudaStream_t stream, float* dX, const float* x, const float* y, float scale, int64_t n);

// pooling.cu
void maskedMeanPool(cudaStream_t stream, float* out, const float* in, const int32_t* mask, int B, int T, int H);
void l2NormalizeRows(cudaStream_t stream, float* x, int N, int C);

// adamw.cu
void adamwUpdate(cudaStream_t stream, float* param, const float* grad, float* m, float* v, int64_t n, float lr,
                 float beta1, float beta2, float eps, float weightDecay, float gradScale, float biasCorrection1,
                 float biasCorrection2);

}  // namespace bertnode::cuda
