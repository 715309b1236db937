// ScatterPlanBuilder: the host side of a ScatterPlan (model/backend.h), the fixed order in which the embedding
// backward sums the rows of dOut into the word and token-type gradient rows.
//
// The rows are grouped by key with a counting sort (stable: ascending row within a key), and each key's rows are
// cut into chunks of at most kScatterChunkRows. A key with one chunk adds its rows straight into its table row; a
// key with several (the [PAD] id that fills half a batch, [CLS], a token type shared by thousands of rows) gets one
// partial sum per chunk, which the backend adds in chunk order. The plan depends on the keys alone, so every run
// of a batch sums in the same order, and a GPU can give every chunk its own block instead of one serial walk.
//
// Header-only because both addons and the CUDA emulation test build it from their own source lists.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/backend.h"

namespace bertnode {

// Rows per chunk: long enough that a chunk's serial sum amortises reading its plan entry, short enough that a
// [PAD] run of thousands of rows spreads over a hundred blocks.
constexpr int kScatterChunkRows = 32;

// int32 elements of a plan image for n rows, at most: the rows, chunkStart (<= n + 1), chunkKey and chunkSlot
// (<= n each), and for the keys with more than one chunk (more than kScatterChunkRows rows each, so fewer than
// n / (kScatterChunkRows + 1) + 1) segmentKey and segmentSlotStart (+ 1). The model reserves this per batch shape.
inline size_t scatterPlanCapacity(size_t n) {
  size_t segments = n / (kScatterChunkRows + 1) + 1;
  return n + (n + 1) + 2 * n + segments + (segments + 1);
}

// The host-side check both backends make before following a plan: it must cover exactly the op's `rows` rows.
inline void requireScatterPlanRows(const ScatterPlan& plan, int64_t rows, const char* which) {
  if (plan.numRows != rows) {
    throw std::invalid_argument(std::string("embeddingsBackward: the ") + which + " plan covers " +
                                std::to_string(plan.numRows) + " rows, the op has " + std::to_string(rows));
  }
}

class ScatterPlanBuilder {
 public:
  // Plans the scatter of rows 0..n-1 by keys[r] (the batch's ids or token types, already validated: a negative
  // key is rejected here, one past the table's end is the caller's to prevent). Replaces the previous plan.
  void build(const int32_t* keys, int n) {
    if (n < 0 || (n > 0 && !keys)) throw std::invalid_argument("scatter plan: bad key array");
    int32_t maxKey = -1;
    for (int r = 0; r < n; ++r) {
      if (keys[r] < 0) throw std::invalid_argument("scatter plan: key " + std::to_string(keys[r]) + " is negative");
      maxKey = std::max(maxKey, keys[r]);
    }
    // Counting sort (O(n + maxKey), no comparisons): starts_[k] becomes the first sorted position of key k.
    starts_.assign(static_cast<size_t>(maxKey) + 2, 0);
    for (int r = 0; r < n; ++r) ++starts_[static_cast<size_t>(keys[r]) + 1];
    for (size_t k = 1; k < starts_.size(); ++k) starts_[k] += starts_[k - 1];
    rows_.resize(static_cast<size_t>(n));
    for (int r = 0; r < n; ++r) rows_[static_cast<size_t>(starts_[static_cast<size_t>(keys[r])]++)] = r;

    chunkStart_.clear();
    chunkKey_.clear();
    chunkSlot_.clear();
    segmentKey_.clear();
    segmentSlotStart_.clear();
    int slots = 0;
    for (int begin = 0; begin < n;) {
      const int32_t key = keys[rows_[static_cast<size_t>(begin)]];
      int end = begin;
      while (end < n && keys[rows_[static_cast<size_t>(end)]] == key) ++end;
      const bool several = end - begin > kScatterChunkRows;
      if (several) {
        segmentKey_.push_back(key);
        segmentSlotStart_.push_back(slots);
      }
      for (int first = begin; first < end; first += kScatterChunkRows) {
        chunkStart_.push_back(first);
        chunkKey_.push_back(key);
        chunkSlot_.push_back(several ? slots++ : -1);
      }
      begin = end;
    }
    chunkStart_.push_back(n);
    segmentSlotStart_.push_back(slots);
    numRows_ = n;
    numSlots_ = slots;

    image_.clear();
    for (const std::vector<int32_t>* part : {&rows_, &chunkStart_, &chunkKey_, &chunkSlot_, &segmentKey_,
                                             &segmentSlotStart_}) {
      image_.insert(image_.end(), part->begin(), part->end());
    }
  }

  // The plan's arrays back to back (rows, chunkStart, chunkKey, chunkSlot, segmentKey, segmentSlotStart), to be
  // uploaded as one block of at most scatterPlanCapacity(n) elements.
  const std::vector<int32_t>& image() const { return image_; }

  // The plan as seen through a device copy of image() at `device`.
  ScatterPlan on(const int32_t* device) const {
    ScatterPlan plan;
    plan.numRows = numRows_;
    plan.numChunks = static_cast<int>(chunkKey_.size());
    plan.numSegments = static_cast<int>(segmentKey_.size());
    plan.numSlots = numSlots_;
    plan.rows = device;
    plan.chunkStart = plan.rows + rows_.size();
    plan.chunkKey = plan.chunkStart + chunkStart_.size();
    plan.chunkSlot = plan.chunkKey + chunkKey_.size();
    plan.segmentKey = plan.chunkSlot + chunkSlot_.size();
    plan.segmentSlotStart = plan.segmentKey + segmentKey_.size();
    return plan;
  }

 private:
  std::vector<int32_t> starts_, rows_, chunkStart_, chunkKey_, chunkSlot_, segmentKey_, segmentSlotStart_, image_;
  int numRows_ = 0;
  int numSlots_ = 0;
};

}  // namespace bertnode
