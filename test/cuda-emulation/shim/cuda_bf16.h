// Emulation stand-in for cuda_bf16.h: bf16 as its 16 bits, converted with round-to-nearest-even like
// __float2bfloat16_rn (NaN handling omitted: the tests feed finite values).
#pragma once
#include <cstdint>
#include <cstring>

struct __nv_bfloat16 {
  uint16_t bits;
};

inline __nv_bfloat16 __float2bfloat16_rn(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  bits += 0x7FFFu + ((bits >> 16) & 1u);
  return __nv_bfloat16{static_cast<uint16_t>(bits >> 16)};
}
