// Finite-difference checks of the backward ops (see gradcheck.h for the method and the tolerance).
#include "model/gradcheck.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <utility>

#include "model/layers.h"
#include "model/scatter_plan.h"

namespace bertnode {
namespace {

constexpr float kStep = 1e-2f;

// Owns the device buffers of one check and frees them when the check ends. rewind(mark) hands the buffers taken
// after `mark` out again, in order, to calls that ask for the same sizes: the finite-difference loop runs the
// forward hundreds of times and reuses one set of buffers instead of allocating (cudaMalloc) on every run.
class DeviceScope {
 public:
  explicit DeviceScope(Backend& be) : be_(be) {}
  ~DeviceScope() {
    for (const Buffer& b : buffers_) be_.release(b.ptr);
  }
  DeviceScope(const DeviceScope&) = delete;
  DeviceScope& operator=(const DeviceScope&) = delete;

  Backend& be() { return be_; }
  size_t mark() const { return next_; }
  void rewind(size_t mark) { next_ = mark; }

  float* zeros(size_t n) {
    auto* p = static_cast<float*>(take(sizeof(float) * n));
    be_.zero(p, sizeof(float) * n);
    return p;
  }
  float* upload(const std::vector<float>& host) {
    auto* p = static_cast<float*>(take(sizeof(float) * host.size()));
    be_.upload(p, host.data(), sizeof(float) * host.size());
    return p;
  }
  int32_t* upload(const std::vector<int32_t>& host) {
    auto* p = static_cast<int32_t*>(take(sizeof(int32_t) * host.size()));
    be_.upload(p, host.data(), sizeof(int32_t) * host.size());
    return p;
  }
  std::vector<float> download(const float* p, size_t n) {
    std::vector<float> host(n);
    be_.download(host.data(), p, sizeof(float) * n);
    return host;
  }

 private:
  struct Buffer {
    void* ptr;
    size_t bytes;
  };
  void* take(size_t bytes) {
    if (next_ < buffers_.size() && buffers_[next_].bytes == bytes) return buffers_[next_++].ptr;
    // A different size means the call sequence changed: drop the buffers past this point and start afresh.
    for (size_t i = next_; i < buffers_.size(); ++i) be_.release(buffers_[i].ptr);
    buffers_.resize(next_);
    buffers_.push_back({be_.alloc(bytes), bytes});
    return buffers_[next_++].ptr;
  }

  Backend& be_;
  std::vector<Buffer> buffers_;
  size_t next_ = 0;
};

// Deterministic inputs: xorshift64* mapped to [lo, hi).
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  float uniform(float lo, float hi) {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    uint32_t bits = static_cast<uint32_t>((state_ * 0x2545F4914F6CDD1Dull) >> 40);
    return lo + (hi - lo) * static_cast<float>(bits) / 16777216.0f;
  }
  std::vector<float> tensor(size_t n, float lo = -1.0f, float hi = 1.0f) {
    std::vector<float> v(n);
    for (float& x : v) x = uniform(lo, hi);
    return v;
  }

