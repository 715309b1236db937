// The CPU implementation of the Backend interface: device memory is host memory, every op runs on the shared thread
// pool (cpu/thread_pool.h), GEMMs go to cpu/gemm.h. The readable reference the CUDA backend is judged against.
#pragma once

#include <memory>

#include "model/backend.h"

namespace bertnode::cpu {

std::shared_ptr<Backend> createCpuBackend();

}  // namespace bertnode::cpu
