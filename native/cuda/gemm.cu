// Every matrix product of the model through cuBLAS: the linear layers (gemm) and the batched attention products
// Q*K^T and P*V and their gradients (gemmStridedBatched), in one of three precisions.
//
// Shapes (row-major, as model/backend.h): C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C; A stored [M,K]
// or [K,M] (transA), B stored [K,N] or [N,K] (transB); lda/ldb/ldc row strides; matrix i of a batch at
// A + i*strideA etc. cuBLAS is column-major: a row-major [R,C] matrix with row stride ld is the column-major [C,R]
// matrix with leading dimension ld, i.e. its transpose. So C^T = op(B)^T op(A)^T is computed by passing B as the
// first operand and A as the second, with the same transpose flags and M/N swapped — no copies.
//
// Precision: Fp32 uses CUBLAS_COMPUTE_32F (IEEE, no tensor-core rounding); Tf32 uses CUBLAS_COMPUTE_32F_FAST_TF32;
// Bf16 converts A and B to bf16 into a staging buffer (the fp32 master copies are never modified) and multiplies
// with fp32 accumulation and an fp32 C (cublasGemmEx, CUDA_R_16BF inputs, CUBLAS_COMPUTE_32F).
#include <cuda_bf16.h>

#include "cuda/common.cuh"
#include "cuda/cuda_check.h"
#include "cuda/gemm.h"

namespace bertnode::cuda {
namespace {

// ---- kernels ------------------------------------------------------------------------------------------------

__global__ void toBf16Kernel(__nv_bfloat16* out, const float* in, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    out[i] = __float2bfloat16_rn(in[i]);
}

// Elements a (possibly batched) row-major operand spans, up to and including its last element: the last matrix's
// start, its last row's start, and that row's width. Not rows * ld: an operand may be a column slice of a wider
// matrix (ld > width) that ends where its allocation ends, and converting the ld - width elements after its last
// row would read past that allocation (an illegal address on a GPU, the context lost).
int64_t operandExtent(int storedRows, int storedColumns, int ld, int64_t stride, int batch) {
  return stride * (batch - 1) + static_cast<int64_t>(storedRows - 1) * ld + storedColumns;
}

}  // namespace

// ---- launcher -----------------------------------------------------------------------------------------------

void gemm(const GemmContext& ctx, bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
          int64_t strideA, const float* B, int ldb, int64_t strideB, float beta, float* C, int ldc, int64_t strideC,
          int batch) {
  if (M <= 0 || N <= 0 || batch <= 0) return;
  const cublasOperation_t opA = transA ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t opB = transB ? CUBLAS_OP_T : CUBLAS_OP_N;
  const void* a = A;
  const void* b = B;
  cudaDataType_t inputType = CUDA_R_32F;
  cublasComputeType_t compute = CUBLAS_COMPUTE_32F;
  if (ctx.precision == GemmPrecision::Tf32) compute = CUBLAS_COMPUTE_32F_FAST_TF32;
  if (ctx.precision == GemmPrecision::Bf16 && K > 0) {
    int64_t extentA = operandExtent(transA ? K : M, transA ? M : K, lda, strideA, batch);
    int64_t extentB = operandExtent(transB ? N : K, transB ? K : N, ldb, strideB, batch);
    // Each operand starts at a 256-byte boundary of the staging buffer, as cuBLAS prefers for tensor cores.
    int64_t offsetB = (extentA + 127) / 128 * 128;
    auto* staging = static_cast<__nv_bfloat16*>(ctx.staging->get(sizeof(__nv_bfloat16) * (offsetB + extentB)));
    toBf16Kernel<<<flatGrid(extentA), kFlatBlock, 0, ctx.stream>>>(staging, A, extentA);
    BERTNODE_CUDA_CHECK_LAUNCH(toBf16Kernel);
    toBf16Kernel<<<flatGrid(extentB), kFlatBlock, 0, ctx.stream>>>(staging + offsetB, B, extentB);
    BERTNODE_CUDA_CHECK_LAUNCH(toBf16Kernel);
    a = staging;
    b = staging + offsetB;
    inputType = CUDA_R_16BF;
  }
  if (batch == 1) {
    BERTNODE_CUBLAS_CHECK(cublasGemmEx(ctx.handle, opB, opA, N, M, K, &alpha, b, inputType, ldb, a, inputType, lda,
                                       &beta, C, CUDA_R_32F, ldc, compute, CUBLAS_GEMM_DEFAULT));
  } else {
    BERTNODE_CUBLAS_CHECK(cublasGemmStridedBatchedEx(ctx.handle, opB, opA, N, M, K, &alpha, b, inputType, ldb,
                                                     strideB, a, inputType, lda, strideA, &beta, C, CUDA_R_32F, ldc,
                                                     strideC, batch, compute, CUBLAS_GEMM_DEFAULT));
  }
}

}  // namespace bertnode::cuda
