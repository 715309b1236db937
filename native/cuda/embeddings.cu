// Embedding lookup and its scatter-add backward; [CLS]-row gather/scatter for the classification head.
//
// Shapes: ids, typeIds [B,T] int32; word [V,H]; position [P,H]; tokenType [TV,H]; out/dOut [B,T,H]; the [CLS]
// rows: in/dIn [B,T,H] <-> out/dOut [B,H].
//
// The word and token-type gradients are scatter-adds with atomicAdd: repeated ids (and the two token types every
// row shares) collide, and atomics are the cheap way to resolve that on a GPU. Their summation order therefore
// varies from run to run at the last bit; they run only when the embeddings are trained (trainEmbeddings), so the
// classic recipe stays bit-for-bit repeatable. The position gradient has one writer per (t, h) and is
// deterministic.
#include "cuda/common.cuh"
#include "cuda/cuda_check.h"
#include "cuda/launchers.h"

namespace bertnode::cuda {
namespace {

// ---- kernels ------------------------------------------------------------------------------------------------

// One thread per output element; Hugging Face's summation order (word + type) + position, as on the CPU.
__global__ void embeddingsForwardKernel(float* out, const int32_t* ids, const int32_t* typeIds, const float* word,
                                        const float* position, const float* tokenType, int T, int H,
                                        int64_t total) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t row = i / H;
    int c = static_cast<int>(i % H);
    int t = static_cast<int>(row % T);
    out[i] = (word[static_cast<int64_t>(ids[row]) * H + c] + tokenType[static_cast<int64_t>(typeIds[row]) * H + c]) +
             position[static_cast<int64_t>(t) * H + c];
  }
}

// One thread per element of dOut: atomic scatter into the word and/or token-type table (either may be null).
__global__ void embeddingsScatterKernel(float* dWord, float* dTokenType, const float* dOut, const int32_t* ids,
                                        const int32_t* typeIds, int H, int64_t total) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t row = i / H;
    int c = static_cast<int>(i % H);
    float g = dOut[i];
    if (dWord) atomicAdd(&dWord[static_cast<int64_t>(ids[row]) * H + c], g);
    if (dTokenType) atomicAdd(&dTokenType[static_cast<int64_t>(typeIds[row]) * H + c], g);
  }
}

// One thread per (t, c) of dPosition [T,H]: sums the B rows that share position t in batch order.
__global__ void positionGradKernel(float* dPosition, const float* dOut, int B, int T, int H) {
  int64_t total = static_cast<int64_t>(T) * H;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    float sum = dPosition[i];
    for (int b = 0; b < B; ++b) sum += dOut[static_cast<int64_t>(b) * total + i];
    dPosition[i] = sum;
  }
}

// One thread per element of [B,H]; `accumulate` selects dIn += dOut (scatter) over out = in (gather).
__global__ void clsRowsKernel(float* dst, const float* src, int T, int H, int64_t total, bool scatter) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t b = i / H;
    int c = static_cast<int>(i % H);
    int64_t full = b * T * H + c;  // row (b, t = 0) of the [B,T,H] tensor
    if (scatter)
      dst[full] += src[i];
    else
      dst[i] = src[full];
  }
}

}  // namespace

// ---- launchers ----------------------------------------------------------------------------------------------

void embeddingsForward(cudaStream_t stream, float* out, const int32_t* ids, const int32_t* typeIds,
                       const float* word, const float* position, const float* tokenType, int B, int T, int H) {
  int64_t total = static_cast<int64_t>(B) * T * H;
  embeddingsForwardKernel<<<flatGrid(total), kFlatBlock, 0, stream>>>(out, ids, typeIds, word, position, tokenType,
                                                                      T, H, total);
  BERTNODE_CUDA_CHECK_LAUNCH(embeddingsForwardKernel);
}

void embeddingsBackward(cudaStream_t stream, float* dWord, float* dPosition, float* dTokenType, const float* dOut,
                        const int32_t* ids, const int32_t* typeIds, int B, int T, int H) {
  int64_t total = static_cast<int64_t>(B) * T * H;
  if (dWord || dTokenType) {
    embeddingsScatterKernel<<<flatGrid(total), kFlatBlock, 0, stream>>>(dWord, dTokenType, dOut, ids, typeIds, H,
                                                                        total);
    BERTNODE_CUDA_CHECK_LAUNCH(embeddingsScatterKernel);
  }
  if (dPosition) {
    positionGradKernel<<<flatGrid(static_cast<int64_t>(T) * H), kFlatBlock, 0, stream>>>(dPosition, dOut, B, T, H);
    BERTNODE_CUDA_CHECK_LAUNCH(positionGradKernel);
  }
}

void gatherClsRows(cudaStream_t stream, float* out, const float* in, int B, int T, int H) {
  int64_t total = static_cast<int64_t>(B) * H;
  clsRowsKernel<<<flatGrid(total), kFlatBlock, 0, stream>>>(out, in, T, H, total, false);
  BERTNODE_CUDA_CHECK_LAUNCH(clsRowsKernel);
}

void scatterClsRows(cudaStream_t stream, float* dIn, const float* dOut, int B, int T, int H) {
  int64_t total = static_cast<int64_t>(B) * H;
  clsRowsKernel<<<flatGrid(total), kFlatBlock, 0, stream>>>(dIn, dOut, T, H, total, true);
  BERTNODE_CUDA_CHECK_LAUNCH(clsRowsKernel);
}

}  // namespace bertnode::cuda
