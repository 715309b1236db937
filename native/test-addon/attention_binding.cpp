#include "test-addon/attention_binding.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "addon/errors.h"
#include "cpu/cpu_backend.h"
#include "cpu/gemm.h"
#include "model/attention.h"

namespace bertnode::testaddon {
namespace {

// The largest [B,NH,T,T] the composed path may allocate here (1 GiB of fp32): a test's shapes stay far below it.
constexpr double kMaxProbabilities = double(1 << 28);

// Every field fetched once, before any is inspected: a getter runs JS, which could detach an array already checked.
class Args {
 public:
  explicit Args(const Napi::CallbackInfo& info) : env_(info.Env()) {
    if (info.Length() != 1 || !info[0].IsObject()) addon::throwTypeError(env_, "attentionPaths: expected one object");
    Napi::Object obj = info[0].As<Napi::Object>();
    for (const char* key : kKeys) values_.emplace_back(key, obj.Get(key));
  }

  double integer(const char* key, double lo, double hi) {
    Napi::Value v = get(key);
    if (!v.IsNumber()) addon::throwTypeError(env_, where(key) + " must be a number");
    double d = v.As<Napi::Number>().DoubleValue();
    if (!(d >= lo && d <= hi) || d != std::floor(d)) {
      addon::throwRangeError(env_, where(key) + " must be an integer in [" + std::to_string(lo) + ", " +
                                       std::to_string(hi) + "]");
    }
    return d;
  }

  float probability(const char* key) {
    Napi::Value v = get(key);
    if (!v.IsNumber()) addon::throwTypeError(env_, where(key) + " must be a number");
    double d = v.As<Napi::Number>().DoubleValue();
    if (!(d >= 0.0 && d < 1.0)) addon::throwRangeError(env_, where(key) + " must be in [0, 1)");
    return static_cast<float>(d);
  }

  bool bf16() {
    Napi::Value v = get("precision");
    std::string name = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
    if (name != "fp32" && name != "bf16") addon::throwTypeError(env_, where("precision") + " must be 'fp32' or 'bf16'");
    if (name == "bf16" && !cpu::bf16GemmSupported()) {
      addon::throwRangeError(env_, "attentionPaths: this CPU has no bf16 GEMM family");
    }
    return name == "bf16";
  }

  // A typed array of exactly `count` elements, copied out (the caller's array is not touched again).
  template <typename TypedArray, typename T>
  std::vector<T> array(const char* key, napi_typedarray_type type, const char* typeName, size_t count) {
    Napi::Value v = get(key);
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type) {
      addon::throwTypeError(env_, where(key) + " must be a " + typeName);
    }
    TypedArray a = v.As<TypedArray>();
    if (a.ElementLength() != count) {
      addon::throwRangeError(env_, where(key) + " has " + std::to_string(a.ElementLength()) + " elements, the shape needs " +
                                       std::to_string(count));
    }
    return std::vector<T>(a.Data(), a.Data() + count);
  }

 private:
  static constexpr const char* kKeys[] = {"B", "NH", "T", "D", "q", "k", "v", "dContext", "mask", "p", "seed",
                                          "step", "site", "precision"};

  Napi::Value get(const char* key) const {
    for (const auto& [name, value] : values_) {
      if (std::string(name) == key) return value;
    }
    return Napi::Value();  // unreachable: only kKeys are asked for
  }
  std::string where(const char* key) const { return std::string("attentionPaths: ") + key; }

  Napi::Env env_;
  std::vector<std::pair<const char*, Napi::Value>> values_;
};

// Backend buffers of one call, released together.
class Buffers {
 public:
  explicit Buffers(Backend& be) : be_(be) {}
  ~Buffers() {
    for (void* p : owned_) be_.release(p);
  }
  Buffers(const Buffers&) = delete;
  Buffers& operator=(const Buffers&) = delete;

  template <typename T>
  T* make(size_t count, const T* from = nullptr) {
    void* p = be_.alloc(sizeof(T) * count);
    owned_.push_back(p);
    if (from) be_.upload(p, from, sizeof(T) * count);
    return static_cast<T*>(p);
  }

 private:
  Backend& be_;
  std::vector<void*> owned_;
};

struct Results {
  std::vector<float> context, dq, dk, dv;
};

Napi::Object toObject(Napi::Env env, const Results& r) {
  Napi::Object out = Napi::Object::New(env);
  auto put = [&](const char* name, const std::vector<float>& data) {
    Napi::Float32Array a = Napi::Float32Array::New(env, data.size());
    std::copy(data.begin(), data.end(), a.Data());
    out.Set(name, a);
  };
  put("context", r.context);
  put("dq", r.dq);
  put("dk", r.dk);
  put("dv", r.dv);
  return out;
}

}  // namespace

