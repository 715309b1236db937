// LayerNorm over the last axis with biased variance, forward and backward.
//
// Shapes: in/out/dOut/dIn [N,C]; gamma, beta, dGamma, dBeta [C]; mean, rstd [N].
// Row statistics are accumulated in double so rows of a few thousand features keep full fp32 accuracy.
#include <cmath>
#include <cstddef>
#include <vector>

#include "cpu/ops.h"
#include "cpu/thread_pool.h"

namespace bertnode::cpu {

void layerNormForward(float* out, float* mean, float* rstd, const float* in, const float* gamma, const float* beta,
                      int N, int C, float eps) {
  parallelFor(static_cast<size_t>(N), 8, [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      const float* x = in + r * C;
      double sum = 0.0;
      for (int c = 0; c < C; ++c) sum += x[c];
      float mu = static_cast<float>(sum / C);
      double sq = 0.0;
      for (int c = 0; c < C; ++c) {
        double d = static_cast<double>(x[c]) - mu;
        sq += d * d;
      }
      float rs = static_cast<float>(1.0 / std::sqrt(sq / C + static_cast<double>(eps)));
      float* o = out + r * C;
      for (int c = 0; c < C; ++c) o[c] = (x[c] - mu) * rs * gamma[c] + beta[c];
      if (mean) mean[r] = mu;
      if (rstd) rstd[r] = rs;
    }
  });
}

// With xhat = (x - mean) * rstd and g = dOut * gamma:
//   dIn = rstd * (g - mean_c(g) - xhat * mean_c(g * xhat)),  dGamma += sum_r dOut * xhat,  dBeta += sum_r dOut.
// The row pass (dIn) and the column pass (dGamma/dBeta) are split so that each is race-free when threaded.
void layerNormBackward(float* dIn, float* dGamma, float* dBeta, const float* dOut, const float* in,
                       const float* gamma, const float* mean, const float* rstd, int N, int C) {
  if (dGamma || dBeta) {
    parallelFor(static_cast<size_t>(C), 16, [&](size_t c0, size_t c1) {
      size_t width = c1 - c0;
      std::vector<double> gSum(width, 0.0), bSum(width, 0.0);
      for (int r = 0; r < N; ++r) {
        const float* x = in + static_cast<size_t>(r) * C;
        const float* dy = dOut + static_cast<size_t>(r) * C;
        float mu = mean[r], rs = rstd[r];
        for (size_t j = 0; j < width; ++j) {
          size_t c = c0 + j;
          gSum[j] += static_cast<double>(dy[c]) * ((x[c] - mu) * rs);
          bSum[j] += dy[c];
        }
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
      const float* x = in + r * C;
      const float* dy = dOut + r * C;
      float mu = mean[r], rs = rstd[r];
      double gMean = 0.0, gxMean = 0.0;
      for (int c = 0; c < C; ++c) {
        float g = dy[c] * gamma[c];
        gMean += g;
        gxMean += static_cast<double>(g) * ((x[c] - mu) * rs);
      }
      float a = static_cast<float>(gMean / C), b = static_cast<float>(gxMean / C);
      float* dx = dIn + r * C;
      for (int c = 0; c < C; ++c) dx[c] = rs * (dy[c] * gamma[c] - a - (x[c] - mu) * rs * b);
    }
  });
}

}  // namespace bertnode::cpu
