// GELU in its exact erf form (Hugging Face "gelu"), forward and backward.
//
// Shapes: flat, n elements. gelu(x) = x * Phi(x) with Phi(x) = 0.5 * (1 + erf(x / sqrt(2)));
// gelu'(x) = Phi(x) + x * phi(x) with phi(x) = exp(-x^2 / 2) / sqrt(2 * pi).
// Phi and exp come from vector_math.h so the loops vectorise (within ~1.5e-7 of the libm formula).
#include <cstddef>

#include "cpu/ops.h"
#include "cpu/thread_pool.h"
#include "cpu/vector_math.h"

namespace bertnode::cpu {
namespace {

constexpr float kInvSqrt2Pi = 0.39894228040143267794f;
constexpr size_t kGrain = 8192;

BERTNODE_SIMD_CLONES void geluForwardRange(float* out, const float* in, size_t begin, size_t end) {
  for (size_t i = begin; i < end; ++i) out[i] = in[i] * vnormalCdf(in[i]);
}

BERTNODE_SIMD_CLONES void geluBackwardRange(float* dIn, const float* dOut, const float* in, size_t begin,
                                            size_t end) {
  for (size_t i = begin; i < end; ++i) {
    float x = in[i];
    dIn[i] = dOut[i] * (vnormalCdf(x) + x * kInvSqrt2Pi * vexp(-0.5f * x * x));
  }
}

}  // namespace

void geluForward(float* out, const float* in, int64_t n) {
  parallelFor(static_cast<size_t>(n), kGrain, [&](size_t begin, size_t end) { geluForwardRange(out, in, begin, end); });
}

void geluBackward(float* dIn, const float* dOut, const float* in, int64_t n) {
  parallelFor(static_cast<size_t>(n), kGrain,
              [&](size_t begin, size_t end) { geluBackwardRange(dIn, dOut, in, begin, end); });
}

}  // namespace bertnode::cpu
