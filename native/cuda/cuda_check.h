// CUDA and cuBLAS status checks that throw std::runtime_error with the library's own error string, so a device
// failure becomes a JavaScript exception in the addon instead of an abort. Used at every API call and after every
// kernel launch (cudaGetLastError only reads the launch status: it does not synchronise).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace bertnode::cuda {

[[noreturn]] inline void throwCudaError(cudaError_t status, const char* what, const char* file, int line) {
  throw std::runtime_error(std::string("CUDA error in ") + what + " (" + file + ":" + std::to_string(line) +
                           "): " + cudaGetErrorName(status) + ": " + cudaGetErrorString(status));
}

[[noreturn]] inline void throwCublasError(cublasStatus_t status, const char* what, const char* file, int line) {
  throw std::runtime_error(std::string("cuBLAS error in ") + what + " (" + file + ":" + std::to_string(line) +
                           "): " + cublasGetStatusName(status) + ": " + cublasGetStatusString(status));
}

}  // namespace bertnode::cuda

#define BERTNODE_CUDA_CHECK(call)                                                              \
  do {                                                                                         \
    cudaError_t bertnodeStatus_ = (call);                                                      \
    if (bertnodeStatus_ != cudaSuccess)                                                        \
      ::bertnode::cuda::throwCudaError(bertnodeStatus_, #call, __FILE__, __LINE__);            \
  } while (0)

#define BERTNODE_CUBLAS_CHECK(call)                                                            \
  do {                                                                                         \
    cublasStatus_t bertnodeStatus_ = (call);                                                   \
    if (bertnodeStatus_ != CUBLAS_STATUS_SUCCESS)                                              \
      ::bertnode::cuda::throwCublasError(bertnodeStatus_, #call, __FILE__, __LINE__);          \
  } while (0)

// After a <<<...>>> launch: reports a bad configuration (too many threads, too much shared memory) at once.
#define BERTNODE_CUDA_CHECK_LAUNCH(kernelName)                                                 \
  do {                                                                                         \
    cudaError_t bertnodeStatus_ = cudaGetLastError();                                          \
    if (bertnodeStatus_ != cudaSuccess)                                                        \
      ::bertnode::cuda::throwCudaError(bertnodeStatus_, "launch of " #kernelName, __FILE__, __LINE__); \
  } while (0)
