#include "test-addon/gradcheck_binding.h"

#include <memory>
#include <vector>

#include "addon/promise_worker.h"
#include "cpu/cpu_backend.h"
#include "model/gradcheck.h"

namespace bertnode::testaddon {
namespace {

// Runs in a worker: the checks run whole layers, and the event loop must not wait for them.
class GradcheckWorker : public addon::PromiseWorker {
 public:
  explicit GradcheckWorker(Napi::Env env) : PromiseWorker(env, "bertnode:gradcheckOps") {}

 protected:
  void Run() override {
    std::shared_ptr<Backend> backend = cpu::createCpuBackend();
    results_ = runGradchecks(*backend);
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Array out = Napi::Array::New(env, results_.size());
    for (size_t i = 0; i < results_.size(); ++i) {
      Napi::Object r = Napi::Object::New(env);
      r.Set("name", results_[i].name);
      r.Set("maxAbsErr", results_[i].maxAbsErr);
      r.Set("maxRelErr", results_[i].maxRelErr);
      r.Set("tolerance", kGradcheckTolerance);
      r.Set("passed", results_[i].passed);
      out.Set(uint32_t(i), r);
    }
    return out;
  }

 private:
  std::vector<GradcheckResult> results_;
};

}  // namespace

Napi::Value gradcheckOps(const Napi::CallbackInfo& info) {
  auto* worker = new GradcheckWorker(info.Env());
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

}  // namespace bertnode::testaddon
