// int8_binding.h. Every field is fetched once, before any is inspected (a getter can run JS, which could detach an
// array already checked), then sizes and lengths are checked in int64 (each factor is below 2^31) before the kernel
// reads anything; a bad argument throws a TypeError/RangeError with code ERR_BERTNODE_INVALID_ARGUMENT.
#include "test-addon/int8_binding.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "addon/errors.h"
#include "test-addon/arguments.h"
#include "cpu/gemm_int8.h"
#include "cpu/thread_pool.h"

namespace bertnode::testaddon {
namespace {

constexpr int kMaxThreads = 256;
constexpr int kMaxRepeat = 1000;

struct Fields {
  Napi::Value x, m, k, w, n, bias, family, threads, repeat;
};

constexpr const char* kWhere = "int8.linear";

int dimension(Napi::Env env, const Napi::Value& v, const char* key, int64_t max) {
  return testaddon::dimension(env, v, kWhere, key, max);
}

Napi::Float32Array floats(Napi::Env env, const Napi::Value& v, const char* key, int64_t length) {
  return testaddon::floats(env, v, kWhere, key, length);
}

Napi::Value Linear(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsObject()) addon::throwTypeError(env, "int8.linear: expected one options object");
  Napi::Object o = info[0].As<Napi::Object>();
  const Fields f{o.Get("x"), o.Get("m"), o.Get("k"), o.Get("w"), o.Get("n"), o.Get("bias"), o.Get("family"),
                 o.Get("threads"), o.Get("repeat")};
  const int m = dimension(env, f.m, "m", 1 << 20);
  const int k = dimension(env, f.k, "k", cpu::kInt8MaxK);
  const int n = dimension(env, f.n, "n", 1 << 20);
  Napi::Float32Array x = floats(env, f.x, "x", int64_t(m) * k);
  Napi::Float32Array w = floats(env, f.w, "w", int64_t(n) * k);
  const float* bias = nullptr;
  if (!f.bias.IsUndefined()) bias = floats(env, f.bias, "bias", n).Data();
  std::string family;
  if (!f.family.IsUndefined()) {
    if (!f.family.IsString()) addon::throwTypeError(env, "int8.linear: family must be a string");
    family = f.family.As<Napi::String>().Utf8Value();
  }
  const int threads = f.threads.IsUndefined() ? 0 : dimension(env, f.threads, "threads", kMaxThreads);
  const int repeat = f.repeat.IsUndefined() ? 1 : dimension(env, f.repeat, "repeat", kMaxRepeat);
  Napi::Float32Array y = Napi::Float32Array::New(env, static_cast<size_t>(m) * n);
  return addon::guard(env, [&]() -> Napi::Value {
    const cpu::Int8Weights weights = cpu::quantizeWeights(w.Data(), n, k);
    const int before = cpu::numThreads();
    if (threads > 0) cpu::setNumThreads(threads);
    try {
      for (int i = 0; i < repeat; ++i) {
        if (family.empty()) {
          cpu::linearInt8(weights, x.Data(), m, bias, y.Data());
        } else {
          cpu::int8_detail::linearInt8With(family, weights, x.Data(), m, bias, y.Data());
        }
      }
    } catch (...) {
      cpu::setNumThreads(before);
      throw;
    }
    cpu::setNumThreads(before);
    return y;
  });
}

Napi::Value Families(const Napi::CallbackInfo& info) {
  Napi::Array names = Napi::Array::New(info.Env());
  uint32_t count = 0;
  for (const char* family : {"amx", "avx512vnni", "scalar"}) {
    if (cpu::int8_detail::int8FamilyAvailable(family)) names.Set(count++, Napi::String::New(info.Env(), family));
  }
  return names;
}

Napi::Value ActiveFamily(const Napi::CallbackInfo& info) {
  return addon::guard(info.Env(), [&]() -> Napi::Value { return Napi::String::New(info.Env(), cpu::int8Family()); });
}

}  // namespace

void registerInt8(Napi::Env env, Napi::Object exports) {
  Napi::Object int8 = Napi::Object::New(env);
  int8.Set("linear", Napi::Function::New(env, Linear, "linear"));
  int8.Set("families", Napi::Function::New(env, Families, "families"));
  int8.Set("activeFamily", Napi::Function::New(env, ActiveFamily, "activeFamily"));
  exports.Set("int8", int8);
}

}  // namespace bertnode::testaddon
