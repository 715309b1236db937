// Single-precision GEMM for the CPU backend: C = alpha * op(A) * op(B) + beta * C, row-major.
//
// Shapes: op(A) is [M, K], op(B) is [K, N], C is [M, N]. transA means A is stored as [K, M] (so op(A) = A^T),
// transB means B is stored as [N, K]. lda/ldb/ldc are the row strides (in elements) of A, B, C as stored.
// beta == 0 means C is overwritten and never read (it may hold NaNs). Threaded over the pool in thread_pool.h.
#pragma once

#include <cstdint>

namespace bertnode::cpu {

void sgemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
           int ldb, float beta, float* C, int ldc);

// `batch` independent GEMMs with the same shapes; matrix i starts at A + i*strideA, B + i*strideB, C + i*strideC.
void sgemmStridedBatched(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
                         int64_t strideA, const float* B, int ldb, int64_t strideB, float beta, float* C, int ldc,
                         int64_t strideC, int batch);

// The same contracts with bf16 products: every element of op(A) and op(B) is rounded to bf16 (round to nearest even,
// 8 significant bits, relative error <= 2^-8) and the products are summed in fp32; alpha, beta and C stay fp32.
// They run on AMX tiles where the CPU has AMX-BF16 and with vdpbf16ps where it has AVX-512 BF16 (the two differ only
// in the order of the fp32 sums); bf16GemmSupported() says whether either is there (BERTNODE_CPU_KERNELS can force
// one family or rule both out, gemm_kernels.h); without one they throw std::runtime_error.
bool bf16GemmSupported();
void gemmBf16(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
              int ldb, float beta, float* C, int ldc);
void gemmBf16StridedBatched(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
                            int64_t strideA, const float* B, int ldb, int64_t strideB, float beta, float* C, int ldc,
                            int64_t strideC, int batch);

// gemmBf16 with op(A) (aBf16) and/or op(B) (bBf16) stored as bf16 (uint16_t) instead of fp32 (a bf16 A not
// transposed; B either way): the same bits as gemmBf16 on those values widened to fp32, without the pass that rounds
// them. Only where bf16OperandsSupported() (the AMX family); throws std::runtime_error elsewhere and
// std::invalid_argument for a transposed bf16 A.
bool bf16OperandsSupported();
void gemmBf16Operands(bool transA, bool transB, int M, int N, int K, float alpha, const void* A, bool aBf16, int lda,
                      const void* B, bool bBf16, int ldb, float beta, float* C, int ldc);

}  // namespace bertnode::cpu
