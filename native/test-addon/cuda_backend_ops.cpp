// N-API entry point of bertnode_cuda_test.node, the test-only CUDA addon (CMake target bertnode_cuda_test, built by
// `node scripts/build-cuda.js --tests`; the emulated build: test/cuda-emulation/build.ts). Users never build it.
//
//   runBackendOp(device, precision, op, tensors, params) -> { [name]: Float32Array | Int32Array }
//       Synchronous: uploads every typed array of `tensors` to a fresh buffer of the backend for `device` ('cpu' or
//       'cuda[:N]'), runs the Backend op named `op` (model/backend.h; arguments by parameter name from `tensors` —
//       a missing tensor is a null pointer — and `params`), and returns every tensor downloaded again, so outputs
//       and accumulated gradients come back under their own names. test/cuda and scripts/gpu-check run each op on
//       both devices and compare. The sizes are the caller's word, unchecked (it takes raw pointers-and-strides
//       arguments, as the Backend does): that is why it is not in the production addon. Backends are created once
//       per (device, precision) and freed with the environment.
#include <napi.h>

#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/backend_factory.h"
#include "model/scatter_plan.h"

namespace bertnode::testaddon {
namespace {

Napi::Error codedError(Napi::Env env, const std::string& message, const char* code) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  return error;
}

// Backends cached per "device/precision" for the life of the JS environment (creating a cuBLAS handle per call
// would dominate the tests); cleared by an environment cleanup hook, before the CUDA runtime unloads.
using BackendCache = std::map<std::string, std::shared_ptr<Backend>>;

// The op's arguments: device copies of the JS tensors by name, and the numeric params.
class OpArguments {
 public:
  OpArguments(Backend& backend, const Napi::Object& params) : backend_(backend), params_(params) {}
  ~OpArguments() {
    for (auto& entry : tensors_) backend_.release(entry.second.device);
    for (void* plan : plans_) backend_.release(plan);
  }
  OpArguments(const OpArguments&) = delete;
  OpArguments& operator=(const OpArguments&) = delete;

  void upload(const std::string& name, const Napi::TypedArray& array) {
    Tensor tensor;
    tensor.isInt = array.TypedArrayType() == napi_int32_array;
    tensor.bytes = array.ByteLength();
    tensor.device = backend_.alloc(tensor.bytes);
    tensors_[name] = tensor;
    const auto* data = static_cast<const uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
    backend_.upload(tensor.device, data, tensor.bytes);
  }

  float* f(const char* name) { return static_cast<float*>(pointer(name, false)); }
  int32_t* i(const char* name) { return static_cast<int32_t*>(pointer(name, true)); }

  double number(const char* name) {
    Napi::Value value = params_.Get(name);
    if (!value.IsNumber()) throw std::invalid_argument(std::string("missing numeric param '") + name + "'");
    return value.As<Napi::Number>().DoubleValue();
  }
  int integer(const char* name) { return static_cast<int>(number(name)); }
  float real(const char* name) { return static_cast<float>(number(name)); }
  bool flag(const char* name) { return number(name) != 0.0; }

  // The ScatterPlan (model/backend.h) of Int32Array `name` (an embedding backward's ids or token types), built on
  // the host from its values as the model builds it, and uploaded for this call; an empty plan when it is absent.
  ScatterPlan scatterPlan(const char* name) {
    const int32_t* device = i(name);
    if (!device) return ScatterPlan{};
    std::vector<int32_t> keys(tensors_[name].bytes / sizeof(int32_t));
    backend_.download(keys.data(), device, keys.size() * sizeof(int32_t));
    ScatterPlanBuilder planner;
    planner.build(keys.data(), static_cast<int>(keys.size()));
    size_t bytes = planner.image().size() * sizeof(int32_t);
    plans_.push_back(backend_.alloc(bytes));
    backend_.upload(plans_.back(), planner.image().data(), bytes);
    return planner.on(static_cast<const int32_t*>(plans_.back()));
  }

  Napi::Object download(Napi::Env env) {
    Napi::Object result = Napi::Object::New(env);
    for (auto& entry : tensors_) {
      const Tensor& tensor = entry.second;
      Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, tensor.bytes);
      backend_.download(buffer.Data(), tensor.device, tensor.bytes);
      if (tensor.isInt)
        result.Set(entry.first, Napi::Int32Array::New(env, tensor.bytes / 4, buffer, 0));
      else
        result.Set(entry.first, Napi::Float32Array::New(env, tensor.bytes / 4, buffer, 0));
    }
    return result;
  }

