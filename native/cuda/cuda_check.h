// CUDA and cuBLAS status checks that throw std::runtime_error with the library's own error string, so a device
// failure becomes a JavaScript exception in the addon instead of an abort. Used at every API call and after every
// kernel launch (cudaGetLastError only reads the launch status: it does not synchronise).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <new>
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

// Device memory exhausted: a std::bad_alloc (so the addon reports ERR_BERTNODE_OUT_OF_MEMORY, as for host memory)
// whose what() says how much was asked for on which device.
class DeviceOutOfMemory : public std::bad_alloc {
 public:
  DeviceOutOfMemory(size_t bytes, int device)
      : message_("CUDA device " + std::to_string(device) + " is out of memory (allocating " +
                 std::to_string(bytes) + " bytes)") {}
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
};

// cudaMalloc that throws DeviceOutOfMemory when the device is full and std::runtime_error on any other failure.
inline void* deviceMalloc(size_t bytes, int device) {
  void* ptr = nullptr;
  cudaError_t status = cudaMalloc(&ptr, bytes);
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // not sticky: clear it so the next call does not report it again
    throw DeviceOutOfMemory(bytes, device);
  }
  if (status != cudaSuccess) throwCudaError(status, "cudaMalloc", __FILE__, __LINE__);
  return ptr;
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
