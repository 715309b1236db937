// PackedBf16Weights (packed_bf16_weights.h): lazy per-layer packing of the six Linear weights.
#include "model/packed_bf16_weights.h"

#include <algorithm>

namespace bertnode {
namespace {

// nn.Linear shape [out, in] of module m of kLayerLinears: the intermediate widens H to I, the output narrows I to H.
struct Shape {
  int out, in;
};
Shape moduleShape(size_t m, int hidden, int intermediate) {
  const LayerLinear& module = kLayerLinears[m];
  if (module.field == &EncoderLayerParams::intermediate) return {intermediate, hidden};
  if (module.field == &EncoderLayerParams::output) return {hidden, intermediate};
  return {hidden, hidden};
}

}  // namespace

PackedBf16Weights::PackedBf16Weights(int numLayers, int hidden, int intermediate)
    : hidden_(hidden), intermediate_(intermediate), layers_(static_cast<size_t>(numLayers)) {}

PackedBf16Weights::Layer PackedBf16Weights::layer(Backend& be, Bf16Activations& linears, int l,
                                                  const EncoderLayerParams& params) {
  Entry& e = layers_[static_cast<size_t>(l)];
  if (!e.stale) return e.weights;
  Shape shapes[kModules];
  size_t offsets[kModules], bytes = 0;
  for (size_t m = 0; m < kModules; ++m) {
    shapes[m] = moduleShape(m, hidden_, intermediate_);
    offsets[m] = bytes;
    bytes += (linears.packedWeightBytes(shapes[m].out, shapes[m].in) + 63) / 64 * 64;
  }
  if (!e.block) e.block = std::make_unique<DeviceBlock>(be);
  e.block->reserve(bytes);
  for (size_t m = 0; m < kModules; ++m) {
    void* packed = e.block->base() + offsets[m];
    linears.packWeight(packed, (params.*kLayerLinears[m].field).weight, shapes[m].out, shapes[m].in);
    e.weights[m] = packed;
  }
  e.stale = false;
  return e.weights;
}

size_t PackedBf16Weights::bytes() const {
  size_t total = 0;
  for (const Entry& e : layers_) total += e.block ? e.block->capacity() : 0;
  return total;
}

void PackedBf16Weights::markAllStale() { markStaleFrom(0); }

void PackedBf16Weights::markStaleFrom(int firstLayer) {
  for (size_t l = static_cast<size_t>(std::max(firstLayer, 0)); l < layers_.size(); ++l) layers_[l].stale = true;
}

}  // namespace bertnode
