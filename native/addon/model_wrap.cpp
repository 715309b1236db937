#include "addon/model_wrap.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "addon/errors.h"
#include "addon/promise_worker.h"
#include "addon/validate.h"
#include "model/backend_factory.h"

namespace bertnode::addon {

namespace {

Napi::Float32Array toFloat32Array(Napi::Env env, const std::vector<float>& values) {
  Napi::Float32Array array = Napi::Float32Array::New(env, values.size());
  if (!values.empty()) std::memcpy(array.Data(), values.data(), values.size() * sizeof(float));
  return array;
}

// One long call of a model: `run` on a worker thread, `result` on the JS thread. The reference on the owner keeps
// the JS object alive while the worker runs; the worker's own share of the model keeps the model alive even if the
// owner is disposed or torn down meanwhile. It holds the owner's busy mark until it finishes.
class ModelTask : public PromiseWorker {
 public:
  ModelTask(BertModelWrap& owner, std::shared_ptr<BertModel> model, const char* name,
            std::function<void(BertModel&)> run, std::function<Napi::Value(Napi::Env)> result)
      : PromiseWorker(owner.Env(), name),
        owner_(owner),
        ownerRef_(Napi::Persistent(owner.Value())),
        model_(std::move(model)),
        run_(std::move(run)),
        result_(std::move(result)) {}

 protected:
  void Run() override { run_(*model_); }
  Napi::Value Result(Napi::Env env) override { return result_(env); }
  void Finished() override {
    model_.reset();
    owner_.endCall();
    ownerRef_.Reset();
  }

 private:
  BertModelWrap& owner_;
  Napi::ObjectReference ownerRef_;
  std::shared_ptr<BertModel> model_;
  std::function<void(BertModel&)> run_;
  std::function<Napi::Value(Napi::Env)> result_;
};

// One call's hold on the model (model_wrap.h): the busy mark and a share of the model, from before the first
// argument is read until the call returns — or, for a long call, until its worker finishes (queue()).
class Call {
 public:
  Call(BertModelWrap& owner, Napi::Env env) : owner_(&owner), model_(owner.beginCall(env)) {}
  ~Call() {
    if (owner_) owner_->endCall();
  }
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

  BertModel& model() const { return *model_; }

  // After user JavaScript may have run (argument getters): it may have disposed the model, whose memory this call
  // still holds; the call must not go on as if nothing happened.
  void requireOpen(Napi::Env env) const {
    if (owner_->disposed()) throwError(env, kDisposed, "the model was disposed while the call read its arguments");
  }

  // Starts `run` on a worker; the busy mark and the share of the model pass to it.
  Napi::Value queue(Napi::Env env, const char* name, std::function<void(BertModel&)> run,
                    std::function<Napi::Value(Napi::Env)> result) {
    requireOpen(env);
    auto* task = new ModelTask(*owner_, model_, name, std::move(run), std::move(result));
    Napi::Promise promise = task->promise();
    task->Queue();
    owner_ = nullptr;
    return promise;
  }

