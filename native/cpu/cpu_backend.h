// The CPU implementation of the Backend interface: device memory is host memory, every op runs on the shared thread
// pool (cpu/thread_pool.h), GEMMs go to cpu/gemm.h. The readable reference the CUDA backend is judged against.
#pragma once

#include <memory>

#include "model/backend.h"
#include "model/backend_factory.h"

namespace bertnode::cpu {

// precision Fp32 or Bf16 (the GEMMs through gemmBf16: the caller checks bf16GemmSupported() first); anything else
// throws std::invalid_argument.
std::shared_ptr<Backend> createCpuBackend(GemmPrecision precision = GemmPrecision::Fp32);

}  // namespace bertnode::cpu
