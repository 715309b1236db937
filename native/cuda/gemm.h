// The cuBLAS GEMM launcher shared by CudaBackend::gemm and ::gemmStridedBatched (gemm.cu documents the row-major to
// column-major mapping and the three precisions).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "cuda/launchers.h"
#include "model/backend_factory.h"

namespace bertnode::cuda {

struct GemmContext {
  cublasHandle_t handle;  // bound to `stream`
  cudaStream_t stream;
  GemmPrecision precision;
  Scratch* staging;  // bf16 copies of the operands (Bf16 only)
};

// C = alpha * op(A) * op(B) + beta * C for `batch` matrices (batch == 1: one plain GEMM; strides unused).
void gemm(const GemmContext& ctx, bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
          int64_t strideA, const float* B, int ldb, int64_t strideB, float beta, float* C, int ldc, int64_t strideC,
          int batch);

}  // namespace bertnode::cuda
