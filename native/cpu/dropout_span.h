// Backend::dropout's mask on a window of a larger tensor, for kernels that drop a block of it at a time (the fused
// attention drops one strip of query rows of the [B,NH,T,T] probabilities): element j of out/in is element
// first + j of the tensor, and keeps iff dropoutUniform(seed, step, site, first + j) >= p, scaled by 1/(1-p).
// Single-threaded (the caller's task); out == in allowed; 0 <= p < 1.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bertnode::cpu {

void dropoutSpan(float* out, const float* in, uint64_t first, size_t n, float p, uint64_t seed, uint64_t step,
                 uint32_t site);

}  // namespace bertnode::cpu
