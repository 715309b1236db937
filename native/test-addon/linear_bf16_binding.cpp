// linear_bf16_binding.h. Every field is fetched once, before any is inspected (a getter can run JS, which could detach
// an array already checked), then lengths are checked in int64 before the kernel reads anything; a bad argument
// throws a TypeError/RangeError with code ERR_BERTNODE_INVALID_ARGUMENT.
#include "test-addon/linear_bf16_binding.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "addon/errors.h"
#include "test-addon/arguments.h"
#include "cpu/linear_bf16.h"
#include "cpu/thread_pool.h"

namespace bertnode::testaddon {
namespace {

constexpr int kMaxThreads = 256;
constexpr int kMaxRepeat = 1000;

struct Fields {
  Napi::Value x, m, k, w, n, bias, residual, gelu, outputs, threads, repeat;
};

constexpr const char* kWhere = "linearBf16.run";

int dimension(Napi::Env env, const Napi::Value& v, const char* key, int64_t max) {
  return testaddon::dimension(env, v, kWhere, key, max);
}

Napi::Float32Array floats(Napi::Env env, const Napi::Value& v, const char* key, int64_t length) {
  return testaddon::floats(env, v, kWhere, key, length);
}

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

Napi::Value Run(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsObject()) {
    addon::throwTypeError(env, "linearBf16.run: expected one options object");
  }
  Napi::Object o = info[0].As<Napi::Object>();
  const Fields f{o.Get("x"),        o.Get("m"),    o.Get("k"),       o.Get("w"),       o.Get("n"),     o.Get("bias"),
                 o.Get("residual"), o.Get("gelu"), o.Get("outputs"), o.Get("threads"), o.Get("repeat")};
  const int m = dimension(env, f.m, "m", 1 << 20);
  const int k = dimension(env, f.k, "k", 1 << 16);
  const int n = dimension(env, f.n, "n", 1 << 16);
  Napi::Float32Array x = floats(env, f.x, "x", int64_t(m) * k);
  Napi::Float32Array w = floats(env, f.w, "w", int64_t(n) * k);
  const float* bias = f.bias.IsUndefined() ? nullptr : floats(env, f.bias, "bias", n).Data();
  const float* residual = f.residual.IsUndefined() ? nullptr : floats(env, f.residual, "residual", int64_t(m) * n).Data();
  if (!f.gelu.IsUndefined() && !f.gelu.IsBoolean()) addon::throwTypeError(env, "linearBf16.run: gelu must be a boolean");
  const bool gelu = f.gelu.IsBoolean() && f.gelu.As<Napi::Boolean>().Value();
  std::string outputs = "fp32";
  if (!f.outputs.IsUndefined()) {
    if (!f.outputs.IsString()) addon::throwTypeError(env, "linearBf16.run: outputs must be a string");
    outputs = f.outputs.As<Napi::String>().Utf8Value();
    if (outputs != "fp32" && outputs != "bf16" && outputs != "both") {
      addon::throwRangeError(env, "linearBf16.run: outputs must be 'fp32', 'bf16' or 'both', got '" + outputs + "'");
    }
  }
  const int threads = f.threads.IsUndefined() ? 0 : dimension(env, f.threads, "threads", kMaxThreads);
  const int repeat = f.repeat.IsUndefined() ? 1 : dimension(env, f.repeat, "repeat", kMaxRepeat);
  const bool wantF32 = outputs != "bf16", wantBf16 = outputs != "fp32";
  Napi::Float32Array y = Napi::Float32Array::New(env, wantF32 ? static_cast<size_t>(m) * n : 0);
  Napi::Float32Array yWide = Napi::Float32Array::New(env, wantBf16 ? static_cast<size_t>(m) * n : 0);
  return addon::guard(env, [&]() -> Napi::Value {
    const int before = cpu::numThreads();
    if (threads > 0) cpu::setNumThreads(threads);
    try {
      std::vector<uint16_t> xb(static_cast<size_t>(m) * k), yb(wantBf16 ? static_cast<size_t>(m) * n : 0);
      cpu::toBf16(xb.data(), x.Data(), int64_t(m) * k);
      const size_t bytes = cpu::packedWeightBf16Bytes(n, k);
      std::unique_ptr<void, FreeDeleter> packed(std::aligned_alloc(64, (bytes + 63) / 64 * 64));
      if (!packed) throw std::bad_alloc();
      cpu::packWeightBf16(packed.get(), w.Data(), n, k);
      Bf16LinearArgs a;
      a.x = xb.data();
      a.packedWeight = packed.get();
      a.bias = bias;
      a.residual = residual;
      a.y = wantF32 ? y.Data() : nullptr;
      a.yBf16 = wantBf16 ? yb.data() : nullptr;
      a.rows = m;
      a.in = k;
      a.out = n;
      a.gelu = gelu;
      for (int i = 0; i < repeat; ++i) cpu::linearBf16(a);
      for (size_t i = 0; i < yb.size(); ++i) {
        const uint32_t bits = uint32_t(yb[i]) << 16;
        std::memcpy(yWide.Data() + i, &bits, sizeof(bits));
      }
    } catch (...) {
      cpu::setNumThreads(before);
      throw;
    }
    cpu::setNumThreads(before);
    Napi::Object result = Napi::Object::New(env);
    if (wantF32) result.Set("y", y);
    if (wantBf16) result.Set("yBf16", yWide);
    return result;
  });
}

Napi::Value Supported(const Napi::CallbackInfo& info) {
  return addon::guard(info.Env(), [&]() -> Napi::Value {
    return Napi::Boolean::New(info.Env(), cpu::linearBf16Supported());
  });
}

}  // namespace

void registerLinearBf16(Napi::Env env, Napi::Object exports) {
  Napi::Object binding = Napi::Object::New(env);
  binding.Set("run", Napi::Function::New(env, Run, "run"));
  binding.Set("supported", Napi::Function::New(env, Supported, "supported"));
  exports.Set("linearBf16", binding);
}

}  // namespace bertnode::testaddon
