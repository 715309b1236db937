// Small device helpers shared by the kernels: warp reductions and grid sizing for flat elementwise launches.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace bertnode::cuda {

constexpr int kWarpSize = 32;
constexpr int kFlatBlock = 256;  // threads per block for elementwise kernels

__device__ __forceinline__ float warpSum(float x) {
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2) x += __shfl_xor_sync(0xffffffffu, x, offset);
  return x;
}

__device__ __forceinline__ double warpSum(double x) {
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2) x += __shfl_xor_sync(0xffffffffu, x, offset);
  return x;
}

__device__ __forceinline__ float warpMax(float x) {
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2) x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, offset));
  return x;
}

// Blocks for a grid-stride loop over n elements: enough to fill any current GPU, capped so tiny tensors launch
// one block and huge ones do not launch millions.
inline unsigned flatGrid(int64_t n, int perThread = 1) {
  int64_t blocks = (n + static_cast<int64_t>(kFlatBlock) * perThread - 1) / (static_cast<int64_t>(kFlatBlock) * perThread);
  if (blocks < 1) blocks = 1;
  if (blocks > 65536) blocks = 65536;
  return static_cast<unsigned>(blocks);
}

// Blocks of `warpsPerBlock` warps for kernels that give each row one warp; at least one block, because a launch
// with a zero grid is an error (the kernels skip rows past the end).
inline unsigned warpRowGrid(int64_t rows, int warpsPerBlock) {
  int64_t blocks = (rows + warpsPerBlock - 1) / warpsPerBlock;
  return static_cast<unsigned>(blocks < 1 ? 1 : blocks);
}

}  // namespace bertnode::cuda
