// Branch-free fp32 exp and normal CDF that g++ -O3 vectorises (libm's expf/erff are scalar calls), for the elementwise
// kernels on the hot path (GELU, attention softmax), and a lane-parallel double sum for row reductions. Both are accurate to a few ulp over the range the kernels use,
// which keeps the ops within ~1e-7 relative of PyTorch's own vectorised (Sleef) versions.
//
// BERTNODE_SIMD_CLONES marks a kernel for GCC's function multi-versioning: the compiler emits AVX-512, AVX2 and
// baseline x86-64 bodies and picks one at load time (ifunc), so the generic build still runs wide vectors.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define BERTNODE_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define BERTNODE_SIMD_CLONES
#endif

namespace bertnode::cpu {

// exp(x) by Cephes' expf: x = n ln2 + r with |r| <= ln2/2, a degree-6 polynomial for e^r, then 2^n through the
// exponent bits; within 2 ulp. Domain: x <= 88 (the kernels only pass x <= 0; above ~88.3 the result is inf, a bit
// early); x below -87.3 is raised to -87.3,
// giving ~1e-38 instead of a denormal. That clamp is an unsigned integer min on the bit pattern (negative floats
// order like their bits), because a float compare-and-select here makes GCC split the loop into branches that it
// then cannot vectorise.
inline float vexp(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof(bits));
  bits = bits < 0xC2AE999Au ? bits : 0xC2AE999Au;  // 0xC2AE999A is -87.3f
  std::memcpy(&x, &bits, sizeof(x));
  float fx = x * 1.44269504088896341f + 0.5f;
  int32_t n = static_cast<int32_t>(fx);
  n -= static_cast<float>(n) > fx ? 1 : 0;  // floor for negative fx (the conversion truncates)
  float nf = static_cast<float>(n);
  float r = x - nf * 0.693359375f + nf * 2.12194440e-4f;
  float r2 = r * r;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r2 + r + 1.0f;
  int32_t scaleBits = (n + 127) << 23;
  float scale;
  std::memcpy(&scale, &scaleBits, sizeof(scale));
  return p * scale;
}

// The standard normal CDF Phi(x) = 0.5 * erfc(-x / sqrt(2)), with erfc from Numerical Recipes' Chebyshev fit
// (fractional error < 1.2e-7). Going through erfc keeps the left tail accurate, so x * Phi(x) (GELU) is within
// ~1.5e-7 of the exact value everywhere, as close as libm's erff-based formula.
inline float vnormalCdf(float x) {
  float z = x * 0.70710678118654752f;
  float a = std::fabs(z);
  float t = 1.0f / (1.0f + 0.5f * a);
  float p = 0.17087277f;
  p = p * t - 0.82215223f;
  p = p * t + 1.48851587f;
  p = p * t - 1.13520398f;
  p = p * t + 0.27886807f;
  p = p * t - 0.18628806f;
  p = p * t + 0.09678418f;
  p = p * t + 0.37409196f;
  p = p * t + 1.00002368f;
  p = p * t - 1.26551223f;
  float halfErfc = 0.5f * t * vexp(-a * a + p);  // 0.5 * erfc(|z|)
  // z > 0 ? 1 - halfErfc : halfErfc, written as arithmetic because GCC does not if-convert a branch whose arm
  // holds an fp operation (it might trap) and the loop would stay scalar. The left tail stays exact.
  float positive = z > 0.0f ? 1.0f : 0.0f;
  return halfErfc + positive * (1.0f - 2.0f * halfErfc);
}

// sum_{i<n} term(i) in double over 8 independent accumulators: the same accuracy as one double accumulator, but
// the lanes are independent, so the loop vectorises (a single running sum is a serial dependency GCC must keep).
template <typename Term>
inline double laneSum(int n, Term term) {
  constexpr int kLanes = 8;
  double lanes[kLanes] = {};
  int i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) lanes[l] += static_cast<double>(term(i + l));
  }
  double total = 0.0;
  for (; i < n; ++i) total += static_cast<double>(term(i));
  for (int l = 0; l < kLanes; ++l) total += lanes[l];
  return total;
}

}  // namespace bertnode::cpu
