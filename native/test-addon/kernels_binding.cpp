// kernels.sgemm(args) / kernels.sgemmStridedBatched(args): C = alpha * op(A) * op(B) + beta * C in place, with the
// contract of native/cpu/gemm.h. args = { transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
// [strideA, strideB, strideC, batch], isa?, bf16A?, bf16B? } where a/b/c are Float32Arrays and isa (one of
// kernels.gemmIsas(), or of kernels.gemmBf16Isas() for bf16 products) forces one kernel family (default: the one sgemm
// picks). bf16A / bf16B (sgemm, a bf16 family with bf16 packers; A not transposed): the operand goes to the GEMM
// stored as bf16 (its values rounded to nearest even here), as gemmBf16Operands reads it. Every size,
// stride and array length is checked so that no call can read or write outside the arrays — with overflow-checked
// arithmetic (addon/sizes.h): a stride of 2^61 with 5 batches must not wrap (batch - 1) * stride around and pass —
// and a bad one throws a TypeError/RangeError with code ERR_BERTNODE_INVALID_ARGUMENT (addon/errors.h).
#include "test-addon/kernels_binding.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "addon/errors.h"
#include "addon/sizes.h"
#include "cpu/gemm.h"
#include "cpu/gemm_kernels.h"

namespace bertnode::testaddon {
namespace {

using addon::guard;
using addon::Size;
using cpu::gemm_detail::KernelSpec;

// Number.MAX_SAFE_INTEGER: the largest stride a JS number holds exactly, and exactly representable as a double, so
// count()'s range check cannot round (INT64_MAX would round up to 2^63 and let 2^63 through).
constexpr int64_t kMaxSafeInteger = (int64_t(1) << 53) - 1;

[[noreturn]] void fail(Napi::Env env, bool typeError, const std::string& message) {
  if (typeError) addon::throwTypeError(env, message);
  addon::throwRangeError(env, message);
}

// The call's options. Every field is fetched once, up front, before any of them is looked at: a getter can run JS,
// and JS run after an array was inspected could detach or shrink it (structuredClone with transfer) and leave its
// checked length and data pointer stale. After the fetch no JS runs until the kernel has returned.
class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* fn) : env_(info.Env()), fn_(fn) {
    if (info.Length() != 1 || !info[0].IsObject()) fail(env_, true, std::string(fn) + ": expected one options object");
    Napi::Object obj = info[0].As<Napi::Object>();
    for (const char* key : kKeys) values_.emplace_back(key, obj.Get(key));
  }

  bool flag(const char* key) {
    Napi::Value v = get(key);
    if (v.IsUndefined()) return false;
    if (!v.IsBoolean()) fail(env_, true, where(key) + " must be a boolean");
    return v.As<Napi::Boolean>().Value();
  }

  // A non-negative integer that fits the GEMM's int (or int64 for strides) arguments.
  int64_t count(const char* key, int64_t max = INT32_MAX) {
    Napi::Value v = get(key);
    if (!v.IsNumber()) fail(env_, true, where(key) + " must be a number");
    double d = v.As<Napi::Number>().DoubleValue();
    if (!(d >= 0) || d != std::floor(d) || d > double(max)) {
      fail(env_, false, where(key) + " must be an integer in [0, " + std::to_string(max) + "], got " + std::to_string(d));
    }
    return static_cast<int64_t>(d);
  }