 private:
  BertModelWrap* owner_;
  std::shared_ptr<BertModel> model_;
};

// The parameter named by a JS string (reading a string runs no JS). The reference stays valid while the call
// holds the model: a model's parameter list never changes.
const ParameterInfo& findParameter(Napi::Env env, const BertModel& model, const Napi::Value& name) {
  std::string key = requireString(env, name, "name");
  for (const ParameterInfo& p : model.parameters()) {
    if (p.name == key) return p;
  }
  throwRangeError(env, "unknown parameter '" + key + "'");
}

size_t elementCount(const ParameterInfo& p) {
  size_t count = 1;
  for (int64_t d : p.shape) count *= size_t(d);  // bounded by the config's parameter limit (validate.h)
  return count;
}

struct ForwardState {
  OwnedBatch batch;
  OwnedLabels labels;
  ForwardOptions options;
  ForwardResult result;
};

struct StepState {
  OwnedBatch batch;
  OwnedLabels labels;
  AdamWHyper hyper;
  float scale = 1.0f;
  uint64_t seed = 0, step = 0;
  float loss = 0.0f, gradNorm = 0.0f;
};

}  // namespace

Napi::Function BertModelWrap::define(Napi::Env env) {
  return DefineClass(env, "BertModel",
                     {
                         InstanceMethod<&BertModelWrap::parameterNames>("parameterNames"),
                         InstanceMethod<&BertModelWrap::parameterShape>("parameterShape"),
                         InstanceMethod<&BertModelWrap::isTrainable>("isTrainable"),
                         InstanceMethod<&BertModelWrap::setParameter>("setParameter"),
                         InstanceMethod<&BertModelWrap::getParameter>("getParameter"),
                         InstanceMethod<&BertModelWrap::getGradient>("getGradient"),
                         InstanceMethod<&BertModelWrap::forward>("forward"),
                         InstanceMethod<&BertModelWrap::trainStep>("trainStep"),
                         InstanceMethod<&BertModelWrap::accumulateGradients>("accumulateGradients"),
                         InstanceMethod<&BertModelWrap::applyOptimizer>("applyOptimizer"),
                         InstanceMethod<&BertModelWrap::frozenPrefix>("frozenPrefix"),
                         InstanceMethod<&BertModelWrap::getOptimizerState>("getOptimizerState"),
                         InstanceMethod<&BertModelWrap::setOptimizerState>("setOptimizerState"),
                         InstanceMethod<&BertModelWrap::nativeBytes>("nativeBytes"),
                         InstanceMethod<&BertModelWrap::dispose>("dispose"),
                     });
}

BertModelWrap::BertModelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<BertModelWrap>(info) {
  Napi::Env env = info.Env();
  BertConfig config = readConfig(env, info[0]);
  BertOptions options = readOptions(env, info[1], config);
  Napi::Object jsOptions = info[1].As<Napi::Object>();
  std::string device = requireString(env, jsOptions.Get("device"), "options.device");
  std::string precision = requireString(env, jsOptions.Get("precision"), "options.precision");
  guard(env, [&]() -> Napi::Value {
    // 'int8': fp32 GEMMs everywhere but the encoder's Linear layers, which run int8 on the CPU only
    // (model/quantized_linears.h).
    if (precision == "int8") {
      if (device != "cpu") {
        throw std::invalid_argument("precision 'int8' is only available on the CPU, got device '" + device + "'");
      }
      options.int8Linears = true;
    }
    std::shared_ptr<Backend> backend = createBackend(parseBackendOptions(device, options.int8Linears ? "fp32" : precision));
    model_ = std::make_shared<BertModel>(config, options, std::move(backend));
    return env.Undefined();
  });
  reportedBytes_ = model_->nativeBytes();
  Napi::MemoryManagement::AdjustExternalMemory(env, reportedBytes_);
}

BertModelWrap::~BertModelWrap() { releaseModel(); }

void BertModelWrap::endCall() {
  busy_ = false;
  if (!model_) return;  // disposed meanwhile: releaseModel settled the report
  const int64_t now = model_->nativeBytes();
  if (now != reportedBytes_) Napi::MemoryManagement::AdjustExternalMemory(Env(), now - reportedBytes_);
  reportedBytes_ = now;
}

void BertModelWrap::releaseModel() {
  model_.reset();
  if (reportedBytes_ != 0) {
    Napi::MemoryManagement::AdjustExternalMemory(Env(), -reportedBytes_);
    reportedBytes_ = 0;
  }
}

std::shared_ptr<BertModel> BertModelWrap::beginCall(Napi::Env env) {
  if (disposed_) throwError(env, kDisposed, "the model has been disposed");
  if (busy_) {
    throwError(env, kBusy, "the model is running another call; wait for it to settle before the next call");
  }
  busy_ = true;
  return model_;
}

Napi::Value BertModelWrap::parameterNames(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<std::string> names;
  {
    Call call(*this, env);
    for (const ParameterInfo& p : call.model().parameters()) names.push_back(p.name);
  }
  Napi::Array array = Napi::Array::New(env, names.size());
  for (size_t i = 0; i < names.size(); ++i) array.Set(uint32_t(i), names[i]);
  return array;
}

Napi::Value BertModelWrap::parameterShape(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<int64_t> shape;
  {
    Call call(*this, env);
    shape = findParameter(env, call.model(), info[0]).shape;
  }
  Napi::Array array = Napi::Array::New(env, shape.size());
  for (size_t i = 0; i < shape.size(); ++i) array.Set(uint32_t(i), double(shape[i]));
  return array;
}

Napi::Value BertModelWrap::isTrainable(const Napi::CallbackInfo& info) {
  Call call(*this, info.Env());
  return Napi::Boolean::New(info.Env(), findParameter(info.Env(), call.model(), info[0]).trainable);
}

Napi::Value BertModelWrap::setParameter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Call call(*this, env);
  const ParameterInfo& p = findParameter(env, call.model(), info[0]);
  std::vector<float> values = readFloat32Array(env, info[1], elementCount(p), "parameter '" + p.name + "'");
  return guard(env, [&]() -> Napi::Value {
    call.model().setParameter(p.name, values.data(), values.size());
    return env.Undefined();
  });
}

