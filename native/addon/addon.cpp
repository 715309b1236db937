// N-API entry point of the bertnode addon: the BertModel class (model_wrap.h), the thread count, the GEMM kernels
// for tests and benchmarks (kernels_binding.h), the engine's finite-difference checks of every backward op, and in
// the CUDA build the CUDA probe and per-op entry (cuda/cuda_exports.h).
#include <napi.h>

#include <memory>
#include <vector>

#include "addon/kernels_binding.h"
#include "addon/model_wrap.h"
#include "addon/errors.h"
#include "addon/promise_worker.h"
#include "addon/validate.h"
#include "cpu/cpu_backend.h"
#include "cpu/thread_pool.h"
#include "model/gradcheck.h"
#ifdef BERTNODE_WITH_CUDA
#include "cuda/cuda_exports.h"
#endif

namespace {

Napi::Value NumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), bertnode::cpu::numThreads());
}

// gradcheckOps() → Promise<{name, maxAbsErr, maxRelErr, tolerance, passed}[]> from native/model/gradcheck.h,
// run on the CPU backend in a worker (it runs whole layers; the event loop must not wait for it).
class GradcheckWorker : public bertnode::addon::PromiseWorker {
 public:
  explicit GradcheckWorker(Napi::Env env) : PromiseWorker(env, "bertnode:gradcheckOps") {}

 protected:
  void Run() override {
    std::shared_ptr<bertnode::Backend> backend = bertnode::cpu::createCpuBackend();
    results_ = bertnode::runGradchecks(*backend);
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Array out = Napi::Array::New(env, results_.size());
    for (size_t i = 0; i < results_.size(); ++i) {
      Napi::Object r = Napi::Object::New(env);
      r.Set("name", results_[i].name);
      r.Set("maxAbsErr", results_[i].maxAbsErr);
      r.Set("maxRelErr", results_[i].maxRelErr);
      r.Set("tolerance", bertnode::kGradcheckTolerance);
      r.Set("passed", results_[i].passed);
      out.Set(uint32_t(i), r);
    }
    return out;
  }

 private:
  std::vector<bertnode::GradcheckResult> results_;
};

Napi::Value GradcheckOps(const Napi::CallbackInfo& info) {
  auto* worker = new GradcheckWorker(info.Env());
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
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
  exports.Set("gradcheckOps", Napi::Function::New(env, GradcheckOps));
  bertnode::addon::registerKernels(env, exports);
#ifdef BERTNODE_WITH_CUDA
  bertnode::cuda::addCudaExports(env, exports);  // only in bertnode_cuda.node (CMake target with CUDA)
#endif
  return exports;
}

}  // namespace

NODE_API_MODULE(bertnode, Init)
