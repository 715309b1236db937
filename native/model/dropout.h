// Whether a dropout call is live, and the in-place call itself (forward and backward are the same mask).
#pragma once

#include <cstdint>

#include "model/layers.h"

namespace bertnode {

inline bool dropoutActive(float p, const DropoutKey& key) { return key.training && p > 0.0f; }

// x = dropout(x) in place when active; a no-op otherwise.
inline void dropoutInPlace(Backend& be, float* x, int64_t n, float p, uint32_t site, const DropoutKey& key) {
  if (dropoutActive(p, key)) be.dropout(x, x, n, p, key.seed, key.step, site);
}

// dropout(in) written to `out` when active, returning out; returns `in` untouched (no copy) otherwise.
inline const float* dropoutInto(Backend& be, float* out, const float* in, int64_t n, float p, uint32_t site,
                                const DropoutKey& key) {
  if (!dropoutActive(p, key)) return in;
  be.dropout(out, in, n, p, key.seed, key.step, site);
  return out;
}

}  // namespace bertnode