 private:
  struct Tensor {
    void* device = nullptr;
    size_t bytes = 0;
    bool isInt = false;
  };

  void* pointer(const char* name, bool wantInt) {
    auto found = tensors_.find(name);
    if (found == tensors_.end()) return nullptr;
    if (found->second.isInt != wantInt)
      throw std::invalid_argument(std::string("tensor '") + name + "' must be " +
                                  (wantInt ? "an Int32Array" : "a Float32Array"));
    return found->second.device;
  }

  Backend& backend_;
  Napi::Object params_;
  std::map<std::string, Tensor> tensors_;
  std::vector<void*> plans_;
};

using OpRunner = std::function<void(Backend&, OpArguments&)>;

// Every op of model/backend.h except the memory functions, with its arguments named as in the header.
const std::unordered_map<std::string, OpRunner>& opTable() {
  static const std::unordered_map<std::string, OpRunner> table = {
      {"gemm",
       [](Backend& b, OpArguments& a) {
         b.gemm(a.flag("transA"), a.flag("transB"), a.integer("M"), a.integer("N"), a.integer("K"), a.real("alpha"),
                a.f("A"), a.integer("lda"), a.f("B"), a.integer("ldb"), a.real("beta"), a.f("C"), a.integer("ldc"));
       }},
      {"gemmStridedBatched",
       [](Backend& b, OpArguments& a) {
         b.gemmStridedBatched(a.flag("transA"), a.flag("transB"), a.integer("M"), a.integer("N"), a.integer("K"),
                              a.real("alpha"), a.f("A"), a.integer("lda"), static_cast<int64_t>(a.number("strideA")),
                              a.f("B"), a.integer("ldb"), static_cast<int64_t>(a.number("strideB")), a.real("beta"),
                              a.f("C"), a.integer("ldc"), static_cast<int64_t>(a.number("strideC")),
                              a.integer("batch"));
       }},
      {"embeddingsForward",
       [](Backend& b, OpArguments& a) {
         b.embeddingsForward(a.f("out"), a.i("ids"), a.i("typeIds"), a.f("word"), a.f("position"), a.f("tokenType"),
                             a.integer("B"), a.integer("T"), a.integer("H"));
       }},
      {"embeddingsBackward",
       [](Backend& b, OpArguments& a) {
         b.embeddingsBackward(a.f("dWord"), a.f("dPosition"), a.f("dTokenType"), a.f("dOut"), a.scatterPlan("ids"),
                              a.scatterPlan("typeIds"), a.integer("B"), a.integer("T"), a.integer("H"));
       }},
      {"layerNormForward",
       [](Backend& b, OpArguments& a) {
         b.layerNormForward(a.f("out"), a.f("mean"), a.f("rstd"), a.f("in"), a.f("gamma"), a.f("beta"),
                            a.integer("N"), a.integer("C"), a.real("eps"));
       }},
      {"dropoutAddLayerNorm",
       [](Backend& b, OpArguments& a) {
         b.dropoutAddLayerNorm(a.f("out"), a.f("residual"), a.f("mean"), a.f("rstd"), a.f("branch"), a.f("in"),
                               a.f("gamma"), a.f("beta"), a.integer("N"), a.integer("C"), a.real("eps"), a.real("p"),
                               static_cast<uint64_t>(a.number("seed")), static_cast<uint64_t>(a.number("step")),
                               static_cast<uint32_t>(a.number("site")));
       }},
      {"layerNormBackward",
       [](Backend& b, OpArguments& a) {
         b.layerNormBackward(a.f("dIn"), a.f("dGamma"), a.f("dBeta"), a.f("dOut"), a.f("in"), a.f("gamma"),
                             a.f("mean"), a.f("rstd"), a.integer("N"), a.integer("C"));
       }},
      {"addBias", [](Backend& b, OpArguments& a) { b.addBias(a.f("x"), a.f("bias"), a.integer("N"), a.integer("C")); }},
      {"biasBackward",
       [](Backend& b, OpArguments& a) { b.biasBackward(a.f("dBias"), a.f("dOut"), a.integer("N"), a.integer("C")); }},
      {"add", [](Backend& b, OpArguments& a) { b.add(a.f("out"), a.f("a"), a.f("b"), a.integer("n")); }},
      {"multiply", [](Backend& b, OpArguments& a) { b.multiply(a.f("out"), a.f("a"), a.f("b"), a.integer("n")); }},
      {"scale", [](Backend& b, OpArguments& a) { b.scale(a.f("x"), a.real("alpha"), a.integer("n")); }},
      {"geluForward", [](Backend& b, OpArguments& a) { b.geluForward(a.f("out"), a.f("in"), a.integer("n")); }},
      {"geluBackward",
       [](Backend& b, OpArguments& a) { b.geluBackward(a.f("dIn"), a.f("dOut"), a.f("in"), a.integer("n")); }},
      {"geluForwardWithDerivative",
       [](Backend& b, OpArguments& a) {
         b.geluForwardWithDerivative(a.f("out"), a.f("derivative"), a.f("in"), a.integer("n"));
       }},
      {"tanhForward", [](Backend& b, OpArguments& a) { b.tanhForward(a.f("out"), a.f("in"), a.integer("n")); }},
      {"tanhBackward",
       [](Backend& b, OpArguments& a) { b.tanhBackward(a.f("dIn"), a.f("dOut"), a.f("out"), a.integer("n")); }},
      {"sumOfSquares", [](Backend& b, OpArguments& a) { b.sumOfSquares(a.f("result"), a.f("x"), a.integer("n")); }},
      {"splitHeads",
       [](Backend& b, OpArguments& a) {
         b.splitHeads(a.f("out"), a.f("in"), a.integer("B"), a.integer("T"), a.integer("NH"), a.integer("D"));
       }},
      {"mergeHeads",
       [](Backend& b, OpArguments& a) {
         b.mergeHeads(a.f("out"), a.f("in"), a.integer("B"), a.integer("T"), a.integer("NH"), a.integer("D"));
       }},
      {"attentionSoftmaxForward",
       [](Backend& b, OpArguments& a) {
         b.attentionSoftmaxForward(a.f("probs"), a.f("scores"), a.i("mask"), a.real("scale"), a.integer("B"),
                                   a.integer("NH"), a.integer("Q"), a.integer("T"));
       }},
      {"attentionSoftmaxBackward",
       [](Backend& b, OpArguments& a) {
         b.attentionSoftmaxBackward(a.f("dScores"), a.f("dProbs"), a.f("probs"), a.real("scale"), a.integer("B"),
                                    a.integer("NH"), a.integer("Q"), a.integer("T"));
       }},
      {"dropout",
       [](Backend& b, OpArguments& a) {
         b.dropout(a.f("out"), a.f("in"), static_cast<int64_t>(a.number("n")), a.real("p"),
                   static_cast<uint64_t>(a.number("seed")), static_cast<uint64_t>(a.number("step")),
                   static_cast<uint32_t>(a.number("site")));
       }},
      {"dropoutRows",
       [](Backend& b, OpArguments& a) {
         b.dropoutRows(a.f("out"), a.f("in"), a.integer("rows"), a.integer("C"),
                       static_cast<int64_t>(a.number("counterRowStride")), a.real("p"),
                       static_cast<uint64_t>(a.number("seed")), static_cast<uint64_t>(a.number("step")),
                       static_cast<uint32_t>(a.number("site")));
       }},
      {"gatherClsRows",
       [](Backend& b, OpArguments& a) {
         b.gatherClsRows(a.f("out"), a.f("in"), a.integer("B"), a.integer("T"), a.integer("H"));
       }},
      {"scatterClsRows",
       [](Backend& b, OpArguments& a) {
         b.scatterClsRows(a.f("dIn"), a.f("dOut"), a.integer("B"), a.integer("T"), a.integer("H"));
       }},
      {"crossEntropyForward",
       [](Backend& b, OpArguments& a) {
         b.crossEntropyForward(a.f("losses"), a.f("probs"), a.f("logits"), a.i("labels"), a.integer("B"),
                               a.integer("C"));
       }},
      {"crossEntropyBackward",
       [](Backend& b, OpArguments& a) {
         b.crossEntropyBackward(a.f("dLogits"), a.f("probs"), a.i("labels"), a.real("scale"), a.integer("B"),
                                a.integer("C"));
       }},
      {"bceWithLogitsForward",
       [](Backend& b, OpArguments& a) {
         b.bceWithLogitsForward(a.f("losses"), a.f("logits"), a.f("targets"), a.integer("n"));
       }},
      {"bceWithLogitsBackward",
       [](Backend& b, OpArguments& a) {
         b.bceWithLogitsBackward(a.f("dLogits"), a.f("logits"), a.f("targets"), a.real("scale"), a.integer("n"));
       }},
      {"squaredErrorForward",
       [](Backend& b, OpArguments& a) { b.squaredErrorForward(a.f("losses"), a.f("x"), a.f("y"), a.integer("n")); }},
      {"squaredErrorBackward",
       [](Backend& b, OpArguments& a) {
         b.squaredErrorBackward(a.f("dX"), a.f("x"), a.f("y"), a.real("scale"), a.integer("n"));
       }},
      {"maskedMeanPool",
       [](Backend& b, OpArguments& a) {
         b.maskedMeanPool(a.f("out"), a.f("in"), a.i("mask"), a.integer("B"), a.integer("T"), a.integer("H"));
       }},
      {"l2NormalizeRows",
       [](Backend& b, OpArguments& a) { b.l2NormalizeRows(a.f("x"), a.integer("N"), a.integer("C")); }},
      {"adamwUpdate",
       [](Backend& b, OpArguments& a) {
         b.adamwUpdate(a.f("param"), a.f("grad"), a.f("m"), a.f("v"), static_cast<int64_t>(a.number("n")),
                       a.real("lr"), a.real("beta1"), a.real("beta2"), a.real("eps"), a.real("weightDecay"),
                       a.real("gradScale"), a.real("biasCorrection1"), a.real("biasCorrection2"));
       }},
  };
  return table;
}

