// N-API entry point of bertnode_test.node, the test-only addon (native/test-addon/build.js builds it; npm install
// never does): the entry points that only tests and benchmarks need, kept out of the production addon.
//   gradcheckOps()  the engine's finite-difference checks of every backward op (gradcheck_binding.h)
//   kernels         the raw CPU GEMM kernels (kernels_binding.h)
//   attentionPaths  the composed and the fused attention on the same inputs (attention_binding.h)
//   int8            the raw int8 Linear kernels (int8_binding.h)
//   linearBf16      the bf16-activation Linear kernel (linear_bf16_binding.h)
#include <napi.h>

#include "test-addon/attention_binding.h"
#include "test-addon/gradcheck_binding.h"
#include "test-addon/int8_binding.h"
#include "test-addon/kernels_binding.h"
#include "test-addon/linear_bf16_binding.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("gradcheckOps", Napi::Function::New(env, bertnode::testaddon::gradcheckOps, "gradcheckOps"));
  bertnode::testaddon::registerKernels(env, exports);
  exports.Set("attentionPaths", Napi::Function::New(env, bertnode::testaddon::attentionPaths, "attentionPaths"));
  bertnode::testaddon::registerInt8(env, exports);
  bertnode::testaddon::registerLinearBf16(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(bertnode_test, Init)
