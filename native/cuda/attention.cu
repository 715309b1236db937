// Attention helpers: head split/merge permutes and the masked, scaled softmax with its backward. The Q*K^T and
// P*V products around them are cuBLAS strided-batched GEMMs (cuda_backend.cu).
//
// Shapes: in/out of the permutes [B,T,NH*D] <-> [B,NH,T,D]; scores/probs/dProbs/dScores [B,NH,T,T] (query t,
// key s); mask [B,T] int32 (1 = token, 0 = padding).
#include <cmath>

#include "cuda/common.cuh"
#include "cuda/cuda_check.h"
#include "cuda/launchers.h"

namespace bertnode::cuda {
namespace {

constexpr int kRowWarps = 8;  // softmax rows (warps) per block

// ---- kernels ------------------------------------------------------------------------------------------------

// One thread per element of [B,NH,T,D]; consecutive threads walk d, so both sides stay coalesced for D >= 32.
__global__ void splitHeadsKernel(float* out, const float* in, int B, int T, int NH, int D) {
  int64_t total = static_cast<int64_t>(B) * NH * T * D;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int d = static_cast<int>(i % D);
    int64_t rest = i / D;
    int t = static_cast<int>(rest % T);
    rest /= T;
    int h = static_cast<int>(rest % NH);
    int64_t b = rest / NH;
    out[i] = in[((b * T + t) * NH + h) * D + d];
  }
}

__global__ void mergeHeadsKernel(float* out, const float* in, int B, int T, int NH, int D) {
  int64_t total = static_cast<int64_t>(B) * NH * T * D;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int d = static_cast<int>(i % D);
    int64_t rest = i / D;
    int h = static_cast<int>(rest % NH);
    rest /= NH;
    int t = static_cast<int>(rest % T);
    int64_t b = rest / T;
    out[i] = in[((b * NH + h) * T + t) * D + d];
  }
}

// grid ceil(B*NH*Q / 8), block 256: one warp per (b, h, t) row of T keys (Q queries per head). Three passes over the
// row (max, sum of exponentials, normalise) as in the CPU reference; probs == scores is allowed because each lane
// reads an element before it writes it. Rows whose keys are all masked become uniform 1/T, like Hugging Face's finfo.min mask.
__global__ void attentionSoftmaxForwardKernel(float* probs, const float* scores, const int32_t* mask, float scale,
                                              int NH, int Q, int T, int64_t rows) {
  int64_t row = static_cast<int64_t>(blockIdx.x) * kRowWarps + threadIdx.x / kWarpSize;
  int lane = threadIdx.x % kWarpSize;
  if (row >= rows) return;
  const int32_t* m = mask + (row / (static_cast<int64_t>(NH) * Q)) * T;
  const float* s = scores + row * T;
  float* p = probs + row * T;
  float maxValue = -INFINITY;
  for (int k = lane; k < T; k += kWarpSize)
    if (m[k] != 0) maxValue = fmaxf(maxValue, scale * s[k]);
  maxValue = warpMax(maxValue);
  if (maxValue == -INFINITY) {
    for (int k = lane; k < T; k += kWarpSize) p[k] = 1.0f / static_cast<float>(T);
    return;
  }
  float sum = 0.0f;
  for (int k = lane; k < T; k += kWarpSize) sum += m[k] != 0 ? expf(scale * s[k] - maxValue) : 0.0f;
  float inv = 1.0f / warpSum(sum);
  for (int k = lane; k < T; k += kWarpSize) p[k] = m[k] != 0 ? expf(scale * s[k] - maxValue) * inv : 0.0f;
}

// Same grid: dScores = scale * probs * (dProbs - sum_s dProbs * probs). dScores == dProbs allowed.
__global__ void attentionSoftmaxBackwardKernel(float* dScores, const float* dProbs, const float* probs, float scale,
                                               int T, int64_t rows) {
  int64_t row = static_cast<int64_t>(blockIdx.x) * kRowWarps + threadIdx.x / kWarpSize;
  int lane = threadIdx.x % kWarpSize;
  if (row >= rows) return;
  const float* dp = dProbs + row * T;
  const float* p = probs + row * T;
  float* ds = dScores + row * T;
  float dot = 0.0f;
  for (int k = lane; k < T; k += kWarpSize) dot += dp[k] * p[k];
  dot = warpSum(dot);
  for (int k = lane; k < T; k += kWarpSize) ds[k] = scale * p[k] * (dp[k] - dot);
}

}  // namespace

// ---- launchers ----------------------------------------------------------------------------------------------

void splitHeads(cudaStream_t stream, float* out, const float* in, int B, int T, int NH, int D) {
  splitHeadsKernel<<<flatGrid(static_cast<int64_t>(B) * NH * T * D), kFlatBlock, 0, stream>>>(out, in, B, T, NH, D);
  BERTNODE_CUDA_CHECK_LAUNCH(splitHeadsKernel);
}

void mergeHeads(cudaStream_t stream, float* out, const float* in, int B, int T, int NH, int D) {
  mergeHeadsKernel<<<flatGrid(static_cast<int64_t>(B) * NH * T * D), kFlatBlock, 0, stream>>>(out, in, B, T, NH, D);
  BERTNODE_CUDA_CHECK_LAUNCH(mergeHeadsKernel);
}

void attentionSoftmaxForward(cudaStream_t stream, float* probs, const float* scores, const int32_t* mask,
                             float scale, int B, int NH, int Q, int T) {
  int64_t rows = static_cast<int64_t>(B) * NH * Q;
  attentionSoftmaxForwardKernel<<<warpRowGrid(rows, kRowWarps), kRowWarps * kWarpSize, 0, stream>>>(
      probs, scores, mask, scale, NH, Q, T, rows);
  BERTNODE_CUDA_CHECK_LAUNCH(attentionSoftmaxForwardKernel);
}

void attentionSoftmaxBackward(cudaStream_t stream, float* dScores, const float* dProbs, const float* probs,
                              float scale, int B, int NH, int Q, int T) {
  int64_t rows = static_cast<int64_t>(B) * NH * Q;
  attentionSoftmaxBackwardKernel<<<warpRowGrid(rows, kRowWarps), kRowWarps * kWarpSize, 0, stream>>>(
      dScores, dProbs, probs, scale, T, rows);
  BERTNODE_CUDA_CHECK_LAUNCH(attentionSoftmaxBackwardKernel);
}

}  // namespace bertnode::cuda
