// BertModelWrap: the JS class `BertModel` of the addon, one native BertModel per instance (typed in
// lib/native/addon.ts as RawModel), on the backend options.device/options.precision name (model/backend_factory.h).
//
// Long calls (forward, trainStep, accumulateGradients, applyOptimizer, frozenPrefix) copy and validate their
// inputs on the JS thread, then run in an AsyncWorker that holds a reference on this object (so it cannot be collected while the
// worker runs) and settle a Promise. One model runs one call at a time: while a worker runs, every other call is
// refused with ERR_BERTNODE_BUSY (lib/native queues calls, so users of NativeBert never see it).
// The native model is shared between this object and a running worker: dispose() (or the finalizer, or the
// environment's teardown at process exit) drops this object's share, and the memory goes when the worker, if any,
// has finished with it — never under its feet. The bytes of parameters, gradients and moments are reported to V8
// so its GC sees what a model costs.
#pragma once

#include <napi.h>

#include <cstdint>
#include <functional>
#include <memory>

#include "model/bert_model.h"

namespace bertnode::addon {

class BertModelWrap : public Napi::ObjectWrap<BertModelWrap> {
 public:
  static Napi::Function define(Napi::Env env);

  explicit BertModelWrap(const Napi::CallbackInfo& info);
  ~BertModelWrap() override;

  // Called by the model's workers on the JS thread when they finish.
  void endCall() { busy_ = false; }

 private:
  Napi::Value parameterNames(const Napi::CallbackInfo& info);
  Napi::Value parameterShape(const Napi::CallbackInfo& info);
  Napi::Value isTrainable(const Napi::CallbackInfo& info);
  Napi::Value setParameter(const Napi::CallbackInfo& info);
  Napi::Value getParameter(const Napi::CallbackInfo& info);
  Napi::Value getGradient(const Napi::CallbackInfo& info);
  Napi::Value forward(const Napi::CallbackInfo& info);
  Napi::Value trainStep(const Napi::CallbackInfo& info);
  Napi::Value accumulateGradients(const Napi::CallbackInfo& info);
  Napi::Value applyOptimizer(const Napi::CallbackInfo& info);
  Napi::Value frozenPrefix(const Napi::CallbackInfo& info);
  Napi::Value getOptimizerState(const Napi::CallbackInfo& info);
  Napi::Value setOptimizerState(const Napi::CallbackInfo& info);
  Napi::Value nativeBytes(const Napi::CallbackInfo& info);
  Napi::Value dispose(const Napi::CallbackInfo& info);

  // Throws ERR_BERTNODE_DISPOSED after dispose() and ERR_BERTNODE_BUSY while a worker runs.
  std::shared_ptr<BertModel> usable(Napi::Env env);
  const ParameterInfo& parameter(Napi::Env env, const Napi::Value& name);
  // Queues a worker that runs `run` on the model off the JS thread and resolves with `result`.
  Napi::Value queue(const char* name, const std::shared_ptr<BertModel>& model, std::function<void(BertModel&)> run,
                    std::function<Napi::Value(Napi::Env)> result);
  void releaseModel();

  std::shared_ptr<BertModel> model_;
  bool disposed_ = false;
  bool busy_ = false;
  int64_t reportedBytes_ = 0;
};

}  // namespace bertnode::addon
