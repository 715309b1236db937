// Labels in each head's layout, and the one check of them. A head describes its labels as a LabelLayout (dtype,
// element count for the batch, the allowed integer range and an ignored value); checkLabels is the only code that
// judges labels, called by the addon at the N-API boundary and by BertModel for direct C++ callers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bertnode {

// Host arrays; exactly one is set, in the dtype of the model's LabelLayout.
struct Labels {
  const int32_t* ints = nullptr;
  const float* floats = nullptr;
  bool present() const { return ints || floats; }
};

// A run of `count` integer labels that must lie in [lo, hi) or equal `ignore` (when set); `clamped`: any value is
// accepted and clamped by the head (extractive QA, as transformers clamps positions).
struct LabelSegment {
  size_t count = 0;
  int32_t lo = 0, hi = 0;
  std::optional<int32_t> ignore;
  bool clamped = false;
  std::string what;   // e.g. "class index", "masked-LM token id"
  std::string bound;  // what hi is, e.g. "numLabels", "vocabSize"
};

struct LabelLayout {
  enum class Dtype { Int32, Float32 } dtype = Dtype::Int32;
  std::vector<LabelSegment> segments;  // Int32: back to back; Float32: one segment, every value finite
  std::string shape;                   // for messages, e.g. "[batchSize, numLabels]"
  std::string refusal = {};            // set: the head takes no labels at all, and this says why
  size_t count() const;
};

// std::invalid_argument naming the first offending label, or a null array.
void checkLabels(const LabelLayout& layout, const Labels& labels);

}  // namespace bertnode
