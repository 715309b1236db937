// BertModelWrap: the JS class `BertModel` of the addon, one native BertModel per instance (typed in
// lib/native/addon.ts as RawModel), on the backend options.device/options.precision name (model/backend_factory.h).
//
// Every call begins the same way (Call in model_wrap.cpp): it checks the model is neither disposed nor busy, marks it
// busy and takes a share of the native model *before* it reads any argument. Reading arguments can run user
// JavaScript (getters, proxies, setters on Object.prototype while a result is filled in); because the model is
// already busy, that code cannot start a second call on it (ERR_BERTNODE_BUSY), and because the call holds its
// own share, a dispose() from that code cannot free the memory under it. After the arguments are read the call
// checks disposal again (ERR_BERTNODE_DISPOSED). Results are copied to host memory before any JS object is built.
//
// Long calls (forward, trainStep, accumulateGradients, applyOptimizer, frozenPrefix) copy and validate their
// inputs on the JS thread, then run in an AsyncWorker that holds a reference on this object (so it cannot be
// collected while the worker runs) and settle a Promise; the busy mark passes to the worker and is cleared when it
// finishes. One model runs one call at a time: every other call is refused with ERR_BERTNODE_BUSY meanwhile
// (lib/native queues calls, so users of NativeBert never see it).
// dispose() (or the finalizer, or the environment's teardown at process exit) drops this object's share, and the
// memory goes when the call, if any, has finished with it — never under its feet. The bytes of parameters,
// gradients and moments are reported to V8 so its GC sees what a model costs.
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

  // The busy mark (see above): beginCall throws ERR_BERTNODE_DISPOSED after dispose() and ERR_BERTNODE_BUSY while
  // another call runs, else marks the model busy and returns a share of it; endCall clears the mark.
  std::shared_ptr<BertModel> beginCall(Napi::Env env);
  // endCall also brings the external memory reported to V8 up to what the model holds now (workspaces and inference
  // copies grow with the calls).
  void endCall();
  bool disposed() const { return disposed_; }

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

  void releaseModel();

  std::shared_ptr<BertModel> model_;
  bool disposed_ = false;
  bool busy_ = false;
  int64_t reportedBytes_ = 0;
};

}  // namespace bertnode::addon
