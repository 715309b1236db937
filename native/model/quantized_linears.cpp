#include "model/quantized_linears.h"

#include <iterator>
#include <stdexcept>

#include "model/parameter_names.h"

namespace bertnode {
namespace {

constexpr size_t kModuleCount = std::size(kLayerLinears);

}  // namespace

QuantizedLinears::QuantizedLinears(const ParameterStore& store, int numLayers) {
  entries_.resize(static_cast<size_t>(numLayers) * kModuleCount);
  for (int l = 0; l < numLayers; ++l) {
    for (size_t m = 0; m < kModuleCount; ++m) {
      Entry& e = entries_[l * kModuleCount + m];
      e.weightName = names::layerParameter(l, kLayerLinears[m].module) + ".weight";
      const ParameterInfo& info = store.infos()[store.indexOf(e.weightName)];
      e.out = static_cast<int>(info.shape[0]);
      e.in = static_cast<int>(info.shape[1]);
      // The addon's config limits (65,536) keep this from JS; the C++ API has no such limit.
      if (e.in > cpu::kInt8MaxK) {
        throw std::invalid_argument("precision 'int8' sums at most " + std::to_string(cpu::kInt8MaxK) +
                                    " products per output in int32; " + e.weightName + " has " + std::to_string(e.in));
      }
      byName_[e.weightName] = l * kModuleCount + m;
    }
  }
}

void QuantizedLinears::attach(int layer, EncoderLayerParams& params) const {
  for (size_t m = 0; m < kModuleCount; ++m) {
    (params.*kLayerLinears[m].field).int8 = &entries_[layer * kModuleCount + m].weights;
  }
}

void QuantizedLinears::markStale(const std::string& name) {
  auto found = byName_.find(name);
  if (found != byName_.end()) entries_[found->second].stale = true;
}

size_t QuantizedLinears::bytes() const {
  size_t total = 0;
  for (const Entry& e : entries_) {
    if (e.weights.packed) total += static_cast<size_t>(e.weights.paddedN) * (e.weights.paddedK + 2 * sizeof(float));
  }
  return total;
}

void QuantizedLinears::refresh(Backend& be, const ParameterStore& store) {
  std::vector<float> host;
  for (Entry& e : entries_) {
    if (!e.stale) continue;
    host.resize(static_cast<size_t>(e.out) * e.in);
    be.download(host.data(), store.slot(e.weightName).value, sizeof(float) * host.size());
    e.weights = cpu::quantizeWeights(host.data(), e.out, e.in);
    e.stale = false;
  }
}

}  // namespace bertnode
