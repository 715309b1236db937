// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11), header-only, usable from
// host code and from CUDA kernels, so the CPU and CUDA backends draw bit-identical dropout masks.
//
// The mapping from a dropout element to its uniform number (the contract both backends implement):
//   key     = { lo32(seed), hi32(seed) }
//   block   = element / 4                      (element: the flat index inside the tensor being dropped out)
//   counter = { lo32(block), hi32(block), site, lo32(step) }
//   u       = philox4x32_10(counter, key)[element % 4]
//   uniform = (u >> 8) * 2^-24                  (24 random bits: exactly representable in fp32, in [0, 1))
// `site` names one dropout call inside a training step (the model assigns them: see model/dropout_sites.h);
// `step` is the caller's step counter, so each step, site and element gets an independent draw. Steps are taken
// modulo 2^32.
#pragma once

#include <cstdint>

#ifdef __CUDACC__
#define BERTNODE_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define BERTNODE_HOST_DEVICE inline
#endif

namespace bertnode {

struct PhiloxBlock {
  uint32_t v[4];
};

BERTNODE_HOST_DEVICE void philoxMulHiLo(uint32_t a, uint32_t b, uint32_t* hi, uint32_t* lo) {
  uint64_t product = static_cast<uint64_t>(a) * static_cast<uint64_t>(b);
  *hi = static_cast<uint32_t>(product >> 32);
  *lo = static_cast<uint32_t>(product);
}

// Ten rounds of Philox4x32 on `counter` under `key` (the Random123 reference constants).
BERTNODE_HOST_DEVICE PhiloxBlock philox4x32_10(PhiloxBlock counter, uint32_t key0, uint32_t key1) {
  const uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  const uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0, lo0, hi1, lo1;
    philoxMulHiLo(kMul0, counter.v[0], &hi0, &lo0);
    philoxMulHiLo(kMul1, counter.v[2], &hi1, &lo1);
    PhiloxBlock next = {{hi1 ^ counter.v[1] ^ key0, lo1, hi0 ^ counter.v[3] ^ key1, lo0}};
    counter = next;
    key0 += kWeyl0;
    key1 += kWeyl1;
  }
  return counter;
}

// The four uniforms of one block: elements 4*block .. 4*block+3 of (seed, step, site).
BERTNODE_HOST_DEVICE PhiloxBlock dropoutBlock(uint64_t seed, uint64_t step, uint32_t site, uint64_t block) {
  PhiloxBlock counter = {{static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), site,
                          static_cast<uint32_t>(step)}};
  return philox4x32_10(counter, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
}

// Maps 32 random bits to a float uniform in [0, 1) with 24 bits of resolution.
BERTNODE_HOST_DEVICE float uniformFromBits(uint32_t bits) {
  return static_cast<float>(bits >> 8) * (1.0f / 16777216.0f);
}

// The uniform for one element; see the mapping at the top of this file.
BERTNODE_HOST_DEVICE float dropoutUniform(uint64_t seed, uint64_t step, uint32_t site, uint64_t element) {
  PhiloxBlock block = dropoutBlock(seed, step, site, element / 4);
  return uniformFromBits(block.v[element % 4]);
}

}  // namespace bertnode

#undef BERTNODE_HOST_DEVICE
