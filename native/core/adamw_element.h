// One element of the AdamW update, shared by the CPU (native/cpu/adamw.cpp) and CUDA (native/cuda/adamw.cu)
// backends so both compute the same arithmetic in the same order, like torch.optim.AdamW:
//   g = grad * gradScale                      (gradScale carries global-norm clipping)
//   p = param * decay                         (decay = 1 - lr * weightDecay: decoupled weight decay)
//   m = m + (g - m) * (1 - beta1)             (torch: exp_avg.lerp_(grad, 1 - beta1))
//   v = v * beta2 + (1 - beta2) * g^2
//   param = p - stepSize * m / (sqrt(v) / sqrt(biasCorrection2) + eps)   (stepSize = lr / biasCorrection1)
#pragma once

#ifdef __CUDACC__
#define BERTNODE_ADAMW_HOST_DEVICE __host__ __device__ __forceinline__
#else
#include <cmath>
#define BERTNODE_ADAMW_HOST_DEVICE inline
#endif

namespace bertnode {

BERTNODE_ADAMW_HOST_DEVICE void adamwElement(float& param, float grad, float& m, float& v, float decay,
                                             float stepSize, float beta1, float beta2, float eps, float gradScale,
                                             float biasCorrection2Sqrt) {
  float g = grad * gradScale;
  float p = param * decay;
  float mi = m + (g - m) * (1.0f - beta1);
  float vi = v * beta2 + (1.0f - beta2) * g * g;
  m = mi;
  v = vi;
#ifdef __CUDACC__
  param = p - stepSize * (mi / (sqrtf(vi) / biasCorrection2Sqrt + eps));
#else
  param = p - stepSize * (mi / (std::sqrt(vi) / biasCorrection2Sqrt + eps));
#endif
}

}  // namespace bertnode

#undef BERTNODE_ADAMW_HOST_DEVICE