Napi::Value BertModelWrap::getParameter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Call call(*this, env);
  const ParameterInfo& p = findParameter(env, call.model(), info[0]);
  return guard(env, [&]() -> Napi::Value { return toFloat32Array(env, call.model().getParameter(p.name)); });
}

Napi::Value BertModelWrap::getGradient(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Call call(*this, env);
  const ParameterInfo& p = findParameter(env, call.model(), info[0]);
  if (!p.trainable) return env.Null();
  return guard(env, [&]() -> Napi::Value { return toFloat32Array(env, call.model().getGradient(p.name)); });
}

Napi::Value BertModelWrap::forward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Call call(*this, env);
  const BertModel& model = call.model();
  const BertConfig& config = model.config();
  auto state = std::make_shared<ForwardState>();
  Napi::Object options = info[1].IsUndefined() ? Napi::Object::New(env) : requireObject(env, info[1], "options");
  state->batch = readBatchWithPrefix(env, info[0], options, config, model.options());
  Napi::Value labels = options.Get("labels");
  if (!labels.IsUndefined()) {
    state->labels = readLabels(env, labels, model.labelLayout(state->batch.batchSize, state->batch.seqLen));
    state->options.labels = state->labels.view();
  }
  state->options.attentionLayers = readAttentionLayers(env, options.Get("attentionLayers"), config.numHiddenLayers);
  auto readFlag = [&](const char* key) {
    Napi::Value flag = options.Get(key);
    if (!flag.IsUndefined() && !flag.IsBoolean()) {
      throwTypeError(env, std::string("options.") + key + " must be a boolean");
    }
    return flag.ToBoolean().Value();
  };
  state->options.outputHiddenStates = readFlag("outputHiddenStates");
  state->options.training = readFlag("training");
  state->options.seed = readCounter(env, options, "options", "seed");
  state->options.step = readCounter(env, options, "options", "step");

  return call.queue(env, "bertnode:forward",
      [state](BertModel& m) { state->result = m.forward(state->batch.view(), state->options); },
      [state](Napi::Env e) -> Napi::Value {
        Napi::Object out = Napi::Object::New(e);
        // Every head output under its name; the primary one (the first) is also `logits`.
        for (const auto& [name, values] : state->result.outputs) {
          Napi::Float32Array array = toFloat32Array(e, values);
          out.Set(name, array);
          if (!out.Has("logits")) out.Set("logits", array);
        }
        if (state->result.loss) out.Set("loss", double(*state->result.loss));
        Napi::Array attentions = Napi::Array::New(e, state->result.attentions.size());
        for (size_t i = 0; i < state->result.attentions.size(); ++i) {
          attentions.Set(uint32_t(i), toFloat32Array(e, state->result.attentions[i]));
        }
        out.Set("attentions", attentions);
        Napi::Array hidden = Napi::Array::New(e, state->result.hiddenStates.size());
        for (size_t i = 0; i < state->result.hiddenStates.size(); ++i) {
          hidden.Set(uint32_t(i), toFloat32Array(e, state->result.hiddenStates[i]));
        }
        out.Set("hiddenStates", hidden);
        return out;
      });
}

