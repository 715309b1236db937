// The parameter catalogue and the memory behind it. Every module declares its own tensors, by their Hugging Face
// name, into one ParameterCatalogue (the encoder first, then the head); the catalogue's order is the state-dict
// order the addon reports and checkpoints use. ParameterStore lays the catalogue out in one device block (values,
// then gradients, first and second moments of the trainable tensors) and hands each module its pointers by name,
// so no module depends on another's position in the list.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/arena.h"
#include "model/layers.h"

namespace bertnode {

struct ParameterInfo {
  std::string name;
  std::vector<int64_t> shape;
  bool trainable = false;
};

class ParameterCatalogue {
 public:
  void add(std::string name, std::vector<int64_t> shape, bool trainable);
  // nn.Linear `prefix`.weight [out, in] and `prefix`.bias [out].
  void addLinear(const std::string& prefix, int64_t out, int64_t in, bool trainable);
  // nn.LayerNorm `prefix`.weight and `prefix`.bias, both [size].
  void addNorm(const std::string& prefix, int64_t size, bool trainable);
  const std::vector<ParameterInfo>& infos() const { return infos_; }

 private:
  std::vector<ParameterInfo> infos_;
};

struct ParamSlot {
  float* value = nullptr;
  float* grad = nullptr;  // these three are null for frozen parameters
  float* m = nullptr;
  float* v = nullptr;
  size_t count = 0;
  bool decay = false;
};

class ParameterStore {
 public:
  // Allocates the catalogue's values (zeroed), gradients and moments in one block of `backend`.
  ParameterStore(std::vector<ParameterInfo> infos, Backend& backend);

  const std::vector<ParameterInfo>& infos() const { return infos_; }
  const std::vector<ParamSlot>& slots() const { return slots_; }
  size_t indexOf(const std::string& name) const;  // std::invalid_argument for unknown names
  const ParamSlot& slot(const std::string& name) const { return slots_[indexOf(name)]; }
  const ParamSlot& trainableSlot(const std::string& name) const;  // std::invalid_argument for frozen ones
  Linear linear(const std::string& prefix) const;
  Norm norm(const std::string& prefix) const;

  // All gradients are one contiguous range, zeroed in one call.
  void zeroGradients(Backend& be) const;
  float* normAccumulator() const { return normAccumulator_; }  // one device float for the global gradient norm
  size_t bytes() const { return block_.capacity(); }

 private:
  void layout(Slab& slab);

  std::vector<ParameterInfo> infos_;
  std::unordered_map<std::string, size_t> byName_;
  std::vector<ParamSlot> slots_;
  DeviceBlock block_;
  float* gradientsBegin_ = nullptr;
  size_t gradientBytes_ = 0;
  float* normAccumulator_ = nullptr;
};

}  // namespace bertnode
