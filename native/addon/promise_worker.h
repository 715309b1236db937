// An AsyncWorker that settles a Promise: Run() does the work on a libuv worker thread (no JS access there),
// Result() builds the JS value on the JS thread. Engine exceptions thrown by Run() reject the Promise with a coded
// JS error (errors.h), so a C++ failure is always a rejected Promise, never an abort.
//
// The environment may be gone by the time the work finishes: a worker_threads Worker that calls process.exit() or
// is terminated with a call in flight still gets this completion, during its teardown, when no JS can run. Then
// every N-API call that needs JS (creating the result, settling the Promise) fails and node-addon-api throws
// Napi::Error; thrown out of the completion callback that would be std::terminate for the whole process. So
// settling is wrapped: if it fails while the environment cannot run JS, the result is dropped with the Promise,
// which nobody can observe any more.
#pragma once

#include <napi.h>

#include <string>

#include "addon/errors.h"

namespace bertnode::addon {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, const char* resourceName)
      : Napi::AsyncWorker(env, resourceName), deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise promise() const { return deferred_.Promise(); }

 protected:
  virtual void Run() = 0;
  virtual Napi::Value Result(Napi::Env env) = 0;
  // Called on the JS thread when the work is over, before the Promise settles (releases whatever the worker held);
  // also during the environment's teardown, where nothing else runs.
  virtual void Finished() {}

 private:
  void Execute() final {
    try {
      Run();
    } catch (...) {
      code_ = codeOfCurrentException(message_);
      SetError(message_);
    }
  }

  void OnOK() final {
    settle([this](Napi::Env env) {
      try {
        deferred_.Resolve(Result(env));
      } catch (const Napi::Error& e) {
        deferred_.Reject(e.Value());
      }
    });
  }

  void OnError(const Napi::Error&) final {
    settle([this](Napi::Env env) {
      ErrorKind kind = code_ == kInvalidArgument ? ErrorKind::Range : ErrorKind::Plain;
      deferred_.Reject(makeError(env, kind, code_, message_).Value());
    });
  }

  template <typename Settle>
  void settle(Settle settleWith) {
    Finished();
    Napi::Env env = Env();
    try {
      Napi::HandleScope scope(env);
      settleWith(env);
    } catch (const Napi::Error&) {
      // Only an environment that can no longer run JS makes Resolve/Reject themselves fail (a failing Result() was
      // turned into a rejection above). The exception node-addon-api left pending, if any, goes with it.
      napi_value ignored;
      napi_get_and_clear_last_exception(env, &ignored);
    }
  }

  Napi::Promise::Deferred deferred_;
  const char* code_ = kNative;
  std::string message_;
};

}  // namespace bertnode::addon
