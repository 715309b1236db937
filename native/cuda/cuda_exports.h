// The JS functions only the CUDA addon (bertnode_cuda.node) has, added to its exports by the addon's Init:
//
//   #ifdef BERTNODE_WITH_CUDA
//   #include "cuda/cuda_exports.h"
//   #endif
//   ...
//   #ifdef BERTNODE_WITH_CUDA
//     bertnode::cuda::addCudaExports(env, exports);
//   #endif
//
// (native/addon/addon.cpp owns that call; BERTNODE_WITH_CUDA is defined only for the CMake target bertnode_cuda.)
//
//   cudaProbe() -> { builtWithCuda: true, runtimeVersion, driverVersion, devices: [{ index, name, computeCapability,
//                  multiprocessors, totalBytes, freeBytes }], error?: string }
//       What lib/native/cuda.ts's child-process probe asks before the CUDA addon is trusted. Never throws.
//
// The test-only runBackendOp (each Backend op on its own, for test/cuda) is not here: it is the whole of the
// test-only CUDA addon, native/test-addon/cuda_backend_ops.cpp.
#pragma once

#include <napi.h>

namespace bertnode::cuda {

void addCudaExports(Napi::Env env, Napi::Object exports);

}  // namespace bertnode::cuda