Napi::Value BertModelWrap::trainStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Call call(*this, env);
  const BertModel& model = call.model();
  auto state = std::make_shared<StepState>();
  Napi::Object options = info[3].IsUndefined() ? Napi::Object::New(env) : requireObject(env, info[3], "options");
  state->batch = readBatchWithPrefix(env, info[0], options, model.config(), model.options());
  state->labels = readLabels(env, info[1], model.labelLayout(state->batch.batchSize, state->batch.seqLen));
  state->hyper = readHyper(env, info[2]);
  Napi::Object hyper = info[2].As<Napi::Object>();
  state->seed = readCounter(env, hyper, "hyper", "seed");
  state->step = readCounter(env, hyper, "hyper", "step");

  return call.queue(env, "bertnode:trainStep",
      [state](BertModel& m) {
        TrainStepResult r = m.trainStep(state->batch.view(), state->labels.view(), state->hyper, state->seed,
                                        state->step);
        state->loss = r.loss;
        state->gradNorm = r.gradNorm;
      },
      [state](Napi::Env e) -> Napi::Value {
        Napi::Object out = Napi::Object::New(e);
        out.Set("loss", double(state->loss));
        out.Set("gradNorm", double(state->gradNorm));
        return out;
      });
}

Napi::Value BertModelWrap::accumulateGradients(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Call call(*this, env);
  const BertModel& model = call.model();
  auto state = std::make_shared<StepState>();
  Napi::Object options = requireObject(env, info[2], "options");
  state->batch = readBatchWithPrefix(env, info[0], options, model.config(), model.options());
  state->labels = readLabels(env, info[1], model.labelLayout(state->batch.batchSize, state->batch.seqLen));
  state->scale = readFloat32(env, options, "options", "scale", [](float scale) { return scale > 0; }, "must be > 0");
  state->seed = readCounter(env, options, "options", "seed");
  state->step = readCounter(env, options, "options", "step");

  return call.queue(env, "bertnode:accumulateGradients",
      [state](BertModel& m) {
        state->loss = m.accumulateGradients(state->batch.view(), state->labels.view(), state->scale, state->seed,
                                            state->step);
      },
      [state](Napi::Env e) -> Napi::Value {
        Napi::Object out = Napi::Object::New(e);
        out.Set("loss", double(state->loss));
        return out;
      });
}

Napi::Value BertModelWrap::applyOptimizer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Call call(*this, env);
  auto state = std::make_shared<StepState>();
  state->hyper = readHyper(env, info[0]);

  return call.queue(env, "bertnode:applyOptimizer",
      [state](BertModel& m) { state->gradNorm = m.applyOptimizer(state->hyper); },
      [state](Napi::Env e) -> Napi::Value {
        Napi::Object out = Napi::Object::New(e);
        out.Set("gradNorm", double(state->gradNorm));
        return out;
      });
}

Napi::Value BertModelWrap::frozenPrefix(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Call call(*this, env);
  const BertModel& model = call.model();
  requireFrozenPrefix(env, model.config(), model.options(), "frozenPrefix");
  auto state = std::make_shared<ForwardState>();
  state->batch = readBatch(env, info[0], model.config());
  auto hidden = std::make_shared<std::vector<float>>();
  return call.queue(env, "bertnode:frozenPrefix",
      [state, hidden](BertModel& m) { *hidden = m.frozenPrefix(state->batch.view()); },
      [hidden](Napi::Env e) -> Napi::Value { return toFloat32Array(e, *hidden); });
}

