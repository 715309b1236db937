// N-API entry point of the production bertnode addon: the BertModel class (model_wrap.h), the thread count, the
// CPU GEMM family in use, and in the CUDA build the CUDA probe and per-op entry (cuda/cuda_exports.h).
// Entry points that only tests and benchmarks need (gradcheck, raw kernels) live in the test-only addon,
// native/test-addon; test/native/hostile-exports.test.ts holds this file to that.
#include <napi.h>

#include "addon/model_wrap.h"
#include "addon/errors.h"
#include "addon/validate.h"
#include "cpu/gemm_int8.h"
#include "cpu/gemm_kernels.h"
#include "cpu/thread_pool.h"
#ifdef BERTNODE_WITH_CUDA
#include "cuda/cuda_exports.h"
#endif

namespace {

Napi::Value NumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), bertnode::cpu::numThreads());
}

// The CPU GEMM kernel family of precision 'fp32' (default) or 'bf16' (the name checkpoints record); null for 'bf16'
// where there is none; for 'int8', the family of the int8 Linear layers (cpu/gemm_int8.h). Runs continued on another family agree to float32 rounding only (lib/native/addon.ts
// cpuKernelFamily). A bad BERTNODE_CPU_KERNELS throws ERR_BERTNODE_INVALID_ARGUMENT.
Napi::Value GemmActiveIsa(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string precision = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  const bool bf16 = precision == "bf16";
  return bertnode::addon::guard(env, [&]() -> Napi::Value {
    if (precision == "int8") return Napi::String::New(env, bertnode::cpu::int8Family());
    if (!bf16) return Napi::String::New(env, bertnode::cpu::gemm_detail::activeKernelSpec().name);
    const bertnode::cpu::gemm_detail::KernelSpec* spec = bertnode::cpu::gemm_detail::activeBf16KernelSpec();
    return spec ? Napi::Value(Napi::String::New(env, spec->name)) : env.Null();
  });
}

// parameterCatalogue(config, options) → [{name, shape, trainable}]: the parameters a model with these options
// declares (native/model/bert_model.h), without allocating one — what lib/weights reads checkpoints against.
Napi::Value ParameterCatalogue(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bertnode::BertConfig config = bertnode::addon::readConfig(env, info[0]);
  bertnode::BertOptions options = bertnode::addon::readOptions(env, info[1], config);
  return bertnode::addon::guard(env, [&]() -> Napi::Value {
    std::vector<bertnode::ParameterInfo> infos = bertnode::parameterCatalogue(config, options);
    Napi::Array out = Napi::Array::New(env, infos.size());
    for (size_t i = 0; i < infos.size(); ++i) {
      Napi::Object entry = Napi::Object::New(env);
      Napi::Array shape = Napi::Array::New(env, infos[i].shape.size());
      for (size_t k = 0; k < infos[i].shape.size(); ++k) shape.Set(uint32_t(k), double(infos[i].shape[k]));
      entry.Set("name", infos[i].name);
      entry.Set("shape", shape);
      entry.Set("trainable", infos[i].trainable);
      out.Set(uint32_t(i), entry);
    }
    return out;
  });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("BertModel", bertnode::addon::BertModelWrap::define(env));
  exports.Set("numThreads", Napi::Function::New(env, NumThreads));
  exports.Set("parameterCatalogue", Napi::Function::New(env, ParameterCatalogue));
  Napi::Object kernels = Napi::Object::New(env);
  kernels.Set("gemmActiveIsa", Napi::Function::New(env, GemmActiveIsa, "gemmActiveIsa"));
  exports.Set("kernels", kernels);
#ifdef BERTNODE_WITH_CUDA
  bertnode::cuda::addCudaExports(env, exports);  // only in bertnode_cuda.node (CMake target with CUDA)
#endif
  return exports;
}

}  // namespace

NODE_API_MODULE(bertnode, Init)
