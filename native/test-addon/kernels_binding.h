// N-API binding of the raw CPU GEMM for tests and benchmarks (test addon only): exports.kernels = { sgemm,
// sgemmStridedBatched, gemmIsas, gemmBf16Available, gemmActiveIsa }. Synchronous on purpose (callers time it or
// compare its output); the model API never goes through here.
#pragma once

#include <napi.h>

namespace bertnode::testaddon {

void registerKernels(Napi::Env env, Napi::Object exports);

}  // namespace bertnode::testaddon