  float real(const char* key) {
    Napi::Value v = get(key);
    if (!v.IsNumber()) fail(env_, true, where(key) + " must be a number");
    double d = v.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d)) fail(env_, false, where(key) + " must be finite");
    return static_cast<float>(d);
  }

  Napi::Float32Array floats(const char* key) {
    Napi::Value v = get(key);
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
      fail(env_, true, where(key) + " must be a Float32Array");
    }
    return v.As<Napi::Float32Array>();
  }

  const KernelSpec& isa() {
    Napi::Value v = get("isa");
    if (v.IsUndefined()) {
      try {
        return cpu::gemm_detail::activeKernelSpec();
      } catch (const std::invalid_argument& e) {  // a bad BERTNODE_CPU_KERNELS
        fail(env_, false, e.what());
      }
    }
    if (!v.IsString()) fail(env_, true, where("isa") + " must be a string");
    std::string name = v.As<Napi::String>().Utf8Value();
    // "avx512.fma1" / "avx512.fma2": the avx512 family with the blocks of one or two FMA ports, whichever this CPU's
    // vendor selects, so the tests run both sets of blocks on any AVX-512 CPU.
    if (name == "avx512.fma1" || name == "avx512.fma2") {
      if (const KernelSpec* spec = cpu::gemm_detail::avx512KernelSpecFor(name.back() - '0')) return *spec;
    }
    if (const KernelSpec* spec = cpu::gemm_detail::findKernelSpec(name.c_str())) return *spec;
    fail(env_, false, where("isa") + " '" + name + "' is not available on this CPU/build");
  }

  // Checks that a matrix of rows x cols with row stride ld (plus `batch` copies `stride` apart) lies inside arr.
  void requireFits(const char* name, const Napi::Float32Array& arr, int64_t rows, int64_t cols, int64_t ld,
                   int64_t stride = 0, int64_t batch = 1) {
    if (ld < std::max<int64_t>(cols, 1)) {
      fail(env_, false, std::string(fn_) + ": ld" + static_cast<char>(name[0] - 'A' + 'a') + " (" + std::to_string(ld) + ") must be >= max(1, " +
                            std::to_string(cols) + ")");
    }
    if (rows == 0 || cols == 0 || batch == 0) return;
    const Size needed = Size(batch - 1) * stride + Size(rows - 1) * ld + cols;
    if (!needed.atMost(static_cast<int64_t>(arr.ElementLength()))) {
      fail(env_, false, std::string(fn_) + ": " + name + " has " + std::to_string(arr.ElementLength()) +
                            " elements but the shape and strides need " + needed.toString());
    }
  }

 private:
  static constexpr const char* kKeys[] = {"isa",   "transA", "transB",  "m",       "n",       "k",     "alpha",
                                          "beta",  "a",      "b",       "c",       "lda",     "ldb",   "ldc",
                                          "strideA", "strideB", "strideC", "batch", "bf16A", "bf16B"};

  Napi::Value get(const char* key) const {
    for (const auto& [name, value] : values_) {
      if (std::string(name) == key) return value;
    }
    return Napi::Value();  // unreachable: parse() asks for kKeys only
  }

  std::string where(const char* key) const { return std::string(fn_) + ": " + key; }

  Napi::Env env_;
  const char* fn_;
  std::vector<std::pair<const char*, Napi::Value>> values_;
};

struct GemmCall {
  const KernelSpec* spec;
  bool transA, transB;
  bool bf16A = false, bf16B = false;
  int m, n, k;
  float alpha, beta;
  Napi::Float32Array a, b, c;
  int lda, ldb, ldc;
  int64_t strideA = 0, strideB = 0, strideC = 0;
  int batch = 1;
};

GemmCall parse(const Napi::CallbackInfo& info, const char* fn, bool batched) {
  Args args(info, fn);
  GemmCall call;
  call.spec = &args.isa();
  call.transA = args.flag("transA");
  call.transB = args.flag("transB");
  call.bf16A = args.flag("bf16A");
  call.bf16B = args.flag("bf16B");
  call.m = static_cast<int>(args.count("m"));
  call.n = static_cast<int>(args.count("n"));
  call.k = static_cast<int>(args.count("k"));
  call.alpha = args.real("alpha");
  call.beta = args.real("beta");
  call.a = args.floats("a");
  call.b = args.floats("b");
  call.c = args.floats("c");
  call.lda = static_cast<int>(args.count("lda"));
  call.ldb = static_cast<int>(args.count("ldb"));
  call.ldc = static_cast<int>(args.count("ldc"));
  if (batched) {
    call.strideA = args.count("strideA", kMaxSafeInteger);
    call.strideB = args.count("strideB", kMaxSafeInteger);
    call.strideC = args.count("strideC", kMaxSafeInteger);
    call.batch = static_cast<int>(args.count("batch"));
  }
  // Stored shapes: A is [m, k] or, transposed, [k, m]; B is [k, n] or [n, k]; C is [m, n].
  args.requireFits("A", call.a, call.transA ? call.k : call.m, call.transA ? call.m : call.k, call.lda, call.strideA,
                   call.batch);
  args.requireFits("B", call.b, call.transB ? call.n : call.k, call.transB ? call.k : call.n, call.ldb, call.strideB,
                   call.batch);
  args.requireFits("C", call.c, call.m, call.n, call.ldc, call.strideC, call.batch);
  return call;
}

