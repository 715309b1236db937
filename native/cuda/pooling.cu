// Sentence-embedding pooling: masked mean over the tokens and L2 normalisation (cpu/pooling.cpp). Each output
// element (mean) or row (norm) is one thread summing in the CPU's order, so the two backends agree bit for bit
// and no atomics are needed; pooling runs once per inference batch, far from the GEMMs' cost.
#include "cuda/common.cuh"
#include "cuda/cuda_check.h"
#include "cuda/launchers.h"

namespace bertnode::cuda {
namespace {

// ---- kernels ------------------------------------------------------------------------------------------------

__global__ void maskedMeanPoolKernel(float* out, const float* in, const int32_t* mask, int B, int T, int H) {
  int64_t total = static_cast<int64_t>(B) * H;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int b = static_cast<int>(i / H), h = static_cast<int>(i % H);
    float sum = 0.0f, count = 0.0f;
    for (int t = 0; t < T; ++t) {
      if (mask[static_cast<int64_t>(b) * T + t] == 0) continue;
      count += 1.0f;
      sum += in[(static_cast<int64_t>(b) * T + t) * H + h];
    }
    out[i] = sum / fmaxf(count, 1e-9f);
  }
}

__global__ void l2NormalizeRowsKernel(float* x, int N, int C) {
  int r = blockIdx.x * blockDim.x + threadIdx.x;
  if (r >= N) return;
  float* row = x + static_cast<int64_t>(r) * C;
  double sum = 0.0;
  for (int c = 0; c < C; ++c) sum += static_cast<double>(row[c]) * row[c];
  float norm = fmaxf(static_cast<float>(sqrt(sum)), 1e-12f);
  for (int c = 0; c < C; ++c) row[c] /= norm;
}

}  // namespace

// ---- launchers ----------------------------------------------------------------------------------------------

void maskedMeanPool(cudaStream_t stream, float* out, const float* in, const int32_t* mask, int B, int T, int H) {
  maskedMeanPoolKernel<<<flatGrid(static_cast<int64_t>(B) * H), kFlatBlock, 0, stream>>>(out, in, mask, B, T, H);
  BERTNODE_CUDA_CHECK_LAUNCH(maskedMeanPoolKernel);
}

void l2NormalizeRows(cudaStream_t stream, float* x, int N, int C) {
  if (N <= 0) return;  // a zero grid cannot launch
  l2NormalizeRowsKernel<<<(N + kFlatBlock - 1) / kFlatBlock, kFlatBlock, 0, stream>>>(x, N, C);
  BERTNODE_CUDA_CHECK_LAUNCH(l2NormalizeRowsKernel);
}

}  // namespace bertnode::cuda