 private:
  uint64_t state_;
};

using Inputs = std::vector<float*>;
struct Output {
  const float* data;
  size_t size;
};

// One op under test: the forward maps the device inputs to an output; the backward receives dOut = w (device and
// host copies) and writes or accumulates d(sum w*out)/d(input i) into grads[i] (zeroed beforehand).
struct OpCheck {
  std::string name;
  std::vector<std::vector<float>> inputs;
  std::function<Output(DeviceScope&, const Inputs&)> forward;
  std::function<void(DeviceScope&, const Inputs&, float* dOut, const std::vector<float>& w, const Inputs& grads)>
      backward;
};

double weightedSum(DeviceScope& scope, const Output& out, const std::vector<float>& w) {
  std::vector<float> host = scope.download(out.data, out.size);
  double sum = 0.0;
  for (size_t i = 0; i < host.size(); ++i) sum += static_cast<double>(w[i]) * host[i];
  return sum;
}

GradcheckResult runCheck(Backend& be, const OpCheck& check, Random& rng) {
  DeviceScope scope(be);
  Inputs device;
  for (const auto& host : check.inputs) device.push_back(scope.upload(host));
  Output out = check.forward(scope, device);
  std::vector<float> w = rng.tensor(out.size);

  Inputs grads;
  for (const auto& host : check.inputs) grads.push_back(scope.zeros(host.size()));
  check.backward(scope, device, scope.upload(w), w, grads);

  double maxAbsErr = 0.0, maxNumeric = 0.0;
  const size_t evaluationBuffers = scope.mark();
  auto evaluate = [&]() {
    scope.rewind(evaluationBuffers);
    return weightedSum(scope, check.forward(scope, device), w);
  };
  for (size_t i = 0; i < check.inputs.size(); ++i) {
    std::vector<float> analytic = scope.download(grads[i], check.inputs[i].size());
    std::vector<float> host = check.inputs[i];
    for (size_t j = 0; j < host.size(); ++j) {
      float original = host[j];
      host[j] = original + kStep;
      be.upload(device[i], host.data(), sizeof(float) * host.size());
      double plus = evaluate();
      host[j] = original - kStep;
      be.upload(device[i], host.data(), sizeof(float) * host.size());
      double minus = evaluate();
      host[j] = original;
      be.upload(device[i], host.data(), sizeof(float) * host.size());
      double numeric = (plus - minus) / (2.0 * kStep);
      maxAbsErr = std::max(maxAbsErr, std::fabs(numeric - analytic[j]));
      maxNumeric = std::max(maxNumeric, std::fabs(numeric));
    }
  }
  GradcheckResult result;
  result.name = check.name;
  result.maxAbsErr = maxAbsErr;
  result.maxRelErr = maxAbsErr / std::max(maxNumeric, 1e-12);
  result.passed = std::isfinite(result.maxRelErr) && result.maxRelErr < kGradcheckTolerance;
  return result;
}

OpCheck layerNormCheck(Random& rng) {
  const int N = 3, C = 8;
  const float eps = 1e-5f;
  auto forward = [=](DeviceScope& s, const Inputs& in, float* mean, float* rstd) {
    float* out = s.zeros(N * C);
    s.be().layerNormForward(out, mean, rstd, in[0], in[1], in[2], N, C, eps);
    return out;
  };
  return {"layerNorm",
          {rng.tensor(N * C, -2.0f, 2.0f), rng.tensor(C, 0.5f, 1.5f), rng.tensor(C)},
          [=](DeviceScope& s, const Inputs& in) { return Output{forward(s, in, nullptr, nullptr), N * C}; },
          [=](DeviceScope& s, const Inputs& in, float* dOut, const std::vector<float>&, const Inputs& g) {
            float* mean = s.zeros(N);
            float* rstd = s.zeros(N);
            forward(s, in, mean, rstd);
            s.be().layerNormBackward(g[0], g[1], g[2], dOut, in[0], in[1], mean, rstd, N, C);
          }};
}

OpCheck geluCheck(Random& rng) {
  const int n = 16;
  return {"gelu",
          {rng.tensor(n, -3.0f, 3.0f)},
          [=](DeviceScope& s, const Inputs& in) {
            float* out = s.zeros(n);
            s.be().geluForward(out, in[0], n);
            return Output{out, n};
          },
          [=](DeviceScope& s, const Inputs& in, float* dOut, const std::vector<float>&, const Inputs& g) {
            s.be().geluBackward(g[0], dOut, in[0], n);
          }};
}

// The training layer's GELU: the forward keeps gelu' (geluForwardWithDerivative), the backward multiplies by it.
OpCheck geluDerivativeCheck(Random& rng) {
  const int n = 16;
  return {"geluDerivative",
          {rng.tensor(n, -3.0f, 3.0f)},
          [=](DeviceScope& s, const Inputs& in) {
            float* out = s.zeros(n);
            s.be().geluForwardWithDerivative(out, s.zeros(n), in[0], n);
            return Output{out, n};
          },
          [=](DeviceScope& s, const Inputs& in, float* dOut, const std::vector<float>&, const Inputs& g) {
            float* derivative = s.zeros(n);
            s.be().geluForwardWithDerivative(s.zeros(n), derivative, in[0], n);
            s.be().multiply(g[0], dOut, derivative, n);
          }};
}

OpCheck tanhCheck(Random& rng) {
  const int n = 12;
  return {"tanh",
          {rng.tensor(n, -2.0f, 2.0f)},
          [=](DeviceScope& s, const Inputs& in) {
            float* out = s.zeros(n);
            s.be().tanhForward(out, in[0], n);
            return Output{out, n};
          },
          [=](DeviceScope& s, const Inputs& in, float* dOut, const std::vector<float>&, const Inputs& g) {
            float* out = s.zeros(n);
            s.be().tanhForward(out, in[0], n);
            s.be().tanhBackward(g[0], dOut, out, n);
          }};
}

// Rows whose keys are all masked are left out: their forward is constant (uniform), while the backward follows
// Hugging Face's autograd through the additive mask and is not zero there.
OpCheck attentionSoftmaxCheck(Random& rng) {
  const int B = 2, NH = 2, T = 4;
  const float scale = 0.5f;
  const std::vector<int32_t> mask = {1, 1, 1, 0, 1, 1, 0, 0};
  auto forward = [=](DeviceScope& s, const Inputs& in) {
    float* probs = s.zeros(B * NH * T * T);
    s.be().attentionSoftmaxForward(probs, in[0], s.upload(mask), scale, B, NH, T, T);
    return probs;
  };
  return {"attentionSoftmax",
          {rng.tensor(B * NH * T * T, -3.0f, 3.0f)},
          [=](DeviceScope& s, const Inputs& in) { return Output{forward(s, in), B * NH * T * T}; },
          [=](DeviceScope& s, const Inputs& in, float* dOut, const std::vector<float>&, const Inputs& g) {
            s.be().attentionSoftmaxBackward(g[0], dOut, forward(s, in), scale, B, NH, T, T);
          }};
}

// Cross-entropy over C classes with one label per row; a label outside [0, C) (-100, C) ignores its row: no loss,
// no gradient.
OpCheck crossEntropyCheck(Random& rng, std::string name, int C, std::vector<int32_t> labels) {
  const int B = static_cast<int>(labels.size());
  return {std::move(name),
          {rng.tensor(B * C, -3.0f, 3.0f)},
          [=](DeviceScope& s, const Inputs& in) {
            float* losses = s.zeros(B);
            s.be().crossEntropyForward(losses, s.zeros(B * C), in[0], s.upload(labels), B, C);
            return Output{losses, B};
          },
          [=](DeviceScope& s, const Inputs& in, float*, const std::vector<float>& w, const Inputs& g) {
            float* probs = s.zeros(B * C);
            int32_t* deviceLabels = s.upload(labels);
            s.be().crossEntropyForward(s.zeros(B), probs, in[0], deviceLabels, B, C);
            // The backward scales by one scalar, so each example is its own call with its weight.
            for (int b = 0; b < B; ++b) {
              s.be().crossEntropyBackward(g[0] + b * C, probs + b * C, deviceLabels + b, w[b], 1, C);
            }
          }};
}

// The elementwise head losses against their logits; targets fixed (they are labels). The backward scales by one
// scalar, so each element is its own call with its weight.
OpCheck elementLossCheck(Random& rng, bool binary) {
  const int n = 6;
  std::vector<float> targets = binary ? std::vector<float>{0, 1, 1, 0, 1, 0} : rng.tensor(n, -2.0f, 2.0f);
  return {binary ? "bceWithLogits" : "squaredError",
          {rng.tensor(n, -3.0f, 3.0f)},
          [=](DeviceScope& s, const Inputs& in) {
            float* losses = s.zeros(n);
            if (binary) {
              s.be().bceWithLogitsForward(losses, in[0], s.upload(targets), n);
            } else {
              s.be().squaredErrorForward(losses, in[0], s.upload(targets), n);
            }
            return Output{losses, n};
          },
          [=](DeviceScope& s, const Inputs& in, float*, const std::vector<float>& w, const Inputs& g) {
            float* y = s.upload(targets);
            for (int i = 0; i < n; ++i) {
              if (binary) {
                s.be().bceWithLogitsBackward(g[0] + i, in[0] + i, y + i, w[i], 1);
              } else {
                s.be().squaredErrorBackward(g[0] + i, in[0] + i, y + i, w[i], 1);
              }
            }
          }};
}

OpCheck linearCheck(Random& rng) {
  const int rows = 3, in = 5, out = 4;
  return {"linear",
          {rng.tensor(rows * in), rng.tensor(out * in), rng.tensor(out)},
          [=](DeviceScope& s, const Inputs& x) {
            float* y = s.zeros(rows * out);
            linearForward(s.be(), Linear{x[1], x[2], nullptr, nullptr}, y, x[0], rows, in, out);
            return Output{y, rows * out};
          },
          [=](DeviceScope& s, const Inputs& x, float* dOut, const std::vector<float>&, const Inputs& g) {
            linearBackward(s.be(), Linear{x[1], x[2], g[1], g[2]}, g[0], 0.0f, dOut, x[0], rows, in, out);
          }};
}

OpCheck embeddingsCheck(Random& rng) {
  const int B = 2, T = 40, H = 4, V = 5, P = T, TV = 2;
  // Repeated ids must add up: id 1 fills 45+ rows and token type 0 fills 50, more than one chunk of the scatter
  // plan (kScatterChunkRows), so both the direct and the partial-sum paths are differentiated.
  std::vector<int32_t> ids(B * T), types(B * T);
  for (int r = 0; r < B * T; ++r) {
    ids[r] = r < 45 ? 1 : r % V;
    types[r] = r % T < 25 ? 0 : 1;
  }
  return {"embeddings",
          {rng.tensor(V * H), rng.tensor(P * H), rng.tensor(TV * H)},
          [=](DeviceScope& s, const Inputs& in) {
            float* out = s.zeros(B * T * H);
            s.be().embeddingsForward(out, s.upload(ids), s.upload(types), in[0], in[1], in[2], B, T, H);
            return Output{out, B * T * H};
          },
          [=](DeviceScope& s, const Inputs&, float* dOut, const std::vector<float>&, const Inputs& g) {
            ScatterPlanBuilder wordPlanner, typePlanner;
            wordPlanner.build(ids.data(), B * T);
            typePlanner.build(types.data(), B * T);
            ScatterPlan wordPlan = wordPlanner.on(s.upload(wordPlanner.image()));
            ScatterPlan typePlan = typePlanner.on(s.upload(typePlanner.image()));
            s.be().embeddingsBackward(g[0], g[1], g[2], dOut, wordPlan, typePlan, B, T, H);
          }};
}

OpCheck dropoutCheck(Random& rng) {
  const int n = 37;  // not a multiple of the 4-lane Philox block
  const float p = 0.3f;
  return {"dropout",
          {rng.tensor(n)},
          [=](DeviceScope& s, const Inputs& in) {
            float* out = s.zeros(n);
            s.be().dropout(out, in[0], n, p, 7, 3, 5);
            return Output{out, n};
          },
          [=](DeviceScope& s, const Inputs&, float* dOut, const std::vector<float>&, const Inputs& g) {
            s.be().dropout(g[0], dOut, n, p, 7, 3, 5);
          }};
}

OpCheck headPermutesCheck(Random& rng) {
  const int B = 2, T = 3, NH = 2, D = 3, n = B * T * NH * D;
  return {"headPermutes",
          {rng.tensor(n)},
          [=](DeviceScope& s, const Inputs& in) {
            float* out = s.zeros(n);
            s.be().splitHeads(out, in[0], B, T, NH, D);
            return Output{out, n};
          },
          [=](DeviceScope& s, const Inputs&, float* dOut, const std::vector<float>&, const Inputs& g) {
            s.be().mergeHeads(g[0], dOut, B, T, NH, D);
          }};
}

OpCheck clsRowsCheck(Random& rng) {
  const int B = 2, T = 3, H = 4;
  return {"clsRows",
          {rng.tensor(B * T * H)},
          [=](DeviceScope& s, const Inputs& in) {
            float* out = s.zeros(B * H);
            s.be().gatherClsRows(out, in[0], B, T, H);
            return Output{out, B * H};
          },
          [=](DeviceScope& s, const Inputs&, float* dOut, const std::vector<float>&, const Inputs& g) {
            s.be().scatterClsRows(g[0], dOut, B, T, H);
          }};
}

// How the checked layer runs its attention: composed, or through the backend's FusedAttention (the layer keeps row
// statistics, no probabilities); and whether it is the first-token layer (the [CLS] rows' output only).
enum class LayerKind { Composed, Fused, FirstTokenComposed, FirstTokenFused };

// A whole BertLayer with padding and live dropout, so the backward's regenerated masks are checked too.
OpCheck encoderLayerCheck(Random& rng, LayerKind kind) {
  const bool fused = kind == LayerKind::Fused || kind == LayerKind::FirstTokenFused;
  const bool firstToken = kind == LayerKind::FirstTokenComposed || kind == LayerKind::FirstTokenFused;
  const Dims d{2, 3, 4, 2, 2, 8, 6};
  const std::vector<int32_t> mask = {1, 1, 1, 1, 1, 0};
  const LayerDropout drop{0.2f, 0.25f, 1, 2, 3};
  const DropoutKey key{true, 11, 2};
  const float eps = 1e-5f;
  const size_t rows = d.N * d.H, heads = rows, attention = d.B * d.NH * d.T * d.T, wide = d.N * d.I;
  std::vector<std::vector<float>> inputs = {rng.tensor(rows, -2.0f, 2.0f)};
  for (int i = 0; i < 4; ++i) {  // query, key, value, attention output: weight, bias
    inputs.push_back(rng.tensor(d.H * d.H));
    inputs.push_back(rng.tensor(d.H));
  }
  inputs.push_back(rng.tensor(d.H, 0.5f, 1.5f));
  inputs.push_back(rng.tensor(d.H));
  inputs.push_back(rng.tensor(d.I * d.H));
  inputs.push_back(rng.tensor(d.I));
  inputs.push_back(rng.tensor(d.H * d.I));
  inputs.push_back(rng.tensor(d.H));
  inputs.push_back(rng.tensor(d.H, 0.5f, 1.5f));
  inputs.push_back(rng.tensor(d.H));

  auto params = [](const Inputs& x, const Inputs* g) {
    auto grad = [&](int i) { return g ? (*g)[i] : nullptr; };
    EncoderLayerParams p;
    p.query = {x[1], x[2], grad(1), grad(2)};
    p.key = {x[3], x[4], grad(3), grad(4)};
    p.value = {x[5], x[6], grad(5), grad(6)};
    p.attentionOutput = {x[7], x[8], grad(7), grad(8)};
    p.attentionNorm = {x[9], x[10], grad(9), grad(10)};
    p.intermediate = {x[11], x[12], grad(11), grad(12)};
    p.output = {x[13], x[14], grad(13), grad(14)};
    p.outputNorm = {x[15], x[16], grad(15), grad(16)};
    return p;
  };
  auto buffers = [=](DeviceScope& s) {
    float* probs = fused ? nullptr : s.zeros(attention);
    float* rowStats = fused ? s.zeros(2 * d.B * d.NH * d.T) : nullptr;
    float* firstIn = firstToken ? s.zeros(d.B * d.H) : nullptr;
    EncoderLayerActivations a{firstIn,        s.zeros(heads), s.zeros(heads), s.zeros(heads), probs, rowStats,
                              s.zeros(rows),  s.zeros(rows),  s.zeros(d.N),   s.zeros(d.N),  s.zeros(rows),
                              s.zeros(wide),  nullptr,        s.zeros(wide),  s.zeros(rows), s.zeros(d.N),  s.zeros(d.N),
                              s.zeros(rows)};
    EncoderScratch scratch{s.zeros(rows),  s.zeros(rows),      s.zeros(heads),     s.zeros(heads),
                           s.zeros(heads), s.zeros(wide),      s.zeros(attention), s.zeros(attention)};
    return std::make_pair(a, scratch);
  };
  const char* name = kind == LayerKind::FirstTokenFused      ? "encoderLayerFirstTokenFused"
                     : kind == LayerKind::FirstTokenComposed ? "encoderLayerFirstToken"
                     : fused                                 ? "encoderLayerFused"
                                                             : "encoderLayer";
  return {name, inputs,
          [=](DeviceScope& s, const Inputs& x) {
            auto [a, scratch] = buffers(s);
            encoderLayerForward(s.be(), params(x, nullptr), a, scratch, x[0], s.upload(mask), d, eps, drop, key,
                                false);
            return Output{a.out, firstToken ? static_cast<size_t>(d.B) * d.H : rows};
          },
          [=](DeviceScope& s, const Inputs& x, float* dOut, const std::vector<float>&, const Inputs& g) {
            auto [a, scratch] = buffers(s);
            EncoderLayerParams p = params(x, &g);
            const int32_t* deviceMask = s.upload(mask);
            encoderLayerForward(s.be(), p, a, scratch, x[0], deviceMask, d, eps, drop, key, false);
            encoderLayerBackward(s.be(), p, a, scratch, x[0], deviceMask, dOut, g[0], d, drop, key);
          }};
}

// Pooler head with live classifier dropout, gradients into the last hidden state's [CLS] rows.
OpCheck headCheck(Random& rng) {
  const Dims d{2, 3, 4, 1, 4, 4, 6};
  const int labels = 3;
  const float p = 0.2f;
  const uint32_t site = 9;
  const DropoutKey key{true, 5, 1};
  auto params = [](const Inputs& x, const Inputs* g) {
    auto grad = [&](int i) { return g ? (*g)[i] : nullptr; };
    return HeadParams{true, {x[1], x[2], grad(1), grad(2)}, {x[3], x[4], grad(3), grad(4)}};
  };
  auto buffers = [=](DeviceScope& s) {
    return HeadActivations{s.zeros(d.B * d.H), s.zeros(d.B * d.H), s.zeros(d.B * d.H), s.zeros(d.B * labels)};
  };
  return {"head",
          {rng.tensor(d.N * d.H), rng.tensor(d.H * d.H), rng.tensor(d.H), rng.tensor(labels * d.H),
           rng.tensor(labels)},
          [=](DeviceScope& s, const Inputs& x) {
            HeadActivations a = buffers(s);
            headForward(s.be(), params(x, nullptr), a, x[0], d, labels, p, site, key);
            return Output{a.logits, static_cast<size_t>(d.B * labels)};
          },
          [=](DeviceScope& s, const Inputs& x, float* dOut, const std::vector<float>&, const Inputs& g) {
            HeadActivations a = buffers(s);
            HeadParams hp = params(x, &g);
            headForward(s.be(), hp, a, x[0], d, labels, p, site, key);
            headBackward(s.be(), hp, a, dOut, s.zeros(d.B * d.H), s.zeros(d.B * d.H), g[0], d, labels, p, site, key);
          }};
}

}  // namespace

