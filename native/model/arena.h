// A bump allocator over one backend allocation. Layout code runs twice through the same Slab: first unbacked to
// measure (take() returns null), then backed by an allocation of the measured size to hand out pointers. This keeps
// every buffer of a model (parameters, gradients, moments) or of one batch shape (activations) in one block.
#pragma once

#include <cstddef>
#include <cstdint>

#include "model/backend.h"

namespace bertnode {

class Slab {
 public:
  Slab() = default;
  explicit Slab(char* base) : base_(base) {}

  // Reserves `count` elements of T, 64-byte aligned; returns null on a measuring pass or when count is 0.
  template <typename T>
  T* take(size_t count) {
    if (count == 0) return nullptr;
    size_t offset = used_;
    used_ += (count * sizeof(T) + kAlign - 1) / kAlign * kAlign;
    return base_ ? reinterpret_cast<T*>(base_ + offset) : nullptr;
  }
  size_t used() const { return used_; }

 private:
  static constexpr size_t kAlign = 64;
  char* base_ = nullptr;
  size_t used_ = 0;
};

// Owns one backend allocation that only grows.
class DeviceBlock {
 public:
  explicit DeviceBlock(Backend& backend) : backend_(backend) {}
  ~DeviceBlock() { backend_.release(base_); }
  DeviceBlock(const DeviceBlock&) = delete;
  DeviceBlock& operator=(const DeviceBlock&) = delete;

  // Makes the block at least `bytes` long; returns true when it was reallocated (old contents are gone).
  bool reserve(size_t bytes) {
    if (base_ && bytes <= capacity_) return false;
    backend_.release(base_);
    base_ = nullptr;
    base_ = static_cast<char*>(backend_.alloc(bytes));
    capacity_ = bytes;
    return true;
  }
  char* base() const { return base_; }
  size_t capacity() const { return capacity_; }

 private:
  Backend& backend_;
  char* base_ = nullptr;
  size_t capacity_ = 0;
};

}  // namespace bertnode
