// checkLabels (labels.h).
#include "model/labels.h"

#include <cmath>
#include <stdexcept>

namespace bertnode {

size_t LabelLayout::count() const {
  size_t n = 0;
  for (const LabelSegment& s : segments) n += s.count;
  return n;
}

void checkLabels(const LabelLayout& layout, const Labels& labels) {
  auto fail = [](const std::string& message) { throw std::invalid_argument(message); };
  if (!layout.refusal.empty()) fail(layout.refusal);
  if (layout.dtype == LabelLayout::Dtype::Float32) {
    if (!labels.floats) fail("labels must be float32 " + layout.shape);
    for (size_t i = 0; i < layout.count(); ++i) {
      if (!std::isfinite(labels.floats[i])) fail("labels[" + std::to_string(i) + "] is not finite");
    }
    return;
  }
  if (!labels.ints) fail("labels must be int32 " + layout.shape);
  size_t i = 0;
  for (const LabelSegment& s : layout.segments) {
    for (size_t k = 0; k < s.count; ++k, ++i) {
      int32_t v = labels.ints[i];
      if (s.clamped || (v >= s.lo && v < s.hi) || (s.ignore && v == *s.ignore)) continue;
      fail("labels[" + std::to_string(i) + "] = " + std::to_string(v) + " is outside [" + std::to_string(s.lo) +
           ", " + s.bound + " = " + std::to_string(s.hi) + ")" +
           (s.ignore ? " and is not the ignored value " + std::to_string(*s.ignore) : "") + " (" + s.what + ")");
    }
  }
}

}  // namespace bertnode
