// AdamW update with torch.optim.AdamW's single-tensor arithmetic (decoupled weight decay, bias correction, eps
// added outside the square root), plus the global-norm clipping factor folded into the gradient. The expression
// order is the CPU backend's (cpu/adamw.cpp), and the build compiles with --fmad=false, so both devices round the
// same way step after step.
//
// Shapes: param, grad, m, v flat, n elements.
#include <cmath>

#include "core/adamw_element.h"
#include "cuda/common.cuh"
#include "cuda/cuda_check.h"
#include "cuda/launchers.h"

namespace bertnode::cuda {
namespace {

// ---- kernels ------------------------------------------------------------------------------------------------

__global__ void adamwKernel(float* param, const float* grad, float* m, float* v, int64_t n, float decay,
                            float stepSize, float beta1, float beta2, float eps, float gradScale,
                            float biasCorrection2Sqrt) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    adamwElement(param[i], grad[i], m[i], v[i], decay, stepSize, beta1, beta2, eps, gradScale, biasCorrection2Sqrt);
  }
}

}  // namespace

// ---- launchers ----------------------------------------------------------------------------------------------

void adamwUpdate(cudaStream_t stream, float* param, const float* grad, float* m, float* v, int64_t n, float lr,
                 float beta1, float beta2, float eps, float weightDecay, float gradScale, float biasCorrection1,
                 float biasCorrection2) {
  const float decay = 1.0f - lr * weightDecay;
  const float stepSize = lr / biasCorrection1;
  const float biasCorrection2Sqrt = std::sqrt(biasCorrection2);
  adamwKernel<<<flatGrid(n), kFlatBlock, 0, stream>>>(param, grad, m, v, n, decay, stepSize, beta1, beta2, eps,
                                                      gradScale, biasCorrection2Sqrt);
  BERTNODE_CUDA_CHECK_LAUNCH(adamwKernel);
}

}  // namespace bertnode::cuda
