// N-API entry point of the bertnode addon.
#include <napi.h>

#include "cpu/thread_pool.h"

namespace {

Napi::Value NumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), bertnode::cpu::numThreads());
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("numThreads", Napi::Function::New(env, NumThreads));
  return exports;
}

}  // namespace

NODE_API_MODULE(bertnode, Init)