// x rounded to bf16, nearest even (NaN stays a NaN).
uint16_t toBf16(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  if (std::isnan(x)) return static_cast<uint16_t>((bits >> 16) | 0x40);
  return static_cast<uint16_t>((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
}

std::vector<uint16_t> toBf16(const Napi::Float32Array& values) {
  std::vector<uint16_t> out(values.ElementLength());
  for (size_t i = 0; i < out.size(); ++i) out[i] = toBf16(values[i]);
  return out;
}

Napi::Value Sgemm(const Napi::CallbackInfo& info) {
  GemmCall g = parse(info, "sgemm", false);
  if (!g.bf16A && !g.bf16B) {
    cpu::gemm_detail::sgemmWith(*g.spec, g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a.Data(), g.lda, g.b.Data(),
                                g.ldb, g.beta, g.c.Data(), g.ldc);
    return info.Env().Undefined();
  }
  if (!g.spec->packABf16 || !g.spec->packBBf16) {
    addon::throwRangeError(info.Env(), std::string("sgemm: bf16A / bf16B need a kernel family with bf16 packers, not '") +
                                           g.spec->name + "'");
  }
  if (g.bf16A && g.transA) {
    addon::throwRangeError(info.Env(), "sgemm: a bf16 A is read as stored (not transposed)");
  }
  const std::vector<uint16_t> a16 = g.bf16A ? toBf16(g.a) : std::vector<uint16_t>();
  const std::vector<uint16_t> b16 = g.bf16B ? toBf16(g.b) : std::vector<uint16_t>();
  using cpu::gemm_detail::GemmOperand;
  const GemmOperand a = g.bf16A ? GemmOperand{a16.data(), true} : GemmOperand{g.a.Data(), false};
  const GemmOperand b = g.bf16B ? GemmOperand{b16.data(), true} : GemmOperand{g.b.Data(), false};
  cpu::gemm_detail::gemmOperandsWith(*g.spec, g.transA, g.transB, g.m, g.n, g.k, g.alpha, a, g.lda, b, g.ldb, g.beta,
                                     g.c.Data(), g.ldc);
  return info.Env().Undefined();
}

Napi::Value SgemmStridedBatched(const Napi::CallbackInfo& info) {
  GemmCall g = parse(info, "sgemmStridedBatched", true);
  cpu::gemm_detail::sgemmStridedBatchedWith(*g.spec, g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a.Data(), g.lda,
                                            g.strideA, g.b.Data(), g.ldb, g.strideB, g.beta, g.c.Data(), g.ldc,
                                            g.strideC, g.batch);
  return info.Env().Undefined();
}

// The families this CPU/build runs, fastest first: fp32 ones (gemmIsas) or bf16 ones (gemmBf16Isas).
Napi::Value familyNames(const Napi::CallbackInfo& info, bool bf16) {
  const KernelSpec* specs[5];
  const int count = cpu::gemm_detail::availableKernelSpecs(bf16, specs);
  Napi::Array names = Napi::Array::New(info.Env());
  for (int i = 0; i < count; ++i) names.Set(i, Napi::String::New(info.Env(), specs[i]->name));
  return names;
}

Napi::Value GemmIsas(const Napi::CallbackInfo& info) { return familyNames(info, false); }
Napi::Value GemmBf16Isas(const Napi::CallbackInfo& info) { return familyNames(info, true); }

// Whether bf16 products (precision 'bf16') run here, with BERTNODE_CPU_KERNELS applied.
Napi::Value GemmBf16Available(const Napi::CallbackInfo& info) {
  return guard(info.Env(), [&] { return Napi::Boolean::New(info.Env(), cpu::bf16GemmSupported()); });
}

// The family the GEMMs of precision 'fp32' (default) or 'bf16' run (the name checkpoints record); null for 'bf16'
// where there is none. A bad BERTNODE_CPU_KERNELS throws ERR_BERTNODE_INVALID_ARGUMENT.
Napi::Value GemmActiveIsa(const Napi::CallbackInfo& info) {
  const bool bf16 = info.Length() > 0 && info[0].IsString() && info[0].As<Napi::String>().Utf8Value() == "bf16";
  return guard(info.Env(), [&]() -> Napi::Value {
    if (!bf16) return Napi::String::New(info.Env(), cpu::gemm_detail::activeKernelSpec().name);
    const KernelSpec* spec = cpu::gemm_detail::activeBf16KernelSpec();
    return spec ? Napi::Value(Napi::String::New(info.Env(), spec->name)) : info.Env().Null();
  });
}

}  // namespace

void registerKernels(Napi::Env env, Napi::Object exports) {
  Napi::Object kernels = Napi::Object::New(env);
  kernels.Set("sgemm", Napi::Function::New(env, Sgemm, "sgemm"));
  kernels.Set("sgemmStridedBatched", Napi::Function::New(env, SgemmStridedBatched, "sgemmStridedBatched"));
  kernels.Set("gemmIsas", Napi::Function::New(env, GemmIsas, "gemmIsas"));
  kernels.Set("gemmBf16Isas", Napi::Function::New(env, GemmBf16Isas, "gemmBf16Isas"));
  kernels.Set("gemmBf16Available", Napi::Function::New(env, GemmBf16Available, "gemmBf16Available"));
  kernels.Set("gemmActiveIsa", Napi::Function::New(env, GemmActiveIsa, "gemmActiveIsa"));
  exports.Set("kernels", kernels);
}

}  // namespace bertnode::testaddon