Napi::Value attentionPaths(const Napi::CallbackInfo& info) {
  return addon::guard(info.Env(), [&]() -> Napi::Value {
    Args args(info);
    const int B = static_cast<int>(args.integer("B", 1, 4096)), NH = static_cast<int>(args.integer("NH", 1, 256));
    const int T = static_cast<int>(args.integer("T", 1, 4096)), D = static_cast<int>(args.integer("D", 1, 1024));
    if (double(B) * NH * T * T > kMaxProbabilities || double(B) * T * NH * D > kMaxProbabilities) {
      addon::throwRangeError(info.Env(), "attentionPaths: the shape is too large for a test");
    }
    const size_t rows = size_t(B) * T * NH * D, probabilities = size_t(B) * NH * T * T;
    const std::vector<float> q = args.array<Napi::Float32Array, float>("q", napi_float32_array, "Float32Array", rows);
    const std::vector<float> k = args.array<Napi::Float32Array, float>("k", napi_float32_array, "Float32Array", rows);
    const std::vector<float> v = args.array<Napi::Float32Array, float>("v", napi_float32_array, "Float32Array", rows);
    const std::vector<float> dContext =
        args.array<Napi::Float32Array, float>("dContext", napi_float32_array, "Float32Array", rows);
    const std::vector<int32_t> mask =
        args.array<Napi::Int32Array, int32_t>("mask", napi_int32_array, "Int32Array", size_t(B) * T);
    const AttentionDropout drop{args.probability("p"), static_cast<uint64_t>(args.integer("seed", 0, 9007199254740991.0)),
                                static_cast<uint64_t>(args.integer("step", 0, 4294967295.0)),
                                static_cast<uint32_t>(args.integer("site", 0, 4294967295.0))};
    const bool bf16 = args.bf16();

    std::shared_ptr<Backend> backend = cpu::createCpuBackend(bf16 ? GemmPrecision::Bf16 : GemmPrecision::Fp32);
    Backend& be = *backend;
    Buffers buffers(be);
    const Dims d{B, T, NH * D, NH, D, 0, B * T};
    // Device copies of the inputs.
    const float* qIn = buffers.make(rows, q.data());
    const float* kIn = buffers.make(rows, k.data());
    const float* vIn = buffers.make(rows, v.data());
    const float* dContextIn = buffers.make(rows, dContext.data());
    const int32_t* maskIn = buffers.make(mask.size(), mask.data());
    auto download = [&](const float* src) {
      std::vector<float> host(rows);
      be.download(host.data(), src, sizeof(float) * rows);
      return host;
    };

    // Composed: split heads, the model's composed core, merge heads.
    Results composed;
    {
      float* qh = buffers.make<float>(rows);
      float* kh = buffers.make<float>(rows);
      float* vh = buffers.make<float>(rows);
      float* heads = buffers.make<float>(rows);
      float* merged = buffers.make<float>(rows);
      float* probs = buffers.make<float>(probabilities);
      float* dropped = buffers.make<float>(probabilities);
      float* dScores = buffers.make<float>(probabilities);
      be.splitHeads(qh, qIn, B, T, NH, D);
      be.splitHeads(kh, kIn, B, T, NH, D);
      be.splitHeads(vh, vIn, B, T, NH, D);
      composedAttentionForward(be, heads, probs, dropped, qh, kh, vh, maskIn, d, drop);
      be.mergeHeads(merged, heads, B, T, NH, D);
      composed.context = download(merged);
      float* dqh = buffers.make<float>(rows);
      float* dkh = buffers.make<float>(rows);
      float* dvh = buffers.make<float>(rows);
      be.splitHeads(heads, dContextIn, B, T, NH, D);
      composedAttentionBackward(be, dqh, dkh, dvh, heads, qh, kh, vh, probs, dropped, dScores, d, drop);
      std::vector<float>* grads[3] = {&composed.dq, &composed.dk, &composed.dv};
      const float* perHead[3] = {dqh, dkh, dvh};
      for (int i = 0; i < 3; ++i) {
        be.mergeHeads(merged, perHead[i], B, T, NH, D);
        *grads[i] = download(merged);
      }
    }

    // Fused, on the rows directly.
    Results fused;
    {
      FusedAttention* op = be.fusedAttention();
      float* context = buffers.make<float>(rows);
      float* rowStats = buffers.make<float>(size_t(B) * NH * T * 2);
      float* gq = buffers.make<float>(rows);
      float* gk = buffers.make<float>(rows);
      float* gv = buffers.make<float>(rows);
      const AttentionShape shape{B, NH, T, D};
      op->attentionForward(context, rowStats, qIn, kIn, vIn, maskIn, attentionScale(d), shape, drop);
      op->attentionBackward(gq, gk, gv, dContextIn, qIn, kIn, vIn, rowStats, maskIn, attentionScale(d), shape, drop);
      fused = {download(context), download(gq), download(gk), download(gv)};
    }

    Napi::Object out = Napi::Object::New(info.Env());
    out.Set("composed", toObject(info.Env(), composed));
    out.Set("fused", toObject(info.Env(), fused));
    return out;
  });
}

}  // namespace bertnode::testaddon
