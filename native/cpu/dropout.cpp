// Inverted dropout whose mask is regenerated from Philox (core/philox.h) on every call, so the backward is the same
// call applied to the incoming gradient and no mask is ever stored.
//
// Shapes: flat, n elements; element i keeps iff dropoutUniform(seed, step, site, i) >= p, and is scaled by 1/(1-p).
#include <cstddef>

#include "core/philox.h"
#include "cpu/ops.h"
#include "cpu/thread_pool.h"

namespace bertnode::cpu {

void dropout(float* out, const float* in, int64_t n, float p, uint64_t seed, uint64_t step, uint32_t site) {
  const float keepScale = 1.0f / (1.0f - p);
  size_t blocks = static_cast<size_t>((n + 3) / 4);
  parallelFor(blocks, 1024, [&](size_t begin, size_t end) {
    for (size_t blk = begin; blk < end; ++blk) {
      PhiloxBlock bits = dropoutBlock(seed, step, site, blk);
      for (size_t lane = 0; lane < 4; ++lane) {
        size_t i = blk * 4 + lane;
        if (i >= static_cast<size_t>(n)) break;
        out[i] = uniformFromBits(bits.v[lane]) >= p ? in[i] * keepScale : 0.0f;
      }
    }
  });
}

}  // namespace bertnode::cpu
