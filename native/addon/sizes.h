// Overflow-safe size arithmetic for every size check at the N-API boundary (validate.cpp and the test addon's raw
// kernels). A count computed from numbers a caller chose must never wrap around and then pass a bounds check it
// should fail: (batch - 1) * stride with stride 2^61 and batch 5 is 2^63, which int64 cannot hold.
//
// Size is a non-negative int64 that remembers overflow: any product or sum that leaves [0, INT64_MAX], or any
// operand that already did, yields an overflowed Size, which fits no limit. So a whole formula is written plainly,
// `Size(b) * heads * t * t`, and checked once, with `atMost(limit)`.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

namespace bertnode::addon {

class Size {
 public:
  // A negative count is as unusable as an overflowed one.
  constexpr Size(int64_t value) : value_(value), overflowed_(value < 0) {}  // NOLINT: implicit on purpose

  constexpr bool overflowed() const { return overflowed_; }
  constexpr bool atMost(int64_t limit) const { return !overflowed_ && value_ <= limit; }
  // The exact value; only meaningful when !overflowed().
  constexpr int64_t value() const { return value_; }
  std::string toString() const { return overflowed_ ? "more than 2^63" : std::to_string(value_); }

  friend constexpr Size operator*(Size a, Size b) {
    if (a.overflowed_ || b.overflowed_) return overflow();
    if (a.value_ != 0 && b.value_ > std::numeric_limits<int64_t>::max() / a.value_) return overflow();
    return Size(a.value_ * b.value_);
  }

  friend constexpr Size operator+(Size a, Size b) {
    if (a.overflowed_ || b.overflowed_) return overflow();
    if (b.value_ > std::numeric_limits<int64_t>::max() - a.value_) return overflow();
    return Size(a.value_ + b.value_);
  }

 private:
  static constexpr Size overflow() { return Size(-1); }

  int64_t value_;
  bool overflowed_;
};

}  // namespace bertnode::addon
