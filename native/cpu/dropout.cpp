// Inverted dropout whose mask is regenerated from Philox (core/philox.h) on every call, so the backward is the same
// call applied to the incoming gradient and no mask is ever stored.
//
// Shapes: flat, n elements; element i keeps iff dropoutUniform(seed, step, site, i) >= p, and is scaled by 1/(1-p).
#include <cstddef>

#include "core/philox.h"
#include "cpu/ops.h"
#include "cpu/thread_pool.h"
#include "cpu/vector_math.h"

namespace bertnode::cpu {
namespace {

// Whole Philox blocks [blockBegin, blockEnd): straight-line code per block, so GCC vectorises across blocks
// (the 32x32->64-bit products map onto vpmuludq).
BERTNODE_SIMD_CLONES void dropoutBlocks(float* out, const float* in, size_t blockBegin, size_t blockEnd, float p,
                                        float keepScale, uint64_t seed, uint64_t step, uint32_t site) {
  for (size_t blk = blockBegin; blk < blockEnd; ++blk) {
    PhiloxBlock bits = dropoutBlock(seed, step, site, blk);
    for (size_t lane = 0; lane < 4; ++lane) {
      size_t i = blk * 4 + lane;
      float keep = uniformFromBits(bits.v[lane]) >= p ? keepScale : 0.0f;
      out[i] = in[i] * keep;
    }
  }
}

}  // namespace

void dropout(float* out, const float* in, int64_t n, float p, uint64_t seed, uint64_t step, uint32_t site) {
  const float keepScale = 1.0f / (1.0f - p);
  const size_t fullBlocks = static_cast<size_t>(n) / 4;
  parallelFor(fullBlocks, 1024, [&](size_t begin, size_t end) {
    dropoutBlocks(out, in, begin, end, p, keepScale, seed, step, site);
  });
  PhiloxBlock bits = dropoutBlock(seed, step, site, fullBlocks);
  for (size_t i = fullBlocks * 4; i < static_cast<size_t>(n); ++i) {
    out[i] = uniformFromBits(bits.v[i % 4]) >= p ? in[i] * keepScale : 0.0f;
  }
}

}  // namespace bertnode::cpu
