// Embedding lookup and its scatter-add backward; [CLS]-row gather/scatter for the classification head.
//
// Shapes: ids, typeIds [B,T] int32; word [V,H]; position [P,H]; tokenType [TV,H]; out/dOut [B,T,H]; the [CLS]
// rows: in/dIn [B,T,H] <-> out/dOut [B,H]; partial [plan.numSlots, H] in scratch.
//
// The word and token-type gradients are scatter-adds in which many rows meet in one table row (repeated ids, the
// [PAD] id filling half a batch, the two token types every row shares). Instead of atomics, whose order varies from
// run to run, they follow the batch's ScatterPlan (model/backend.h), built on the host: pass 1 gives every chunk of
// at most 32 same-key rows one block (threads over H) that sums its rows in order — straight into the table row
// when the chunk is its key's only one, else into a partial; pass 2 gives every key with several chunks one block
// that adds its partials in chunk order. Fixed order: the same bits on every run, and the CPU's. Both passes read
// dOut once and are spread over thousands of blocks for B*T = 8192, never one serial walk over all rows. The
// position gradient has one writer per (t, h).
#include "cuda/common.cuh"
#include "cuda/cuda_check.h"
#include "cuda/launchers.h"
#include "model/scatter_plan.h"

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

// Pass 1: block (k, y) sums chunk k of the plan over columns y*blockDim.x + threadIdx.x.
__global__ void scatterChunksKernel(float* table, float* partial, const float* dOut, ScatterPlan plan, int H) {
  int c = blockIdx.y * blockDim.x + threadIdx.x;
  if (c >= H) return;
  int k = blockIdx.x;
  const int32_t* row = plan.rows + plan.chunkStart[k];
  const int32_t* end = plan.rows + plan.chunkStart[k + 1];
  int slot = plan.chunkSlot[k];
  if (slot < 0) {
    float* out = table + static_cast<int64_t>(plan.chunkKey[k]) * H + c;
    float sum = *out;
    for (; row < end; ++row) sum += dOut[static_cast<int64_t>(*row) * H + c];
    *out = sum;
    return;
  }
  float sum = dOut[static_cast<int64_t>(*row) * H + c];
  for (++row; row < end; ++row) sum += dOut[static_cast<int64_t>(*row) * H + c];
  partial[static_cast<int64_t>(slot) * H + c] = sum;
}

// Pass 2: block (j, y) adds segment j's partials, in chunk order, into its table row over the same columns.
__global__ void scatterSegmentsKernel(float* table, const float* partial, ScatterPlan plan, int H) {
  int c = blockIdx.y * blockDim.x + threadIdx.x;
  if (c >= H) return;
  int j = blockIdx.x;
  float* out = table + static_cast<int64_t>(plan.segmentKey[j]) * H + c;
  float sum = *out;
  // The partials' loads do not depend on the running sum, so unrolling lets them overlap (a [PAD] run of 4096 rows
  // has 128 partials).
#pragma unroll 8
  for (int s = plan.segmentSlotStart[j]; s < plan.segmentSlotStart[j + 1]; ++s)
    sum += partial[static_cast<int64_t>(s) * H + c];
  *out = sum;
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

namespace {

// table [keys,H] += the rows of dOut [plan.numRows,H] in the plan's order; both passes on `stream`.
void scatterRows(cudaStream_t stream, Scratch& scratch, float* table, const float* dOut, const ScatterPlan& plan,
                 int H) {
  if (plan.numChunks == 0) return;
  unsigned columnBlocks = static_cast<unsigned>((H + kFlatBlock - 1) / kFlatBlock);
  float* partial = plan.numSlots > 0
                       ? static_cast<float*>(scratch.get(sizeof(float) * static_cast<size_t>(plan.numSlots) * H))
                       : nullptr;
  scatterChunksKernel<<<dim3(static_cast<unsigned>(plan.numChunks), columnBlocks), kFlatBlock, 0, stream>>>(
      table, partial, dOut, plan, H);
  BERTNODE_CUDA_CHECK_LAUNCH(scatterChunksKernel);
  if (plan.numSegments == 0) return;
  scatterSegmentsKernel<<<dim3(static_cast<unsigned>(plan.numSegments), columnBlocks), kFlatBlock, 0, stream>>>(
      table, partial, plan, H);
  BERTNODE_CUDA_CHECK_LAUNCH(scatterSegmentsKernel);
}

}  // namespace

void embeddingsBackward(cudaStream_t stream, Scratch& scratch, float* dWord, float* dPosition, float* dTokenType,
                        const float* dOut, const ScatterPlan& wordPlan, const ScatterPlan& typePlan, int B, int T,
                        int H) {
  const int64_t rows = static_cast<int64_t>(B) * T;
  if (dWord) requireScatterPlanRows(wordPlan, rows, "word");
  if (dTokenType) requireScatterPlanRows(typePlan, rows, "token-type");
  // Each table's partials are dead once its pass 2 has run, so the two tables take the same scratch in turn.
  if (dWord) scatterRows(stream, scratch, dWord, dOut, wordPlan, H);
  if (dTokenType) scatterRows(stream, scratch, dTokenType, dOut, typePlan, H);
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
