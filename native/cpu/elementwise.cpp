// Elementwise ops and simple reductions: bias add and its gradient, residual add, scaling, tanh (the pooler's
// activation) and the sum of squares behind the global gradient norm.
//
// Shapes: x/dOut [N,C] with bias/dBias [C]; flat ops take n elements.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "cpu/ops.h"
#include "cpu/thread_pool.h"
#include "cpu/vector_math.h"

namespace bertnode::cpu {
namespace {

// Elementwise work is memory-bound; chunks this large amortise the pool's wake-up cost.
constexpr size_t kFlatGrain = 1 << 15;

BERTNODE_SIMD_CLONES double squareSum(const float* x, int n) {
  return laneSum(n, [&](int i) { return static_cast<double>(x[i]) * x[i]; });
}

// The loops below are their own functions only so that GCC emits AVX-512/AVX2 bodies for them (BERTNODE_SIMD_CLONES)
// instead of the baseline SSE2 build; each is memory-bound once vectorised.
BERTNODE_SIMD_CLONES void addBiasRows(float* x, const float* bias, size_t rowBegin, size_t rowEnd, int C) {
  for (size_t r = rowBegin; r < rowEnd; ++r) {
    float* row = x + r * C;
    for (int c = 0; c < C; ++c) row[c] += bias[c];
  }
}

BERTNODE_SIMD_CLONES void accumulateColumnSums(double* sum, const float* dOut, int N, int C, size_t c0, size_t c1) {
  for (int r = 0; r < N; ++r) {
    const float* row = dOut + static_cast<size_t>(r) * C + c0;
    for (size_t j = 0; j < c1 - c0; ++j) sum[j] += row[j];
  }
}

BERTNODE_SIMD_CLONES void addRange(float* out, const float* a, const float* b, size_t begin, size_t end) {
  for (size_t i = begin; i < end; ++i) out[i] = a[i] + b[i];
}

BERTNODE_SIMD_CLONES void multiplyRange(float* out, const float* a, const float* b, size_t begin, size_t end) {
  for (size_t i = begin; i < end; ++i) out[i] = a[i] * b[i];
}

}  // namespace

void addBias(float* x, const float* bias, int N, int C) {
  parallelFor(static_cast<size_t>(N), 16, [&](size_t begin, size_t end) { addBiasRows(x, bias, begin, end, C); });
}

// Column sums in double (threads own column slices), so long batches do not lose low-order bits.
void biasBackward(float* dBias, const float* dOut, int N, int C) {
  parallelFor(static_cast<size_t>(C), 64, [&](size_t c0, size_t c1) {
    std::vector<double> sum(c1 - c0, 0.0);
    accumulateColumnSums(sum.data(), dOut, N, C, c0, c1);
    for (size_t j = 0; j < c1 - c0; ++j) dBias[c0 + j] += static_cast<float>(sum[j]);
  });
}

void add(float* out, const float* a, const float* b, int64_t n) {
  parallelFor(static_cast<size_t>(n), kFlatGrain, [&](size_t begin, size_t end) { addRange(out, a, b, begin, end); });
}

void multiply(float* out, const float* a, const float* b, int64_t n) {
  parallelFor(static_cast<size_t>(n), kFlatGrain,
              [&](size_t begin, size_t end) { multiplyRange(out, a, b, begin, end); });
}

void scale(float* x, float alpha, int64_t n) {
  parallelFor(static_cast<size_t>(n), kFlatGrain, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) x[i] *= alpha;
  });
}

void tanhForward(float* out, const float* in, int64_t n) {
  parallelFor(static_cast<size_t>(n), 4096, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) out[i] = std::tanh(in[i]);
  });
}

void tanhBackward(float* dIn, const float* dOut, const float* out, int64_t n) {
  parallelFor(static_cast<size_t>(n), kFlatGrain, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) dIn[i] = dOut[i] * (1.0f - out[i] * out[i]);
  });
}

// Partial sums are kept per chunk and added in chunk order, so the result is the same on every run.
void sumOfSquares(float* result, const float* x, int64_t n) {
  size_t chunks = static_cast<size_t>((n + kFlatGrain - 1) / kFlatGrain);
  std::vector<double> partial(chunks, 0.0);
  parallelFor(chunks, 1, [&](size_t begin, size_t end) {
    for (size_t k = begin; k < end; ++k) {
      size_t i0 = k * kFlatGrain, i1 = std::min(static_cast<size_t>(n), i0 + kFlatGrain);
      partial[k] = squareSum(x + i0, static_cast<int>(i1 - i0));
    }
  });
  double total = *result;
  for (double p : partial) total += p;
  *result = static_cast<float>(total);
}

}  // namespace bertnode::cpu
