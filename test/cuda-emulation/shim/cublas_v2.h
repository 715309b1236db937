// Emulation stand-in for cuBLAS: the handle calls and the two GEMMs native/cuda/gemm.cu makes (cublasGemmEx,
// cublasGemmStridedBatchedEx), implemented literally from cuBLAS's documented column-major semantics. The test
// therefore checks gemm.cu's row-major -> column-major mapping (operand swap, transposes, leading dimensions,
// strides, bf16 staging), not cuBLAS itself.
//
// Modelled: cuBLAS's argument checks (leading dimensions, sizes), the supported type combinations (fp32 or bf16
// inputs, fp32 output), the handle, TF32 (CUBLAS_COMPUTE_32F_FAST_TF32 rounds each fp32 input to TF32's 10-bit
// mantissa, to nearest with ties away from zero as the tensor cores' conversion does) and bf16 inputs; C is not read
// when beta == 0. Under BERTNODE_EMULATION_DEVICE_POINTERS_ONLY, A, B and C must lie wholly inside device buffers
// (what the call reads and writes, from the strides), otherwise the call fails like an illegal address.
// Products are accumulated in fp32 with fused multiply-adds in k order, then alpha * sum + beta * C in fp32, as a
// GPU's GEMM does; so the tests' fp32 tolerances meet fp32 summation, not a double-precision stand-in.
// Not modelled: cuBLAS's own summation order (tiles, split-K: its last bits differ from this loop's), its speed and
// its choice of algorithms.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <set>

#include "cuda_bf16.h"
#include "cuda_runtime.h"

typedef int cublasStatus_t;
constexpr cublasStatus_t CUBLAS_STATUS_SUCCESS = 0;
constexpr cublasStatus_t CUBLAS_STATUS_NOT_INITIALIZED = 1;
constexpr cublasStatus_t CUBLAS_STATUS_INVALID_VALUE = 7;
constexpr cublasStatus_t CUBLAS_STATUS_EXECUTION_FAILED = 13;
constexpr cublasStatus_t CUBLAS_STATUS_NOT_SUPPORTED = 15;

inline const char* cublasGetStatusName(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    default: return "CUBLAS_STATUS_UNKNOWN";
  }
}
inline const char* cublasGetStatusString(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS: return "success";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "the library was not initialized (emulated cuBLAS)";
    case CUBLAS_STATUS_INVALID_VALUE: return "an invalid value was used as an argument (emulated cuBLAS)";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "the GPU program failed to execute (emulated cuBLAS)";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "the functionality requested is not supported (emulated cuBLAS)";
    default: return "unknown status (emulated cuBLAS)";
  }
}

struct cublasContext {
  cudaStream_t stream;
};
typedef cublasContext* cublasHandle_t;
enum cublasOperation_t { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1 };
enum cudaDataType_t { CUDA_R_32F = 0, CUDA_R_16BF = 14 };
enum cublasComputeType_t { CUBLAS_COMPUTE_32F = 68, CUBLAS_COMPUTE_32F_FAST_TF32 = 77 };
enum cublasGemmAlgo_t { CUBLAS_GEMM_DEFAULT = -1 };

