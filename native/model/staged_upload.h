// StagedUpload: several host arrays bound for nearby device buffers, sent in one Backend::upload.
//
// A CUDA upload waits for its copy, so a batch's ids, token types, mask, labels and scatter plans uploaded one by
// one would stall the host once per array. Instead they are gathered into a host image of the device range they
// span and uploaded together. The bytes between the spans (alignment padding, unused plan capacity) are written
// with zeros, so the range must hold nothing else the device still needs — true of the workspace's int block,
// which a call lays out and fills as a whole.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <vector>

#include "model/backend.h"

namespace bertnode {

class StagedUpload {
 public:
  // Queues `bytes` from host to device; both must stay valid until flush. Null or empty spans are skipped.
  void add(void* device, const void* host, size_t bytes) {
    if (device && host && bytes) spans_.push_back({static_cast<char*>(device), host, bytes});
  }

  // One upload of the range from the lowest span start to the highest span end; forgets the spans.
  void flush(Backend& be) {
    if (spans_.empty()) return;
    char* begin = spans_.front().device;
    char* end = begin;
    for (const Span& s : spans_) {
      begin = std::min(begin, s.device);
      end = std::max(end, s.device + s.bytes);
    }
    image_.assign(static_cast<size_t>(end - begin), 0);
    for (const Span& s : spans_) std::memcpy(image_.data() + (s.device - begin), s.host, s.bytes);
    spans_.clear();
    be.upload(begin, image_.data(), image_.size());
  }

 private:
  struct Span {
    char* device;
    const void* host;
    size_t bytes;
  };
  std::vector<Span> spans_;
  std::vector<char> image_;  // kept between calls: the next batch of the same shape reuses its memory
};

}  // namespace bertnode
