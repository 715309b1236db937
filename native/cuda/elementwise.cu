// Elementwise ops and simple reductions: bias add and its gradient, residual add, scaling, tanh (the pooler's
// activation) and the sum of squares behind the global gradient norm.
//
// Shapes: x/dOut [N,C] with bias/dBias [C]; the flat ops take n elements (int64, B*T*H can pass 2^31 for big
// batches). Kernels use grid-stride loops so any n fits one launch.
#include "cuda/column_reduce.cuh"
#include "cuda/common.cuh"
#include "cuda/cuda_check.h"
#include "cuda/launchers.h"

namespace bertnode::cuda {
namespace {

// ---- kernels ------------------------------------------------------------------------------------------------

__global__ void addBiasKernel(float* x, const float* bias, int64_t total, int C) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    x[i] += bias[i % C];
}

// Pass 1 of biasBackward: grid (ceil(C/32), chunks), block (32, 8).
__global__ void biasPartialsKernel(double* partial, const float* dOut, int N, int C, int rowsPerChunk) {
  int c = blockIdx.x * kColumnTile + threadIdx.x;
  int r0 = blockIdx.y * rowsPerChunk;
  int r1 = min(N, r0 + rowsPerChunk);
  double sum = 0.0;
  if (c < C)
    for (int r = r0 + threadIdx.y; r < r1; r += kColumnRows) sum += dOut[static_cast<int64_t>(r) * C + c];
  storeColumnPartial(partial, sum, blockIdx.y, c, C);
}

__global__ void addKernel(float* out, const float* a, const float* b, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    out[i] = a[i] + b[i];
}

__global__ void multiplyKernel(float* out, const float* a, const float* b, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    out[i] = a[i] * b[i];
}

__global__ void scaleKernel(float* x, float alpha, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    x[i] *= alpha;
}

__global__ void tanhForwardKernel(float* out, const float* in, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    out[i] = tanhf(in[i]);
}

__global__ void tanhBackwardKernel(float* dIn, const float* dOut, const float* out, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    dIn[i] = dOut[i] * (1.0f - out[i] * out[i]);
}

constexpr int kSquaresBlocks = 256;  // pass-1 blocks of sumOfSquares: fixed, so the summation order is too

// Pass 1 of sumOfSquares: each of kSquaresBlocks blocks sums a grid-stride share of x^2 in double.
__global__ void sumOfSquaresPartialsKernel(double* partial, const float* x, int64_t n) {
  __shared__ double warpTotals[kFlatBlock / kWarpSize];
  double sum = 0.0;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    double v = x[i];
    sum += v * v;
  }
  sum = warpSum(sum);
  if (threadIdx.x % kWarpSize == 0) warpTotals[threadIdx.x / kWarpSize] = sum;
  __syncthreads();
  if (threadIdx.x == 0) {
    double total = 0.0;
    for (int w = 0; w < kFlatBlock / kWarpSize; ++w) total += warpTotals[w];
    partial[blockIdx.x] = total;
  }
}

// Pass 2: one thread adds the partials in block order to *result (kSquaresBlocks additions: negligible).
__global__ void sumOfSquaresFinalizeKernel(float* result, const double* partial, int count) {
  double total = *result;
  for (int k = 0; k < count; ++k) total += partial[k];
  *result = static_cast<float>(total);
}

}  // namespace

// ---- launchers ----------------------------------------------------------------------------------------------

void addBias(cudaStream_t stream, float* x, const float* bias, int N, int C) {
  int64_t total = static_cast<int64_t>(N) * C;
  addBiasKernel<<<flatGrid(total), kFlatBlock, 0, stream>>>(x, bias, total, C);
  BERTNODE_CUDA_CHECK_LAUNCH(addBiasKernel);
}

void biasBackward(cudaStream_t stream, Scratch& scratch, float* dBias, const float* dOut, int N, int C) {
  if (N <= 0 || C <= 0) return;  // nothing to add (and a zero grid cannot launch)
  ColumnChunks split = columnChunks(N);
  auto* partial = static_cast<double*>(scratch.get(sizeof(double) * split.chunks * static_cast<size_t>(C)));
  dim3 grid((C + kColumnTile - 1) / kColumnTile, split.chunks);
  biasPartialsKernel<<<grid, dim3(kColumnTile, kColumnRows), 0, stream>>>(partial, dOut, N, C, split.rowsPerChunk);
  BERTNODE_CUDA_CHECK_LAUNCH(biasPartialsKernel);
  columnPartialsFinalizeKernel<<<(C + kFlatBlock - 1) / kFlatBlock, kFlatBlock, 0, stream>>>(dBias, partial,
                                                                                               split.chunks, C);
  BERTNODE_CUDA_CHECK_LAUNCH(columnPartialsFinalizeKernel);
}

void add(cudaStream_t stream, float* out, const float* a, const float* b, int64_t n) {
  addKernel<<<flatGrid(n), kFlatBlock, 0, stream>>>(out, a, b, n);
  BERTNODE_CUDA_CHECK_LAUNCH(addKernel);
}

void multiply(cudaStream_t stream, float* out, const float* a, const float* b, int64_t n) {
  multiplyKernel<<<flatGrid(n), kFlatBlock, 0, stream>>>(out, a, b, n);
  BERTNODE_CUDA_CHECK_LAUNCH(multiplyKernel);
}

void scale(cudaStream_t stream, float* x, float alpha, int64_t n) {
  scaleKernel<<<flatGrid(n), kFlatBlock, 0, stream>>>(x, alpha, n);
  BERTNODE_CUDA_CHECK_LAUNCH(scaleKernel);
}

void tanhForward(cudaStream_t stream, float* out, const float* in, int64_t n) {
  tanhForwardKernel<<<flatGrid(n), kFlatBlock, 0, stream>>>(out, in, n);
  BERTNODE_CUDA_CHECK_LAUNCH(tanhForwardKernel);
}

void tanhBackward(cudaStream_t stream, float* dIn, const float* dOut, const float* out, int64_t n) {
  tanhBackwardKernel<<<flatGrid(n), kFlatBlock, 0, stream>>>(dIn, dOut, out, n);
  BERTNODE_CUDA_CHECK_LAUNCH(tanhBackwardKernel);
}

void sumOfSquares(cudaStream_t stream, Scratch& scratch, float* result, const float* x, int64_t n) {
  auto* partial = static_cast<double*>(scratch.get(sizeof(double) * kSquaresBlocks));
  sumOfSquaresPartialsKernel<<<kSquaresBlocks, kFlatBlock, 0, stream>>>(partial, x, n);
  BERTNODE_CUDA_CHECK_LAUNCH(sumOfSquaresPartialsKernel);
  sumOfSquaresFinalizeKernel<<<1, 1, 0, stream>>>(result, partial, kSquaresBlocks);
  BERTNODE_CUDA_CHECK_LAUNCH(sumOfSquaresFinalizeKernel);
}

}  // namespace bertnode::cuda
