// The encoder layers' Linear weights packed for Backend::bf16Activations() (model/bf16_activations.h): one device block per
// layer, holding its six weights in kLayerLinears order, allocated and packed the first time an inference layer
// needs it, so a model that only trains never pays for them.
//
// Freshness: a layer's pack is stale until packed, and again after anything writes its weights: markAllStale() for
// setParameter (any parameter; loading a model writes them all), markStaleFrom(l) for the optimizer step (it writes
// the trainable layers l .. L-1). layer() repacks a stale layer before returning it, so an inference never reads a
// pack older than its fp32 weights.
#pragma once

#include <array>
#include <memory>
#include <vector>

#include "model/arena.h"
#include "model/layers.h"

namespace bertnode {

class PackedBf16Weights {
 public:
  static constexpr size_t kModules = std::size(kLayerLinears);
  using Layer = std::array<const void*, kModules>;

  PackedBf16Weights(int numLayers, int hidden, int intermediate);

  // Layer `l`'s packed weights (repacked first if stale), in kLayerLinears order.
  Layer layer(Backend& be, Bf16Activations& linears, int l, const EncoderLayerParams& params);
  void markAllStale();
  void markStaleFrom(int firstLayer);
  size_t bytes() const;  // of the layers packed so far

 private:
  struct Entry {
    std::unique_ptr<DeviceBlock> block;
    Layer weights{};
    bool stale = true;
  };
  int hidden_, intermediate_;
  std::vector<Entry> layers_;
};

}  // namespace bertnode