std::vector<GradcheckResult> runGradchecks(Backend& backend) {
  Random rng(20241124);
  std::vector<OpCheck> checks;
  checks.push_back(layerNormCheck(rng));
  checks.push_back(geluCheck(rng));
  checks.push_back(geluDerivativeCheck(rng));
  checks.push_back(tanhCheck(rng));
  checks.push_back(attentionSoftmaxCheck(rng));
  checks.push_back(crossEntropyCheck(rng, "crossEntropy", 4, {0, 3, 1}));
  checks.push_back(crossEntropyCheck(rng, "crossEntropyIgnored", 3, {2, -100, 0, 3}));
  checks.push_back(elementLossCheck(rng, true));
  checks.push_back(elementLossCheck(rng, false));
  checks.push_back(linearCheck(rng));
  checks.push_back(embeddingsCheck(rng));
  checks.push_back(dropoutCheck(rng));
  checks.push_back(headPermutesCheck(rng));
  checks.push_back(clsRowsCheck(rng));
  Random layerRng = rng;  // the other layer checks get the composed one's inputs
  checks.push_back(encoderLayerCheck(rng, LayerKind::Composed));
  checks.push_back(headCheck(rng));
  Random firstTokenRng = layerRng;
  checks.push_back(encoderLayerCheck(firstTokenRng, LayerKind::FirstTokenComposed));
  if (backend.fusedAttention()) {
    Random fusedFirstTokenRng = layerRng;
    checks.push_back(encoderLayerCheck(layerRng, LayerKind::Fused));
    checks.push_back(encoderLayerCheck(fusedFirstTokenRng, LayerKind::FirstTokenFused));
  }
  std::vector<GradcheckResult> results;
  for (const OpCheck& check : checks) results.push_back(runCheck(backend, check, rng));
  return results;
}

}  // namespace bertnode
