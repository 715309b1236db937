// Inverted dropout whose mask is regenerated from Philox (core/philox.h) on every call, with the same counter
// mapping as the CPU backend (cpu/dropout.cpp), so both devices keep exactly the same elements. The backward is the
// same call applied to the incoming gradient; no mask is stored.
//
// Shapes: flat, n elements; element i keeps iff dropoutUniform(seed, step, site, i) >= p, scaled by 1/(1-p).
#include "core/philox.h"
#include "cuda/common.cuh"
#include "cuda/cuda_check.h"
#include "cuda/launchers.h"

namespace bertnode::cuda {
namespace {

// ---- kernels ------------------------------------------------------------------------------------------------

// One thread per Philox block of 4 consecutive elements: one philox4x32_10 call gives all four uniforms.
__global__ void dropoutKernel(float* out, const float* in, int64_t n, float p, float keepScale, uint64_t seed,
                              uint64_t step, uint32_t site) {
  int64_t blocks = (n + 3) / 4;
  for (int64_t blk = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; blk < blocks;
       blk += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    PhiloxBlock bits = dropoutBlock(seed, step, site, static_cast<uint64_t>(blk));
    for (int lane = 0; lane < 4; ++lane) {
      int64_t i = blk * 4 + lane;
      if (i >= n) break;
      out[i] = uniformFromBits(bits.v[lane]) >= p ? in[i] * keepScale : 0.0f;
    }
  }
}

// One thread per element: a packed row's counters start at an arbitrary offset, so the Philox blocks do not line up
// with the threads' elements (rows are few: the first-token layer's [CLS] rows).
__global__ void dropoutRowsKernel(float* out, const float* in, int64_t n, int C, int64_t counterRowStride, float p,
                                  float keepScale, uint64_t seed, uint64_t step, uint32_t site) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const uint64_t counter = static_cast<uint64_t>(i / C) * counterRowStride + static_cast<uint64_t>(i % C);
    out[i] = dropoutUniform(seed, step, site, counter) >= p ? in[i] * keepScale : 0.0f;
  }
}

}  // namespace

// ---- launchers ----------------------------------------------------------------------------------------------

void dropout(cudaStream_t stream, float* out, const float* in, int64_t n, float p, uint64_t seed, uint64_t step,
             uint32_t site) {
  const float keepScale = 1.0f / (1.0f - p);
  dropoutKernel<<<flatGrid((n + 3) / 4), kFlatBlock, 0, stream>>>(out, in, n, p, keepScale, seed, step, site);
  BERTNODE_CUDA_CHECK_LAUNCH(dropoutKernel);
}

void dropoutRows(cudaStream_t stream, float* out, const float* in, int rows, int C, int64_t counterRowStride, float p,
                 uint64_t seed, uint64_t step, uint32_t site) {
  const int64_t n = static_cast<int64_t>(rows) * C;
  if (n == 0) return;
  const float keepScale = 1.0f / (1.0f - p);
  dropoutRowsKernel<<<flatGrid(n), kFlatBlock, 0, stream>>>(out, in, n, C, counterRowStride, p, keepScale, seed,
                                                             step, site);
  BERTNODE_CUDA_CHECK_LAUNCH(dropoutRowsKernel);
}

}  // namespace bertnode::cuda
