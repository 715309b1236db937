// AdamW update with torch.optim.AdamW's single-tensor arithmetic (decoupled weight decay, bias correction,
// eps added outside the square root), plus the global-norm clipping factor folded into the gradient.
//
// Shapes: param, grad, m, v flat, n elements.
#include <cmath>
#include <cstddef>

#include "core/adamw_element.h"
#include "cpu/ops.h"
#include "cpu/thread_pool.h"
#include "cpu/vector_math.h"

namespace bertnode::cpu {
namespace {

// One contiguous range; a separate function so GCC emits AVX-512/AVX2 bodies (vector sqrt and divide) chosen at
// load time. The update touches 7 floats per element (read param, grad, m, v; write param, m, v), so it is
// memory-bound once vectorised.
BERTNODE_SIMD_CLONES void adamwRange(float* param, const float* grad, float* m, float* v, size_t begin, size_t end,
                                     float decay, float stepSize, float beta1, float beta2, float eps,
                                     float gradScale, float biasCorrection2Sqrt) {
  for (size_t i = begin; i < end; ++i) {
    adamwElement(param[i], grad[i], m[i], v[i], decay, stepSize, beta1, beta2, eps, gradScale, biasCorrection2Sqrt);
  }
}

}  // namespace

void adamwUpdate(float* param, const float* grad, float* m, float* v, int64_t n, float lr, float beta1, float beta2,
                 float eps, float weightDecay, float gradScale, float biasCorrection1, float biasCorrection2) {
  const float decay = 1.0f - lr * weightDecay;
  const float stepSize = lr / biasCorrection1;
  const float biasCorrection2Sqrt = std::sqrt(biasCorrection2);
  parallelFor(static_cast<size_t>(n), 1 << 14, [&](size_t begin, size_t end) {
    adamwRange(param, grad, m, v, begin, end, decay, stepSize, beta1, beta2, eps, gradScale, biasCorrection2Sqrt);
  });
}

}  // namespace bertnode::cpu
