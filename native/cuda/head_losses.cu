// Elementwise losses of the task heads and their gradients: binary cross-entropy with logits (multi-label) and
// squared error (regression). One thread per element, the CPU reference's formula (cpu/head_losses.cpp).
#include "cuda/common.cuh"
#include "cuda/cuda_check.h"
#include "cuda/launchers.h"

namespace bertnode::cuda {
namespace {

// ---- kernels ------------------------------------------------------------------------------------------------

__global__ void bceWithLogitsForwardKernel(float* losses, const float* logits, const float* targets, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    float x = logits[i];
    losses[i] = fmaxf(x, 0.0f) - x * targets[i] + log1pf(expf(-fabsf(x)));
  }
}

__global__ void bceWithLogitsBackwardKernel(float* dLogits, const float* logits, const float* targets, float scale,
                                            int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    float sigmoid = 1.0f / (1.0f + expf(-logits[i]));
    dLogits[i] = scale * (sigmoid - targets[i]);
  }
}

__global__ void squaredErrorForwardKernel(float* losses, const float* x, const float* y, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    float diff = x[i] - y[i];
    losses[i] = diff * diff;
  }
}

__global__ void squaredErrorBackwardKernel(float* dX, const float* x, const float* y, float scale, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    dX[i] = scale * 2.0f * (x[i] - y[i]);
  }
}

}  // namespace

// ---- launchers ----------------------------------------------------------------------------------------------

void bceWithLogitsForward(cudaStream_t stream, float* losses, const float* logits, const float* targets,
                          int64_t n) {
  bceWithLogitsForwardKernel<<<flatGrid(n), kFlatBlock, 0, stream>>>(losses, logits, targets, n);
  BERTNODE_CUDA_CHECK_LAUNCH(bceWithLogitsForwardKernel);
}

void bceWithLogitsBackward(cudaStream_t stream, float* dLogits, const float* logits, const float* targets,
                           float scale, int64_t n) {
  bceWithLogitsBackwardKernel<<<flatGrid(n), kFlatBlock, 0, stream>>>(dLogits, logits, targets, scale, n);
  BERTNODE_CUDA_CHECK_LAUNCH(bceWithLogitsBackwardKernel);
}

void squaredErrorForward(cudaStream_t stream, float* losses, const float* x, const float* y, int64_t n) {
  squaredErrorForwardKernel<<<flatGrid(n), kFlatBlock, 0, stream>>>(losses, x, y, n);
  BERTNODE_CUDA_CHECK_LAUNCH(squaredErrorForwardKernel);
}

void squaredErrorBackward(cudaStream_t stream, float* dX, const float* x, const float* y, float scale, int64_t n) {
  squaredErrorBackwardKernel<<<flatGrid(n), kFlatBlock, 0, stream>>>(dX, x, y, scale, n);
  BERTNODE_CUDA_CHECK_LAUNCH(squaredErrorBackwardKernel);
}

}  // namespace bertnode::cuda
