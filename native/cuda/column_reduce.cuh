// Deterministic column sums over the rows of an [N,C] matrix (bias and LayerNorm parameter gradients).
//
// Pass 1: the rows are cut into `chunks` slices; a block of 32x8 threads sums 32 columns over one slice in double
// and writes partial[chunk, column]. Pass 2: one thread per column adds its partials in chunk order and adds the
// total to the fp32 output. No atomics, so the result is the same on every run; double accumulation matches the
// CPU backend's double column sums.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace bertnode::cuda {

constexpr int kColumnTile = 32;  // columns per block (one warp wide, so row reads are coalesced)
constexpr int kColumnRows = 8;   // warps per block, each walking every 8th row of the slice

struct ColumnChunks {
  int chunks;
  int rowsPerChunk;
};

// Slices of at least 64 rows, and at most 256 slices: enough blocks to fill a GPU for N = B*T in the thousands.
inline ColumnChunks columnChunks(int N) {
  int chunks = (N + 63) / 64;
  if (chunks > 256) chunks = 256;
  if (chunks < 1) chunks = 1;
  return {chunks, (N + chunks - 1) / chunks};
}

// partial [chunks, C] -> out[c] += sum_k partial[k, c]  (accumulate). One thread per column. `static`: each .cu
// that includes this header gets its own copy (no relocatable device code, so kernels cannot be shared by name).
static __global__ void columnPartialsFinalizeKernel(float* out, const double* partial, int chunks, int C) {
  int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= C) return;
  double total = 0.0;
  for (int k = 0; k < chunks; ++k) total += partial[static_cast<int64_t>(k) * C + c];
  out[c] += static_cast<float>(total);
}

// Block-level tail of pass 1: sums the 8 warps' column partials in warp order and writes the block's 32 columns.
__device__ __forceinline__ void storeColumnPartial(double* partial, double value, int chunk, int c, int C) {
  __shared__ double rows[kColumnRows][kColumnTile + 1];
  rows[threadIdx.y][threadIdx.x] = value;
  __syncthreads();
  if (threadIdx.y == 0 && c < C) {
    double total = 0.0;
    for (int w = 0; w < kColumnRows; ++w) total += rows[w][threadIdx.x];
    partial[static_cast<int64_t>(chunk) * C + c] = total;
  }
}

}  // namespace bertnode::cuda
