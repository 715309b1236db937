// GELU in its exact erf form (Hugging Face "gelu"), forward and backward.
//
// Shapes: flat, n elements. gelu(x) = x * Phi(x) with Phi(x) = 0.5 * (1 + erf(x / sqrt(2)));
// gelu'(x) = Phi(x) + x * phi(x) with phi(x) = exp(-x^2 / 2) / sqrt(2 * pi). Same expression order as the CPU
// backend (cpu/gelu.cpp); erff/expf are CUDA's full-precision versions (no --use_fast_math).
#include "cuda/common.cuh"
#include "cuda/cuda_check.h"
#include "cuda/launchers.h"

namespace bertnode::cuda {
namespace {

constexpr float kInvSqrt2 = 0.70710678118654752440f;
constexpr float kInvSqrt2Pi = 0.39894228040143267794f;

// ---- kernels ------------------------------------------------------------------------------------------------

__device__ float gelu(float x) { return 0.5f * x * (1.0f + erff(x * kInvSqrt2)); }

// gelu'(x), one expression for both kernels below (geluBackward's bits = multiply by geluForwardWithDerivative's).
__device__ float geluDerivative(float x) {
  float cdf = 0.5f * (1.0f + erff(x * kInvSqrt2));
  float pdf = kInvSqrt2Pi * expf(-0.5f * x * x);
  return cdf + x * pdf;
}

__global__ void geluForwardKernel(float* out, const float* in, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    out[i] = gelu(in[i]);
  }
}

__global__ void geluBackwardKernel(float* dIn, const float* dOut, const float* in, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    dIn[i] = dOut[i] * geluDerivative(in[i]);
  }
}

__global__ void geluForwardWithDerivativeKernel(float* out, float* derivative, const float* in, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    float x = in[i];
    out[i] = gelu(x);
    derivative[i] = geluDerivative(x);
  }
}

}  // namespace

// ---- launchers ----------------------------------------------------------------------------------------------

void geluForward(cudaStream_t stream, float* out, const float* in, int64_t n) {
  geluForwardKernel<<<flatGrid(n), kFlatBlock, 0, stream>>>(out, in, n);
  BERTNODE_CUDA_CHECK_LAUNCH(geluForwardKernel);
}

void geluBackward(cudaStream_t stream, float* dIn, const float* dOut, const float* in, int64_t n) {
  geluBackwardKernel<<<flatGrid(n), kFlatBlock, 0, stream>>>(dIn, dOut, in, n);
  BERTNODE_CUDA_CHECK_LAUNCH(geluBackwardKernel);
}

void geluForwardWithDerivative(cudaStream_t stream, float* out, float* derivative, const float* in, int64_t n) {
  geluForwardWithDerivativeKernel<<<flatGrid(n), kFlatBlock, 0, stream>>>(out, derivative, in, n);
  BERTNODE_CUDA_CHECK_LAUNCH(geluForwardWithDerivativeKernel);
}

}  // namespace bertnode::cuda
