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
//   runBackendOp(device, precision, op, tensors, params) -> { [name]: Float32Array | Int32Array }
//       Test-only, synchronous: uploads every typed array of `tensors` to a fresh buffer of the backend for `device`
//       ('cpu' or 'cuda[:N]'), runs the Backend op named `op` (model/backend.h; arguments by parameter name from
//       `tensors` — a missing tensor is a null pointer — and `params`), and returns every tensor downloaded again,
//       so outputs and accumulated gradients come back under their own names. test/cuda runs each op on both
//       devices and compares. Backends are created once per (device, precision) and freed with the environment.
#pragma once

#include <napi.h>

namespace bertnode::cuda {

void addCudaExports(Napi::Env env, Napi::Object exports);

}  // namespace bertnode::cuda
