// Portable threaded GEMM (placeholder: correct, row-parallel, i-k-j order the compiler vectorises).
#include "cpu/gemm.h"

#include <vector>

#include "cpu/thread_pool.h"

namespace bertnode::cpu {

void sgemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
           int ldb, float beta, float* C, int ldc) {
  parallelFor(static_cast<size_t>(M), 4, [&](size_t begin, size_t end) {
    std::vector<float> row(static_cast<size_t>(N));
    for (size_t i = begin; i < end; ++i) {
      std::fill(row.begin(), row.end(), 0.0f);
      for (int k = 0; k < K; ++k) {
        float a = transA ? A[static_cast<size_t>(k) * lda + i] : A[i * lda + k];
        if (transB) {
          for (int j = 0; j < N; ++j) row[j] += a * B[static_cast<size_t>(j) * ldb + k];
        } else {
          const float* b = B + static_cast<size_t>(k) * ldb;
          for (int j = 0; j < N; ++j) row[j] += a * b[j];
        }
      }
      float* c = C + i * ldc;
      for (int j = 0; j < N; ++j) c[j] = alpha * row[j] + (beta == 0.0f ? 0.0f : beta * c[j]);
    }
  });
}

void sgemmStridedBatched(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
                         int64_t strideA, const float* B, int ldb, int64_t strideB, float beta, float* C, int ldc,
                         int64_t strideC, int batch) {
  for (int i = 0; i < batch; ++i) {
    sgemm(transA, transB, M, N, K, alpha, A + i * strideA, lda, B + i * strideB, ldb, beta, C + i * strideC, ldc);
  }
}

}  // namespace bertnode::cpu
