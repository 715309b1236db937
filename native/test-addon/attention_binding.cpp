#include "test-addon/attention_binding.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "addon/errors.h"
#include "cpu/cpu_backend.h"
#include "cpu/gemm.h"
#include "cpu/linear_bf16.h"
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

  bool given(const char* key) const { return !get(key).IsUndefined(); }

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
      addon::throwRangeError(env_, where(key) + " has " + std::to_string(a.ElementLength()) +
                                       " elements, the shape needs " + std::to_string(count));
    }
    return std::vector<T>(a.Data(), a.Data() + count);
  }

 private:
  static constexpr const char* kKeys[] = {"B", "NH", "T", "D", "q", "k", "v", "dContext", "mask", "p", "seed",
                                          "step", "site", "precision", "repeats"};

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

// x rounded to bf16, nearest even, by the product's own conversion (cpu::toBf16: AMX, which fusedBf16 needs anyway).
std::vector<uint16_t> roundedBf16(const std::vector<float>& x) {
  std::vector<uint16_t> out(x.size());
  cpu::toBf16(out.data(), x.data(), static_cast<int64_t>(x.size()));
  return out;
}

std::vector<float> widened(const std::vector<uint16_t>& x) {
  std::vector<float> out(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const uint32_t bits = uint32_t(x[i]) << 16;
    std::memcpy(&out[i], &bits, 4);
  }
  return out;
}

// Process CPU time (every thread) and monotonic wall time, in seconds.
struct Clocks {
  double cpu, wall;
  static Clocks now() {
    timespec cpu{}, wall{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
    clock_gettime(CLOCK_MONOTONIC, &wall);
    return {cpu.tv_sec + cpu.tv_nsec * 1e-9, wall.tv_sec + wall.tv_nsec * 1e-9};
  }
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
    const float p = args.probability("p");
    const auto seed = static_cast<uint64_t>(args.integer("seed", 0, 9007199254740991.0));  // MAX_SAFE_INTEGER
    const auto step = static_cast<uint64_t>(args.integer("step", 0, 4294967295.0));
    const auto site = static_cast<uint32_t>(args.integer("site", 0, 4294967295.0));
    const AttentionDropout drop{p, seed, step, site};
    const bool bf16 = args.bf16();
    const int repeats = args.given("repeats") ? static_cast<int>(args.integer("repeats", 0, 1000)) : 0;

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

    // Composed: split heads, the model's composed core, merge heads (what the layer runs around it).
    float* qh = buffers.make<float>(rows);
    float* kh = buffers.make<float>(rows);
    float* vh = buffers.make<float>(rows);
    float* heads = buffers.make<float>(rows);
    float* probs = buffers.make<float>(probabilities);
    float* dropped = buffers.make<float>(probabilities);
    float* dScores = buffers.make<float>(probabilities);
    float* perHead[3] = {buffers.make<float>(rows), buffers.make<float>(rows), buffers.make<float>(rows)};
    float* composedRows[4] = {buffers.make<float>(rows), buffers.make<float>(rows), buffers.make<float>(rows),
                              buffers.make<float>(rows)};  // context, dq, dk, dv
    auto composedForward = [&] {
      be.splitHeads(qh, qIn, B, T, NH, D);
      be.splitHeads(kh, kIn, B, T, NH, D);
      be.splitHeads(vh, vIn, B, T, NH, D);
      composedAttentionForward(be, heads, probs, dropped, qh, kh, vh, maskIn, d, T, drop);
      be.mergeHeads(composedRows[0], heads, B, T, NH, D);
    };
    auto composedBackward = [&] {
      be.splitHeads(heads, dContextIn, B, T, NH, D);
      composedAttentionBackward(be, perHead[0], perHead[1], perHead[2], heads, qh, kh, vh, probs, dropped, dScores,
                                d, T, drop);
      for (int i = 0; i < 3; ++i) be.mergeHeads(composedRows[i + 1], perHead[i], B, T, NH, D);
    };

    // Fused, on the rows directly.
    FusedAttention* op = be.fusedAttention();
    float* rowStats = buffers.make<float>(size_t(B) * NH * T * 2);
    float* fusedRows[4] = {buffers.make<float>(rows), buffers.make<float>(rows), buffers.make<float>(rows),
                           buffers.make<float>(rows)};
    const AttentionShape shape{B, NH, T, D, T};
    auto fusedForward = [&] {
      op->attentionForward(fusedRows[0], rowStats, qIn, kIn, vIn, maskIn, attentionScale(d), shape, drop);
    };
    auto fusedBackward = [&] {
      op->attentionBackward(fusedRows[1], fusedRows[2], fusedRows[3], dContextIn, qIn, kIn, vIn, rowStats, maskIn,
                            attentionScale(d), shape, drop);
    };

    composedForward();
    composedBackward();
    fusedForward();
    fusedBackward();
    auto results = [&](float* const* out) { return Results{download(out[0]), download(out[1]), download(out[2]),
                                                           download(out[3])}; };
    const Results composed = results(composedRows), fused = results(fusedRows);

    Napi::Object out = Napi::Object::New(info.Env());
    out.Set("composed", toObject(info.Env(), composed));
    out.Set("fused", toObject(info.Env(), fused));
    if (be.bf16GemmOperands()) {
      const std::vector<uint16_t> q16 = roundedBf16(q), k16 = roundedBf16(k), v16 = roundedBf16(v);
      const uint16_t* qBf16 = buffers.make(rows, q16.data());
      const uint16_t* kBf16 = buffers.make(rows, k16.data());
      const uint16_t* vBf16 = buffers.make(rows, v16.data());
      uint16_t* contextBf16 = buffers.make<uint16_t>(rows);
      op->attentionForwardBf16(contextBf16, rowStats, qBf16, kBf16, vBf16, maskIn, attentionScale(d), shape, drop);
      op->attentionBackwardBf16(fusedRows[1], fusedRows[2], fusedRows[3], dContextIn, qBf16, kBf16, vBf16, rowStats,
                                maskIn, attentionScale(d), shape, drop);
      std::vector<uint16_t> context16(rows);
      be.download(context16.data(), contextBf16, sizeof(uint16_t) * rows);
      out.Set("fusedBf16", toObject(info.Env(), Results{widened(context16), download(fusedRows[1]),
                                                        download(fusedRows[2]), download(fusedRows[3])}));
    }
    if (repeats > 0) {  // per-call process CPU time (all threads) and wall time of each part, after the calls above
      Napi::Object seconds = Napi::Object::New(info.Env());
      const std::pair<const char*, std::function<void()>> parts[4] = {{"composedForward", composedForward},
                                                                      {"composedBackward", composedBackward},
                                                                      {"fusedForward", fusedForward},
                                                                      {"fusedBackward", fusedBackward}};
      for (const auto& [name, part] : parts) {
        const Clocks start = Clocks::now();
        for (int i = 0; i < repeats; ++i) part();
        const Clocks end = Clocks::now();
        Napi::Object entry = Napi::Object::New(info.Env());
        entry.Set("cpu", (end.cpu - start.cpu) / repeats);
        entry.Set("wall", (end.wall - start.wall) / repeats);
        seconds.Set(name, entry);
      }
      out.Set("seconds", seconds);
    }
    return out;
  });
}

}  // namespace bertnode::testaddon