namespace emu {

inline std::set<cublasHandle_t> cublasHandles;

inline bool validHandle(cublasHandle_t handle) {
  return handle == nullptr ? false : cublasHandles.count(handle) != 0;
}

// TF32: the upper 19 bits of an fp32 (sign, 8-bit exponent, 10-bit mantissa), rounded to nearest, ties away.
inline float toTf32(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  if ((bits & 0x7F800000u) != 0x7F800000u) bits = (bits + 0x1000u) & 0xFFFFE000u;
  std::memcpy(&value, &bits, 4);
  return value;
}

inline float element(const void* base, cudaDataType_t type, bool tf32, int64_t index) {
  if (type == CUDA_R_32F) {
    float value = static_cast<const float*>(base)[index];
    return tf32 ? toTf32(value) : value;
  }
  uint32_t bits = static_cast<uint32_t>(static_cast<const __nv_bfloat16*>(base)[index].bits) << 16;
  float value;
  std::memcpy(&value, &bits, 4);
  return value;
}

inline int64_t typeSize(cudaDataType_t type) { return type == CUDA_R_32F ? 4 : 2; }

// Bytes a column-major operand of `rows` x `cols` with leading dimension ld spans, over `batch` matrices.
inline int64_t operandBytes(int rows, int cols, int ld, long long stride, int batch, int64_t elementBytes) {
  if (rows == 0 || cols == 0) return 0;
  return ((batch - 1) * stride + static_cast<int64_t>(cols - 1) * ld + rows) * elementBytes;
}

#ifdef BERTNODE_EMULATION_DEVICE_POINTERS_ONLY
inline bool deviceOperand(const char* name, const void* p, int64_t bytes) {
  if (bytes == 0 || isDeviceRange(p, static_cast<size_t>(bytes))) return true;
  std::fprintf(stderr, "[bertnode CUDA emulation] cuBLAS operand %s (%p, %lld bytes) is not inside a device buffer\n",
               name, p, static_cast<long long>(bytes));
  return false;
}
#endif

// C (m x n, column-major, ldc) = alpha * op(A) (m x k) * op(B) (k x n) + beta * C for `batch` strided matrices.
inline cublasStatus_t gemm(cublasHandle_t handle, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                           const float* alpha, const void* A, cudaDataType_t at, int lda, long long strideA,
                           const void* B, cudaDataType_t bt, int ldb, long long strideB, const float* beta, void* C,
                           cudaDataType_t ct, int ldc, long long strideC, int batch, cublasComputeType_t compute) {
  std::lock_guard<std::recursive_mutex> lock(deviceMutex());
  if (!validHandle(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
  // cuBLAS's argument checks: sizes, leading dimensions at least the stored rows.
  const int aRows = ta == CUBLAS_OP_N ? m : k, aCols = ta == CUBLAS_OP_N ? k : m;
  const int bRows = tb == CUBLAS_OP_N ? k : n, bCols = tb == CUBLAS_OP_N ? n : k;
  if (m < 0 || n < 0 || k < 0 || batch < 0 || lda < (aRows > 1 ? aRows : 1) || ldb < (bRows > 1 ? bRows : 1) ||
      ldc < (m > 1 ? m : 1))
    return CUBLAS_STATUS_INVALID_VALUE;
  // The combinations gemm.cu relies on, from cublasGemmEx's table: fp32 x fp32 with 32F or 32F_FAST_TF32 compute,
  // bf16 x bf16 with 32F compute; the output fp32.
  const bool fp32Inputs = at == CUDA_R_32F && bt == CUDA_R_32F;
  const bool bf16Inputs = at == CUDA_R_16BF && bt == CUDA_R_16BF;
  if (ct != CUDA_R_32F || !((fp32Inputs && (compute == CUBLAS_COMPUTE_32F || compute == CUBLAS_COMPUTE_32F_FAST_TF32)) ||
                            (bf16Inputs && compute == CUBLAS_COMPUTE_32F)))
    return CUBLAS_STATUS_NOT_SUPPORTED;
  if (!validStream(handle->stream)) return CUBLAS_STATUS_EXECUTION_FAILED;
  if (m == 0 || n == 0 || batch == 0) return CUBLAS_STATUS_SUCCESS;
#ifdef BERTNODE_EMULATION_DEVICE_POINTERS_ONLY
  const int64_t kUsed = k == 0 ? 0 : 1;  // with k == 0 neither A nor B is read
  if (!deviceOperand("A", A, kUsed * operandBytes(aRows, aCols, lda, strideA, batch, typeSize(at))) ||
      !deviceOperand("B", B, kUsed * operandBytes(bRows, bCols, ldb, strideB, batch, typeSize(bt))) ||
      !deviceOperand("C", C, operandBytes(m, n, ldc, strideC, batch, 4)))
    return CUBLAS_STATUS_EXECUTION_FAILED;
#endif
  DeviceAccess access;
  const bool tf32 = compute == CUBLAS_COMPUTE_32F_FAST_TF32;
  for (int i = 0; i < batch; ++i) {
    const char* a = static_cast<const char*>(A) + i * strideA * typeSize(at);
    const char* b = static_cast<const char*>(B) + i * strideB * typeSize(bt);
    float* c = static_cast<float*>(C) + i * strideC;
    for (int j = 0; j < n; ++j)
      for (int r = 0; r < m; ++r) {
        float sum = 0;
        for (int l = 0; l < k; ++l) {
          float x = element(a, at, tf32, ta == CUBLAS_OP_N ? r + static_cast<int64_t>(l) * lda : l + static_cast<int64_t>(r) * lda);
          float y = element(b, bt, tf32, tb == CUBLAS_OP_N ? l + static_cast<int64_t>(j) * ldb : j + static_cast<int64_t>(l) * ldb);
          sum = std::fma(x, y, sum);
        }
        float& out = c[r + static_cast<int64_t>(j) * ldc];
        out = *beta == 0.0f ? *alpha * sum : *alpha * sum + *beta * out;
      }
  }
  return CUBLAS_STATUS_SUCCESS;
}

}  // namespace emu

inline cublasStatus_t cublasCreate(cublasHandle_t* handle) {
  std::lock_guard<std::recursive_mutex> lock(emu::deviceMutex());
  *handle = new cublasContext{nullptr};
  emu::cublasHandles.insert(*handle);
  return CUBLAS_STATUS_SUCCESS;
}

inline cublasStatus_t cublasDestroy(cublasHandle_t handle) {
  std::lock_guard<std::recursive_mutex> lock(emu::deviceMutex());
  if (!emu::validHandle(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
  emu::cublasHandles.erase(handle);
  delete handle;
  return CUBLAS_STATUS_SUCCESS;
}

inline cublasStatus_t cublasSetStream(cublasHandle_t handle, cudaStream_t stream) {
  std::lock_guard<std::recursive_mutex> lock(emu::deviceMutex());
  if (!emu::validHandle(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
  handle->stream = stream;
  return CUBLAS_STATUS_SUCCESS;
}

inline cublasStatus_t cublasGemmEx(cublasHandle_t handle, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                                   int k, const void* alpha, const void* A, cudaDataType_t at, int lda, const void* B,
                                   cudaDataType_t bt, int ldb, const void* beta, void* C, cudaDataType_t ct, int ldc,
                                   cublasComputeType_t compute, cublasGemmAlgo_t) {
  return emu::gemm(handle, ta, tb, m, n, k, static_cast<const float*>(alpha), A, at, lda, 0, B, bt, ldb, 0,
                   static_cast<const float*>(beta), C, ct, ldc, 0, 1, compute);
}

inline cublasStatus_t cublasGemmStridedBatchedEx(cublasHandle_t handle, cublasOperation_t ta, cublasOperation_t tb,
                                                 int m, int n, int k, const void* alpha, const void* A,
                                                 cudaDataType_t at, int lda, long long strideA, const void* B,
                                                 cudaDataType_t bt, int ldb, long long strideB, const void* beta,
                                                 void* C, cudaDataType_t ct, int ldc, long long strideC, int batch,
                                                 cublasComputeType_t compute, cublasGemmAlgo_t) {
  return emu::gemm(handle, ta, tb, m, n, k, static_cast<const float*>(alpha), A, at, lda, strideA, B, bt, ldb,
                   strideB, static_cast<const float*>(beta), C, ct, ldc, strideC, batch, compute);
}
