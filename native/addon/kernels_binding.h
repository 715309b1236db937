// N-API binding of the CPU GEMM for tests and benchmarks: exports.kernels = { sgemm, sgemmStridedBatched,
// gemmIsas, gemmActiveIsa }. Synchronous on purpose (callers time it or compare its output); the model
// API never goes through here.
#pragma once

#include <napi.h>

namespace bertnode::addon {

void registerKernels(Napi::Env env, Napi::Object exports);

}  // namespace bertnode::addon
