// LayerNorm over the last axis with biased variance, forward and backward.
//
// Shapes: in/out/dOut/dIn [N,C]; gamma, beta, dGamma, dBeta [C]; mean, rstd [N].
// Row statistics are accumulated in double so rows of a few thousand features keep full fp32 accuracy.
#include <cmath>
#include <cstddef>
#include <vector>

#include "cpu/dropout_span.h"
#include "cpu/ops.h"
#include "cpu/thread_pool.h"
#include "cpu/vector_math.h"

namespace bertnode::cpu {

namespace {

BERTNODE_SIMD_CLONES void normalizeRow(float* o, float* mean, float* rstd, const float* x, const float* gamma,
                                       const float* beta, int C, float eps) {
  float mu = static_cast<float>(laneSum(C, [&](int c) { return x[c]; }) / C);
  double sq = laneSum(C, [&](int c) {
    double d = static_cast<double>(x[c]) - mu;
    return d * d;
  });
  float rs = static_cast<float>(1.0 / std::sqrt(sq / C + static_cast<double>(eps)));
  for (int c = 0; c < C; ++c) o[c] = (x[c] - mu) * rs * gamma[c] + beta[c];
  if (mean) *mean = mu;
  if (rstd) *rstd = rs;
}

BERTNODE_SIMD_CLONES void addRow(float* out, const float* a, const float* b, int C) {
  for (int c = 0; c < C; ++c) out[c] = a[c] + b[c];
}

BERTNODE_SIMD_CLONES void normalizeRowBackward(float* dx, const float* dy, const float* x, const float* gamma,
                                               float mu, float rs, int C) {
  float a = static_cast<float>(laneSum(C, [&](int c) { return dy[c] * gamma[c]; }) / C);
  float b = static_cast<float>(laneSum(C, [&](int c) { return static_cast<double>(dy[c] * gamma[c]) * ((x[c] - mu) * rs); }) / C);
  for (int c = 0; c < C; ++c) dx[c] = rs * (dy[c] * gamma[c] - a - (x[c] - mu) * rs * b);
}

BERTNODE_SIMD_CLONES void accumulateColumns(double* gSum, double* bSum, const float* dy, const float* x, float mu,
                                            float rs, size_t width) {
  for (size_t j = 0; j < width; ++j) {
    gSum[j] += static_cast<double>(dy[j]) * ((x[j] - mu) * rs);
    bSum[j] += dy[j];
  }
}

}  // namespace

void layerNormForward(float* out, float* mean, float* rstd, const float* in, const float* gamma, const float* beta,
                      int N, int C, float eps) {
  parallelFor(static_cast<size_t>(N), 8, [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      normalizeRow(out + r * C, mean ? mean + r : nullptr, rstd ? rstd + r : nullptr, in + r * C, gamma, beta, C,
                   eps);
    }
  });
}

// Each row's residual is made and normalised while it is in L1: the three passes over [N,C] of dropout, add and
// layerNormForward become one.
void dropoutAddLayerNorm(float* out, float* residual, float* mean, float* rstd, const float* branch, const float* in,
                         const float* gamma, const float* beta, int N, int C, float eps, float p, uint64_t seed,
                         uint64_t step, uint32_t site) {
  parallelFor(static_cast<size_t>(N), 8, [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      float* res = residual + r * C;
      const float* dropped = branch + r * C;
      if (p > 0.0f) {
        dropoutSpan(res, dropped, static_cast<uint64_t>(r) * C, static_cast<size_t>(C), p, seed, step, site);
        dropped = res;
      }
      addRow(res, dropped, in + r * C, C);
      normalizeRow(out + r * C, mean ? mean + r : nullptr, rstd ? rstd + r : nullptr, res, gamma, beta, C, eps);
    }
  });
}

// With xhat = (x - mean) * rstd and g = dOut * gamma:
//   dIn = rstd * (g - mean_c(g) - xhat * mean_c(g * xhat)),  dGamma += sum_r dOut * xhat,  dBeta += sum_r dOut.
// The column pass (dGamma/dBeta) runs first and the row pass (dIn) second, so dIn may overwrite dOut; each pass
// is race-free when threaded (threads own column slices, then rows).
void layerNormBackward(float* dIn, float* dGamma, float* dBeta, const float* dOut, const float* in,
                       const float* gamma, const float* mean, const float* rstd, int N, int C) {
  if (dGamma || dBeta) {
    parallelFor(static_cast<size_t>(C), 16, [&](size_t c0, size_t c1) {
      size_t width = c1 - c0;
      std::vector<double> gSum(width, 0.0), bSum(width, 0.0);
      for (int r = 0; r < N; ++r) {
        size_t offset = static_cast<size_t>(r) * C + c0;
        accumulateColumns(gSum.data(), bSum.data(), dOut + offset, in + offset, mean[r], rstd[r], width);
      }
      for (size_t j = 0; j < width; ++j) {
        if (dGamma) dGamma[c0 + j] += static_cast<float>(gSum[j]);
        if (dBeta) dBeta[c0 + j] += static_cast<float>(bSum[j]);
      }
    });
  }
  if (!dIn) return;
  parallelFor(static_cast<size_t>(N), 8, [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      normalizeRowBackward(dIn + r * C, dOut + r * C, in + r * C, gamma, mean[r], rstd[r], C);
    }
  });
}

}  // namespace bertnode::cpu