Napi::Value RunBackendOpJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5 || !info[0].IsString() || !info[1].IsString() || !info[2].IsString() ||
      !info[3].IsObject() || !info[4].IsObject())
    throw codedError(env, "runBackendOp(device, precision, op, tensors, params): bad arguments",
                     "ERR_BERTNODE_INVALID_ARGUMENT");
  std::string device = info[0].As<Napi::String>();
  std::string precision = info[1].As<Napi::String>();
  std::string op = info[2].As<Napi::String>();
  Napi::Object tensors = info[3].As<Napi::Object>();
  Napi::Object params = info[4].As<Napi::Object>();
  auto* cache = env.GetInstanceData<BackendCache>();
  try {
    auto runner = opTable().find(op);
    if (runner == opTable().end()) throw std::invalid_argument("unknown backend op '" + op + "'");
    std::string key = device + "/" + precision;
    std::shared_ptr<Backend>& backend = (*cache)[key];
    if (!backend) backend = createBackend(parseBackendOptions(device, precision));
    OpArguments arguments(*backend, params);
    Napi::Array names = tensors.GetPropertyNames();
    for (uint32_t k = 0; k < names.Length(); ++k) {
      std::string name = names.Get(k).As<Napi::String>();
      Napi::Value value = tensors.Get(name);
      if (!value.IsTypedArray()) throw std::invalid_argument("tensor '" + name + "' is not a typed array");
      Napi::TypedArray array = value.As<Napi::TypedArray>();
      if (array.TypedArrayType() != napi_float32_array && array.TypedArrayType() != napi_int32_array)
        throw std::invalid_argument("tensor '" + name + "' must be a Float32Array or an Int32Array");
      arguments.upload(name, array);
    }
    runner->second(*backend, arguments);
    return arguments.download(env);
  } catch (const BackendUnavailableError& e) {
    throw codedError(env, e.what(), "ERR_BERTNODE_NO_CUDA");
  } catch (const std::invalid_argument& e) {
    throw codedError(env, e.what(), "ERR_BERTNODE_INVALID_ARGUMENT");
  } catch (const std::exception& e) {
    throw codedError(env, e.what(), "ERR_BERTNODE_NATIVE");
  }
}

}  // namespace
}  // namespace bertnode::testaddon

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  using namespace bertnode::testaddon;
  // The environment owns the cache and deletes it at teardown (node-addon-api's default instance-data finalizer).
  env.SetInstanceData<BackendCache>(new BackendCache());
  exports.Set("runBackendOp", Napi::Function::New(env, RunBackendOpJs, "runBackendOp"));
  return exports;
}

}  // namespace

NODE_API_MODULE(bertnode_cuda_test, Init)
