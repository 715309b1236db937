// The CUDA implementation of the Backend interface (model/backend.h): cuBLAS for every GEMM, one .cu file per op
// family for the rest (launchers.h), all work enqueued on one stream with no host synchronisation between ops.
// Plain C++ header (no CUDA types), so model/backend_factory.cpp can include it from a g++ translation unit.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "model/backend.h"
#include "model/backend_factory.h"

namespace bertnode::cuda {

// Creates the backend on GPU `deviceIndex`. Throws BackendUnavailableError when there is no driver, no such
// device, or the device is older than sm_80 (this binary carries code for sm_80 and sm_90 only);
// std::runtime_error for any other CUDA/cuBLAS failure.
std::shared_ptr<Backend> createCudaBackend(int deviceIndex, GemmPrecision precision);

struct CudaDeviceInfo {
  int index = 0;
  std::string name;
  int computeMajor = 0;
  int computeMinor = 0;
  int multiprocessors = 0;
  size_t totalBytes = 0;
  size_t freeBytes = 0;
};

// What the runtime sees. Never throws: `error` holds the CUDA error text when the driver or devices cannot be read
// (e.g. "CUDA driver version is insufficient for CUDA runtime version" on a machine without a GPU).
struct CudaProbe {
  int runtimeVersion = 0;  // e.g. 13000 for CUDA 13.0
  int driverVersion = 0;   // 0 when no driver is installed
  std::vector<CudaDeviceInfo> devices;
  std::string error;
};

CudaProbe probeCuda();

}  // namespace bertnode::cuda
