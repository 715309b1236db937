// Softmax cross-entropy over the classifier logits, per example, and its gradient.
//
// Shapes: logits/probs/dLogits [B,C]; labels [B] int32, outside [0, C) = ignored row; losses [B].
// B*C is tiny (a batch of a few classes), so one thread per example runs the CPU reference's arithmetic
// (cpu/cross_entropy.cpp: log-sum-exp in double) unchanged.
#include "cuda/common.cuh"
#include "cuda/cuda_check.h"
#include "cuda/launchers.h"

namespace bertnode::cuda {
namespace {

// ---- kernels ------------------------------------------------------------------------------------------------

__global__ void crossEntropyForwardKernel(float* losses, float* probs, const float* logits, const int32_t* labels,
                                          int B, int C) {
  int b = blockIdx.x * blockDim.x + threadIdx.x;
  if (b >= B) return;
  const float* z = logits + static_cast<int64_t>(b) * C;
  float* p = probs + static_cast<int64_t>(b) * C;
  float maxValue = z[0];
  for (int c = 1; c < C; ++c) maxValue = fmaxf(maxValue, z[c]);
  double sum = 0.0;
  for (int c = 0; c < C; ++c) sum += exp(static_cast<double>(z[c]) - maxValue);
  double logSum = log(sum) + maxValue;
  for (int c = 0; c < C; ++c) p[c] = static_cast<float>(exp(static_cast<double>(z[c]) - logSum));
  bool ignored = labels[b] < 0 || labels[b] >= C;
  losses[b] = ignored ? 0.0f : static_cast<float>(logSum - z[labels[b]]);
}

__global__ void crossEntropyBackwardKernel(float* dLogits, const float* probs, const int32_t* labels, float scale,
                                           int B, int C) {
  int64_t total = static_cast<int64_t>(B) * C;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int c = static_cast<int>(i % C);
    int b = static_cast<int>(i / C);
    bool ignored = labels[b] < 0 || labels[b] >= C;
    dLogits[i] = ignored ? 0.0f : scale * (probs[i] - (c == labels[b] ? 1.0f : 0.0f));
  }
}

}  // namespace

// ---- launchers ----------------------------------------------------------------------------------------------

void crossEntropyForward(cudaStream_t stream, float* losses, float* probs, const float* logits,
                         const int32_t* labels, int B, int C) {
  if (B <= 0) return;  // a zero grid cannot launch
  crossEntropyForwardKernel<<<(B + kFlatBlock - 1) / kFlatBlock, kFlatBlock, 0, stream>>>(losses, probs, logits,
                                                                                          labels, B, C);
  BERTNODE_CUDA_CHECK_LAUNCH(crossEntropyForwardKernel);
}

void crossEntropyBackward(cudaStream_t stream, float* dLogits, const float* probs, const int32_t* labels,
                          float scale, int B, int C) {
  crossEntropyBackwardKernel<<<flatGrid(static_cast<int64_t>(B) * C), kFlatBlock, 0, stream>>>(dLogits, probs,
                                                                                               labels, scale, B, C);
  BERTNODE_CUDA_CHECK_LAUNCH(crossEntropyBackwardKernel);
}

}  // namespace bertnode::cuda
