// precision 'int8' (inference only, CPU): int8 copies of every encoder Linear weight — query, key, value, attention
// output, intermediate and output of each layer — quantised from the fp32 parameters as cpu/gemm_int8.h describes
// (per output channel, symmetric) and read by linearForward in place of the fp32 GEMM. The pooler and the task heads
// stay fp32: they are a few small products per sequence, not per token.
//
// Freshness: every copy starts stale; markStale(name) marks the copy of the weight `name` (setParameter calls it for
// every write) and refresh() re-quantises the stale copies, which the model runs before every int8 forward. So a
// forward never reads a copy older than its fp32 weight. (An int8 model does not train, so setParameter is the only
// writer of its weights.)
//
// The copies live in host memory and linearForward passes them host pointers with the activations: only the CPU
// backend, whose device memory is host memory, runs them (the addon refuses 'int8' on CUDA).
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "cpu/gemm_int8.h"
#include "model/layers.h"
#include "model/parameters.h"

namespace bertnode {

class QuantizedLinears {
 public:
  QuantizedLinears(const ParameterStore& store, int numLayers);

  // Points each Linear of layer `layer`'s params at its int8 copy (addresses stay valid for this object's life).
  void attach(int layer, EncoderLayerParams& params) const;
  // No-op for names that are not an encoder Linear weight.
  void markStale(const std::string& name);
  // Downloads and re-quantises every stale weight.
  void refresh(Backend& be, const ParameterStore& store);
  size_t bytes() const;  // of the int8 copies made so far (packed weights, scales, column sums)

 private:
  struct Entry {
    std::string weightName;
    int out = 0, in = 0;
    bool stale = true;
    cpu::Int8Weights weights;
  };
  std::vector<Entry> entries_;  // layer-major, modules in kLayerLinears order; never resized after construction
  std::unordered_map<std::string, size_t> byName_;
};

}  // namespace bertnode
