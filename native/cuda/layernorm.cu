// LayerNorm over the last axis with biased variance, forward and backward.
//
// Shapes: in/out/dOut/dIn [N,C]; gamma, beta, dGamma, dBeta [C]; mean, rstd [N].
// One warp per row for the row passes (statistics in double, as the CPU backend keeps them, so rows of a few
// thousand features keep full fp32 accuracy); dGamma/dBeta are deterministic column sums (column_reduce.cuh).
#include "cuda/column_reduce.cuh"
#include "cuda/common.cuh"
#include "cuda/cuda_check.h"
#include "cuda/launchers.h"

namespace bertnode::cuda {
namespace {

constexpr int kRowWarps = 8;  // rows (warps) per block of the row kernels

// ---- kernels ------------------------------------------------------------------------------------------------

// grid ceil(N/8), block 256: warp w of block b normalises row b*8 + w. Two passes over the row (mean, then the
// centred sum of squares) like the CPU reference; the row stays in L1 between passes. out == in is allowed: each
// element is read before it is written, by the same lane.
__global__ void layerNormForwardKernel(float* out, float* mean, float* rstd, const float* in, const float* gamma,
                                       const float* beta, int N, int C, float eps) {
  int row = blockIdx.x * kRowWarps + threadIdx.x / kWarpSize;
  int lane = threadIdx.x % kWarpSize;
  if (row >= N) return;
  const float* x = in + static_cast<int64_t>(row) * C;
  double sum = 0.0;
  for (int c = lane; c < C; c += kWarpSize) sum += x[c];
  float mu = static_cast<float>(warpSum(sum) / C);
  double sq = 0.0;
  for (int c = lane; c < C; c += kWarpSize) {
    double d = static_cast<double>(x[c]) - mu;
    sq += d * d;
  }
  float rs = static_cast<float>(1.0 / sqrt(warpSum(sq) / C + static_cast<double>(eps)));
  float* o = out + static_cast<int64_t>(row) * C;
  for (int c = lane; c < C; c += kWarpSize) o[c] = (x[c] - mu) * rs * gamma[c] + beta[c];
  if (lane == 0) {
    if (mean) mean[row] = mu;
    if (rstd) rstd[row] = rs;
  }
}

// Pass 1 of the parameter gradients: grid (ceil(C/32), chunks), block (32, 8). partial is [2, chunks, C]:
// sum_r dOut * xhat (dGamma) then sum_r dOut (dBeta).
__global__ void layerNormParamPartialsKernel(double* partial, const float* dOut, const float* in, const float* mean,
                                             const float* rstd, int N, int C, int chunks, int rowsPerChunk) {
  int c = blockIdx.x * kColumnTile + threadIdx.x;
  int r0 = blockIdx.y * rowsPerChunk;
  int r1 = min(N, r0 + rowsPerChunk);
  double gSum = 0.0, bSum = 0.0;
  if (c < C) {
    for (int r = r0 + threadIdx.y; r < r1; r += kColumnRows) {
      int64_t i = static_cast<int64_t>(r) * C + c;
      float dy = dOut[i];
      gSum += static_cast<double>(dy) * ((in[i] - mean[r]) * rstd[r]);
      bSum += dy;
    }
  }
  storeColumnPartial(partial, gSum, blockIdx.y, c, C);
  __syncthreads();  // storeColumnPartial's shared buffer is reused by the second call
  storeColumnPartial(partial + static_cast<int64_t>(chunks) * C, bSum, blockIdx.y, c, C);
}

// grid ceil(N/8), block 256, warp per row: dIn = rstd * (g - mean_c(g) - xhat * mean_c(g * xhat)), g = dOut*gamma.
// dIn == dOut is allowed (each lane reads its elements before writing them).
__global__ void layerNormInputGradKernel(float* dIn, const float* dOut, const float* in, const float* gamma,
                                         const float* mean, const float* rstd, int N, int C) {
  int row = blockIdx.x * kRowWarps + threadIdx.x / kWarpSize;
  int lane = threadIdx.x % kWarpSize;
  if (row >= N) return;
  const float* x = in + static_cast<int64_t>(row) * C;
  const float* dy = dOut + static_cast<int64_t>(row) * C;
  float mu = mean[row], rs = rstd[row];
  double gMean = 0.0, gxMean = 0.0;
  for (int c = lane; c < C; c += kWarpSize) {
    float g = dy[c] * gamma[c];
    gMean += g;
    gxMean += static_cast<double>(g) * ((x[c] - mu) * rs);
  }
  float a = static_cast<float>(warpSum(gMean) / C), b = static_cast<float>(warpSum(gxMean) / C);
  float* dx = dIn + static_cast<int64_t>(row) * C;
  for (int c = lane; c < C; c += kWarpSize) dx[c] = rs * (dy[c] * gamma[c] - a - (x[c] - mu) * rs * b);
}

}  // namespace

// ---- launchers ----------------------------------------------------------------------------------------------

void layerNormForward(cudaStream_t stream, float* out, float* mean, float* rstd, const float* in,
                      const float* gamma, const float* beta, int N, int C, float eps) {
  layerNormForwardKernel<<<warpRowGrid(N, kRowWarps), kRowWarps * kWarpSize, 0, stream>>>(out, mean, rstd, in,
                                                                                          gamma, beta, N, C, eps);
  BERTNODE_CUDA_CHECK_LAUNCH(layerNormForwardKernel);
}

void layerNormBackward(cudaStream_t stream, Scratch& scratch, float* dIn, float* dGamma, float* dBeta,
                       const float* dOut, const float* in, const float* gamma, const float* mean, const float* rstd,
                       int N, int C) {
  if (N <= 0 || C <= 0) return;  // nothing to do (and a zero grid cannot launch)
  // Parameter gradients first: dIn may alias dOut, which they read.
  if (dGamma || dBeta) {
    ColumnChunks split = columnChunks(N);
    size_t perSum = static_cast<size_t>(split.chunks) * C;
    auto* partial = static_cast<double*>(scratch.get(sizeof(double) * 2 * perSum));
    dim3 grid((C + kColumnTile - 1) / kColumnTile, split.chunks);
    layerNormParamPartialsKernel<<<grid, dim3(kColumnTile, kColumnRows), 0, stream>>>(
        partial, dOut, in, mean, rstd, N, C, split.chunks, split.rowsPerChunk);
    BERTNODE_CUDA_CHECK_LAUNCH(layerNormParamPartialsKernel);
    unsigned finalizeBlocks = (C + kFlatBlock - 1) / kFlatBlock;
    if (dGamma) {
      columnPartialsFinalizeKernel<<<finalizeBlocks, kFlatBlock, 0, stream>>>(dGamma, partial, split.chunks, C);
      BERTNODE_CUDA_CHECK_LAUNCH(columnPartialsFinalizeKernel);
    }
    if (dBeta) {
      columnPartialsFinalizeKernel<<<finalizeBlocks, kFlatBlock, 0, stream>>>(dBeta, partial + perSum,
                                                                              split.chunks, C);
      BERTNODE_CUDA_CHECK_LAUNCH(columnPartialsFinalizeKernel);
    }
  }
  if (!dIn) return;
  layerNormInputGradKernel<<<warpRowGrid(N, kRowWarps), kRowWarps * kWarpSize, 0, stream>>>(dIn, dOut, in, gamma,
                                                                                            mean, rstd, N, C);
  BERTNODE_CUDA_CHECK_LAUNCH(layerNormInputGradKernel);
}

}  // namespace bertnode::cuda
