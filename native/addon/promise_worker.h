// An AsyncWorker that settles a Promise: Run() does the work on a libuv worker thread (no JS access there),
// Result() builds the JS value on the JS thread. Engine exceptions thrown by Run() reject the Promise with a coded
// JS error (errors.h), so a C++ failure is always a rejected Promise, never an abort.
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
  // Called on the JS thread after the Promise settled either way (releases whatever the worker held).
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
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    Finished();
    try {
      deferred_.Resolve(Result(env));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }

  void OnError(const Napi::Error&) final {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    Finished();
    ErrorKind kind = code_ == kInvalidArgument ? ErrorKind::Range : ErrorKind::Plain;
    deferred_.Reject(makeError(env, kind, code_, message_).Value());
  }

  Napi::Promise::Deferred deferred_;
  const char* code_ = kNative;
  std::string message_;
};

}  // namespace bertnode::addon
