// Emulation stand-in for cuBLAS: the two calls native/cuda/gemm.cu makes (cublasGemmEx, cublasGemmStridedBatchedEx)
// implemented literally from cuBLAS's documented column-major semantics, in double, so the test checks gemm.cu's
// row-major -> column-major mapping (operand swap, transposes, leading dimensions, strides, bf16 staging) rather
// than cuBLAS itself. TF32 rounding is not modelled (the compute type only selects tensor cores on a GPU).
#pragma once
#include <cstdint>
#include <cstring>

#include "cuda_bf16.h"
#include "cuda_runtime.h"

typedef int cublasStatus_t;
constexpr cublasStatus_t CUBLAS_STATUS_SUCCESS = 0;
constexpr cublasStatus_t CUBLAS_STATUS_INVALID_VALUE = 7;
inline const char* cublasGetStatusName(cublasStatus_t) { return "emulated"; }
inline const char* cublasGetStatusString(cublasStatus_t) { return "emulated"; }

typedef struct cublasContext* cublasHandle_t;
enum cublasOperation_t { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1 };
enum cudaDataType_t { CUDA_R_32F = 0, CUDA_R_16BF = 14 };
enum cublasComputeType_t { CUBLAS_COMPUTE_32F = 68, CUBLAS_COMPUTE_32F_FAST_TF32 = 77 };
enum cublasGemmAlgo_t { CUBLAS_GEMM_DEFAULT = -1 };

namespace emu {
inline double element(const void* base, cudaDataType_t type, int64_t index) {
  if (type == CUDA_R_32F) return static_cast<const float*>(base)[index];
  uint32_t bits = static_cast<uint32_t>(static_cast<const __nv_bfloat16*>(base)[index].bits) << 16;
  float value;
  std::memcpy(&value, &bits, 4);
  return value;
}

// C (m x n, column-major, ldc) = alpha * op(A) (m x k) * op(B) (k x n) + beta * C; C is not read when beta == 0.
inline cublasStatus_t gemm(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const float* alpha,
                           const void* A, cudaDataType_t at, int lda, const void* B, cudaDataType_t bt, int ldb,
                           const float* beta, void* C, int ldc) {
  // cuBLAS's argument checks: leading dimensions at least the stored rows.
  if (lda < (ta == CUBLAS_OP_N ? m : k) || ldb < (tb == CUBLAS_OP_N ? k : n) || ldc < m || m < 0 || n < 0 || k < 0)
    return CUBLAS_STATUS_INVALID_VALUE;
  float* c = static_cast<float*>(C);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < m; ++i) {
      double sum = 0;
      for (int l = 0; l < k; ++l) {
        double a = element(A, at, ta == CUBLAS_OP_N ? i + static_cast<int64_t>(l) * lda : l + static_cast<int64_t>(i) * lda);
        double b = element(B, bt, tb == CUBLAS_OP_N ? l + static_cast<int64_t>(j) * ldb : j + static_cast<int64_t>(l) * ldb);
        sum += a * b;
      }
      float& out = c[i + static_cast<int64_t>(j) * ldc];
      out = static_cast<float>(*alpha * sum + (*beta == 0.0f ? 0.0 : static_cast<double>(*beta) * out));
    }
  return CUBLAS_STATUS_SUCCESS;
}

inline int64_t typeSize(cudaDataType_t type) { return type == CUDA_R_32F ? 4 : 2; }
}  // namespace emu

inline cublasStatus_t cublasGemmEx(cublasHandle_t, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                                   const void* alpha, const void* A, cudaDataType_t at, int lda, const void* B,
                                   cudaDataType_t bt, int ldb, const void* beta, void* C, cudaDataType_t, int ldc,
                                   cublasComputeType_t, cublasGemmAlgo_t) {
  return emu::gemm(ta, tb, m, n, k, static_cast<const float*>(alpha), A, at, lda, B, bt, ldb,
                   static_cast<const float*>(beta), C, ldc);
}

inline cublasStatus_t cublasGemmStridedBatchedEx(cublasHandle_t, cublasOperation_t ta, cublasOperation_t tb, int m,
                                                 int n, int k, const void* alpha, const void* A, cudaDataType_t at,
                                                 int lda, long long strideA, const void* B, cudaDataType_t bt, int ldb,
                                                 long long strideB, const void* beta, void* C, cudaDataType_t,
                                                 int ldc, long long strideC, int batch, cublasComputeType_t,
                                                 cublasGemmAlgo_t) {
  for (int i = 0; i < batch; ++i) {
    cublasStatus_t status = emu::gemm(
        ta, tb, m, n, k, static_cast<const float*>(alpha), static_cast<const char*>(A) + i * strideA * emu::typeSize(at),
        at, lda, static_cast<const char*>(B) + i * strideB * emu::typeSize(bt), bt, ldb,
        static_cast<const float*>(beta), static_cast<float*>(C) + i * strideC, ldc);
    if (status != CUBLAS_STATUS_SUCCESS) return status;
  }
  return CUBLAS_STATUS_SUCCESS;
}