// The moments are copied out of the model first; the JS objects are built after the call let go of it, so a setter
// reached while filling them in (Object.prototype) runs no engine code under this call.
Napi::Value BertModelWrap::getOptimizerState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct Moments {
    std::string name;
    std::vector<float> first, second;
  };
  std::vector<Moments> moments;
  int64_t step = 0;
  {
    Call call(*this, env);
    guard(env, [&]() -> Napi::Value {
      BertModel& model = call.model();
      for (const ParameterInfo& p : model.parameters()) {
        if (!p.trainable) continue;
        moments.push_back({p.name, model.getMoment(p.name, Moment::First), model.getMoment(p.name, Moment::Second)});
      }
      step = model.optimizerStep();
      return env.Undefined();
    });
  }
  Napi::Object m = Napi::Object::New(env);
  Napi::Object v = Napi::Object::New(env);
  for (const Moments& entry : moments) {
    m.Set(entry.name, toFloat32Array(env, entry.first));
    v.Set(entry.name, toFloat32Array(env, entry.second));
  }
  Napi::Object state = Napi::Object::New(env);
  state.Set("step", double(step));
  state.Set("m", m);
  state.Set("v", v);
  return state;
}

// Every trainable parameter's moments must be present with the right length (second moments >= 0, as AdamW's
// square root needs) and no other names; all of it is read and checked before anything is written, so a rejected
// state leaves the optimizer as it was.
Napi::Value BertModelWrap::setOptimizerState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Call call(*this, env);
  BertModel& model = call.model();
  Napi::Object state = requireObject(env, info[0], "state");
  uint64_t step = readCounter(env, state, "state", "step");
  if (!state.Has("step")) throwTypeError(env, "state.step is missing");
  Napi::Object m = requireObject(env, state.Get("m"), "state.m");
  Napi::Object v = requireObject(env, state.Get("v"), "state.v");

  std::set<std::string> trainable;
  for (const ParameterInfo& p : model.parameters()) {
    if (p.trainable) trainable.insert(p.name);
  }
  for (const auto& [object, label] : {std::pair{m, "state.m"}, std::pair{v, "state.v"}}) {
    Napi::Array keys = object.GetPropertyNames();
    for (uint32_t i = 0; i < keys.Length(); ++i) {
      std::string key = keys.Get(i).ToString().Utf8Value();
      if (!trainable.count(key)) {
        throwRangeError(env, std::string(label) + " has '" + key + "', which is not a trainable parameter");
      }
    }
  }
  std::vector<std::pair<std::string, std::pair<std::vector<float>, std::vector<float>>>> moments;
  for (const ParameterInfo& p : model.parameters()) {
    if (!p.trainable) continue;
    size_t count = elementCount(p);
    std::vector<float> first = readFloat32Array(env, m.Get(p.name), count, "state.m['" + p.name + "']");
    std::vector<float> second = readFloat32Array(env, v.Get(p.name), count, "state.v['" + p.name + "']");
    for (size_t i = 0; i < count; ++i) {
      if (second[i] < 0) throwRangeError(env, "state.v['" + p.name + "'] has a negative value");
    }
    moments.emplace_back(p.name, std::make_pair(std::move(first), std::move(second)));
  }
  call.requireOpen(env);
  return guard(env, [&]() -> Napi::Value {
    for (const auto& [name, pair] : moments) {
      model.setMoment(name, Moment::First, pair.first.data(), pair.first.size());
      model.setMoment(name, Moment::Second, pair.second.data(), pair.second.size());
    }
    model.setOptimizerStep(int64_t(step));
    return env.Undefined();
  });
}

Napi::Value BertModelWrap::nativeBytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(reportedBytes_));
}

Napi::Value BertModelWrap::dispose(const Napi::CallbackInfo& info) {
  disposed_ = true;
  releaseModel();
  return info.Env().Undefined();
}

}  // namespace bertnode::addon
