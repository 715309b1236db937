// GELU in its exact erf form (Hugging Face "gelu"), forward and backward.
//
// Shapes: flat, n elements. gelu(x) = x * Phi(x) with Phi(x) = 0.5 * (1 + erf(x / sqrt(2)));
// gelu'(x) = Phi(x) + x * phi(x) with phi(x) = exp(-x^2 / 2) / sqrt(2 * pi).
#include <cmath>
#include <cstddef>

#include "cpu/ops.h"
#include "cpu/thread_pool.h"

namespace bertnode::cpu {
namespace {

constexpr float kInvSqrt2 = 0.70710678118654752440f;
constexpr float kInvSqrt2Pi = 0.39894228040143267794f;
// erf is a libm call per element, so a few thousand elements are already worth a thread.
constexpr size_t kGrain = 4096;

}  // namespace

void geluForward(float* out, const float* in, int64_t n) {
  parallelFor(static_cast<size_t>(n), kGrain, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      float x = in[i];
      out[i] = 0.5f * x * (1.0f + std::erf(x * kInvSqrt2));
    }
  });
}

void geluBackward(float* dIn, const float* dOut, const float* in, int64_t n) {
  parallelFor(static_cast<size_t>(n), kGrain, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      float x = in[i];
      float cdf = 0.5f * (1.0f + std::erf(x * kInvSqrt2));
      float pdf = kInvSqrt2Pi * std::exp(-0.5f * x * x);
      dIn[i] = dOut[i] * (cdf + x * pdf);
    }
  });
}

}  // namespace bertnode::cpu
