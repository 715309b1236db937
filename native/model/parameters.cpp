// ParameterCatalogue and ParameterStore (parameters.h).
#include "model/parameters.h"

#include <stdexcept>

#include "model/parameter_names.h"

namespace bertnode {

void ParameterCatalogue::add(std::string name, std::vector<int64_t> shape, bool trainable) {
  for (const ParameterInfo& p : infos_) {
    if (p.name == name) throw std::logic_error("parameter '" + name + "' is declared twice");
  }
  infos_.push_back({std::move(name), std::move(shape), trainable});
}

void ParameterCatalogue::addLinear(const std::string& prefix, int64_t out, int64_t in, bool trainable) {
  add(prefix + ".weight", {out, in}, trainable);
  add(prefix + ".bias", {out}, trainable);
}

void ParameterCatalogue::addNorm(const std::string& prefix, int64_t size, bool trainable) {
  add(prefix + ".weight", {size}, trainable);
  add(prefix + ".bias", {size}, trainable);
}

ParameterStore::ParameterStore(std::vector<ParameterInfo> infos, Backend& backend)
    : infos_(std::move(infos)), block_(backend) {
  for (size_t i = 0; i < infos_.size(); ++i) byName_.emplace(infos_[i].name, i);
  Slab measure;
  layout(measure);
  block_.reserve(measure.used());
  Slab slab(block_.base());
  layout(slab);
  backend.zero(block_.base(), measure.used());
}

// Values of all parameters, then the gradients, first and second moments of the trainable ones.
void ParameterStore::layout(Slab& slab) {
  slots_.assign(infos_.size(), ParamSlot{});
  for (size_t i = 0; i < infos_.size(); ++i) {
    size_t count = 1;
    for (int64_t extent : infos_[i].shape) count *= static_cast<size_t>(extent);
    slots_[i].count = count;
    slots_[i].decay = names::usesWeightDecay(infos_[i].name);
    slots_[i].value = slab.take<float>(count);
  }
  size_t gradStart = slab.used();
  for (size_t i = 0; i < infos_.size(); ++i) {
    if (infos_[i].trainable) slots_[i].grad = slab.take<float>(slots_[i].count);
  }
  gradientBytes_ = slab.used() - gradStart;
  for (size_t i = 0; i < infos_.size(); ++i) {
    if (infos_[i].trainable) slots_[i].m = slab.take<float>(slots_[i].count);
  }
  for (size_t i = 0; i < infos_.size(); ++i) {
    if (infos_[i].trainable) slots_[i].v = slab.take<float>(slots_[i].count);
  }
  normAccumulator_ = slab.take<float>(1);
  gradientsBegin_ = nullptr;
  for (const ParamSlot& s : slots_) {
    if (s.grad) {
      gradientsBegin_ = s.grad;
      break;
    }
  }
}

size_t ParameterStore::indexOf(const std::string& name) const {
  auto it = byName_.find(name);
  if (it == byName_.end()) throw std::invalid_argument("unknown parameter '" + name + "'");
  return it->second;
}

const ParamSlot& ParameterStore::trainableSlot(const std::string& name) const {
  const ParamSlot& s = slot(name);
  if (!s.grad) throw std::invalid_argument("parameter '" + name + "' is frozen: it has no gradient or optimizer state");
  return s;
}

Linear ParameterStore::linear(const std::string& prefix) const {
  const ParamSlot& w = slot(prefix + ".weight");
  const ParamSlot& b = slot(prefix + ".bias");
  return {w.value, b.value, w.grad, b.grad};
}

Norm ParameterStore::norm(const std::string& prefix) const {
  const ParamSlot& w = slot(prefix + ".weight");
  const ParamSlot& b = slot(prefix + ".bias");
  return {w.value, b.value, w.grad, b.grad};
}

void ParameterStore::zeroGradients(Backend& be) const {
  if (gradientsBegin_) be.zero(gradientsBegin_, gradientBytes_);
}

}  // namespace bertnode
