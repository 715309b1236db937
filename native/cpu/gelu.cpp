// GELU in its exact erf form (Hugging Face "gelu"), forward and backward.
//
// Shapes: flat, n elements. gelu(x) = x * Phi(x) with Phi(x) = 0.5 * (1 + erf(x / sqrt(2)));
// gelu'(x) = Phi(x) + x * phi(x) with phi(x) = exp(-x^2 / 2) / sqrt(2 * pi).
// Phi and exp come from vector_math.h so the loops vectorise (within ~1.5e-7 of the libm formula). Where the CPU has
// AVX-512F the forward runs gelu_avx512.h's intrinsics instead (the same formula, a reciprocal instead of the
// division; within ~3e-7): the bf16 Linear's GELU epilogue runs the same function, so both give the same bits.
// A training layer's forward also writes gelu' (geluForwardWithDerivative, optionally with the output in bf16), which
// is all its backward needs of the input: multiply by it gives geluBackward's bits.
#include <algorithm>
#include <cstddef>
#include <stdexcept>

#include "cpu/ops.h"
#include "cpu/thread_pool.h"
#include "cpu/vector_math.h"

#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__)
#define BERTNODE_GELU_AVX512 1
#include "cpu/gelu_avx512.h"
#include "cpu/gemm_avx512_shuffle.h"
#endif

namespace bertnode::cpu {
namespace {

constexpr float kInvSqrt2Pi = 0.39894228040143267794f;
constexpr size_t kGrain = 8192;

BERTNODE_SIMD_CLONES void geluForwardRange(float* out, const float* in, size_t begin, size_t end) {
  for (size_t i = begin; i < end; ++i) out[i] = in[i] * vnormalCdf(in[i]);
}

#if BERTNODE_GELU_AVX512
__attribute__((target("avx512f"))) void geluForwardRangeAvx512(float* out, const float* in, size_t begin, size_t end) {
  size_t i = begin;
  for (; i + 16 <= end; i += 16) _mm512_storeu_ps(out + i, avx512::gelu16(_mm512_loadu_ps(in + i)));
  if (i < end) {
    const __mmask16 tail = static_cast<__mmask16>((1u << (end - i)) - 1);
    _mm512_mask_storeu_ps(out + i, tail, avx512::gelu16(_mm512_maskz_loadu_ps(tail, in + i)));
  }
}

bool hasAvx512() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
}
#endif

// gelu'(x): the backward's factor, one expression for geluBackward and geluForwardWithDerivative (same bits).
inline float geluDerivative(float x) { return vnormalCdf(x) + x * kInvSqrt2Pi * vexp(-0.5f * x * x); }

BERTNODE_SIMD_CLONES void geluBackwardRange(float* dIn, const float* dOut, const float* in, size_t begin,
                                            size_t end) {
  for (size_t i = begin; i < end; ++i) dIn[i] = dOut[i] * geluDerivative(in[i]);
}

BERTNODE_SIMD_CLONES void geluDerivativeRange(float* derivative, const float* in, size_t begin, size_t end) {
  for (size_t i = begin; i < end; ++i) derivative[i] = geluDerivative(in[i]);
}

// The forward of [begin, end) on the op's path: gelu_avx512.h's where the CPU has AVX-512F (geluForward's choice).
void geluForwardSpan(float* out, const float* in, size_t begin, size_t end) {
#if BERTNODE_GELU_AVX512
  if (hasAvx512()) return geluForwardRangeAvx512(out, in, begin, end);
#endif
  geluForwardRange(out, in, begin, end);
}

constexpr size_t kPiece = 2048;  // 8 KiB of fp32 input

// fn(begin, end) over [0, n) threaded, one piece of at most kPiece elements at a time: each of fn's passes over a piece
// reads its input from L1, and the forward's pass runs before the derivative's may overwrite it (derivative == in).
template <class Fn>
void forEachPiece(int64_t n, Fn fn) {
  parallelFor(static_cast<size_t>(n), kGrain, [&](size_t begin, size_t end) {
    for (size_t piece = begin; piece < end; piece += kPiece) fn(piece, std::min(end, piece + kPiece));
  });
}

#if BERTNODE_GELU_AVX512
__attribute__((target("avx512f,avx512bw,avx512bf16"))) void toBf16Piece(uint16_t* dst, const float* src, size_t n) {
  gemm_detail::toBf16Span(dst, src, n);
}
#endif

}  // namespace

void geluForward(float* out, const float* in, int64_t n) {
  parallelFor(static_cast<size_t>(n), kGrain, [&](size_t begin, size_t end) { geluForwardSpan(out, in, begin, end); });
}

void geluForwardWithDerivative(float* out, float* derivative, const float* in, int64_t n) {
  forEachPiece(n, [&](size_t begin, size_t end) {
    geluForwardSpan(out, in, begin, end);
    geluDerivativeRange(derivative, in, begin, end);
  });
}

// The forward of each piece goes through an fp32 buffer on the stack and is rounded from there (the bf16 GEMMs'
// rounding), the derivative as geluForwardWithDerivative writes it.
void geluForwardWithDerivativeBf16(uint16_t* out, float* derivative, const float* in, int64_t n) {
#if BERTNODE_GELU_AVX512
  static const bool hasBf16 = __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512bw");
  if (hasBf16) {
    forEachPiece(n, [&](size_t begin, size_t end) {
      alignas(64) float gelu[kPiece];
      geluForwardSpan(gelu, in + begin, 0, end - begin);
      toBf16Piece(out + begin, gelu, end - begin);
      geluDerivativeRange(derivative, in, begin, end);
    });
    return;
  }
#endif
  throw std::runtime_error("geluForwardWithDerivativeBf16 needs a CPU with AVX-512 BF16");
}

void geluBackward(float* dIn, const float* dOut, const float* in, int64_t n) {
  parallelFor(static_cast<size_t>(n), kGrain,
              [&](size_t begin, size_t end) { geluBackwardRange(dIn, dOut, in, begin, end); });
}

}  // namespace bertnode::cpu
