// The CUDA launchers (native/cuda, run under the host emulation in shim/cuda_runtime.h) against the CPU ops
// (native/cpu/ops.h) on the same random inputs: one JSON line {op, error, tolerance} per compared output, where
// error = max |cuda - cpu| / max |cpu|. Shapes are small and not multiples of the kernels' tiles (32-wide warps,
// 8-row blocks), so the edges run too. Tolerances: 0 where the kernel does the CPU's arithmetic in the CPU's order;
// 1e-6 where only a summation order differs (warp trees, chunked double sums); 1e-5 for the fp32 sums of
// the LayerNorm input gradient and the softmax backward.
#include <sys/mman.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "cpu/ops.h"
#include "cuda/gemm.h"
#include "cuda/launchers.h"
#include "model/scatter_plan.h"

namespace {

using namespace bertnode;
using Floats = std::vector<float>;

// The device scratch of the real backend, as host memory.
struct HostScratch final : cuda::Scratch {
  std::vector<char> bytes;
  void* get(size_t size) override {
    if (bytes.size() < size) bytes.resize(size);
    return bytes.data();
  }
};

std::mt19937 rng(20241124);

Floats randomFloats(size_t n, float scale = 1.0f) {
  std::uniform_real_distribution<float> uniform(-scale, scale);
  Floats v(n);
  for (float& x : v) x = uniform(rng);
  return v;
}

std::vector<int32_t> randomInts(size_t n, int max) {
  std::vector<int32_t> v(n);
  for (int32_t& x : v) x = static_cast<int32_t>(rng() % static_cast<unsigned>(max));
  return v;
}

void report(const char* op, const Floats& actual, const Floats& expected, double tolerance) {
  double maxDiff = 0, maxRef = 0;
  bool nan = false;
  for (size_t i = 0; i < expected.size(); ++i) {
    nan = nan || std::isnan(actual[i]) != std::isnan(expected[i]);
    maxDiff = std::max(maxDiff, static_cast<double>(std::fabs(actual[i] - expected[i])));
    maxRef = std::max(maxRef, static_cast<double>(std::fabs(expected[i])));
  }
  double error = nan ? INFINITY : maxRef > 0 ? maxDiff / maxRef : maxDiff;
  // JSON has no inf; 1e999 reads back as Infinity, so a NaN or overflowing kernel is reported under its op's name.
  char text[32] = "1e999";
  if (std::isfinite(error)) std::snprintf(text, sizeof text, "%.9g", error);
  std::printf("{\"op\":\"%s\",\"error\":%s,\"tolerance\":%g}\n", op, text, tolerance);
}

constexpr int N = 37, C = 70, B = 3, T = 13, H = 40, NH = 4, D = 10, V = 11;
cudaStream_t stream = nullptr;
HostScratch scratch;

void elementwise() {
  Floats x = randomFloats(N * C), bias = randomFloats(C), y = x;
  cpu::addBias(x.data(), bias.data(), N, C);
  cuda::addBias(stream, y.data(), bias.data(), N, C);
  report("addBias", y, x, 0);

  const int rows = 4099;  // several row chunks of the two-pass column sum
  Floats dOut = randomFloats(rows * C), dBiasCpu = randomFloats(C), dBiasCuda = dBiasCpu;
  cpu::biasBackward(dBiasCpu.data(), dOut.data(), rows, C);
  cuda::biasBackward(stream, scratch, dBiasCuda.data(), dOut.data(), rows, C);
  report("biasBackward", dBiasCuda, dBiasCpu, 1e-6);

  Floats a = randomFloats(1001), b = randomFloats(1001), sumCpu(1001), sumCuda(1001);
  cpu::add(sumCpu.data(), a.data(), b.data(), 1001);
  cuda::add(stream, sumCuda.data(), a.data(), b.data(), 1001);
  report("add", sumCuda, sumCpu, 0);
  Floats productCpu(1001), productCuda(1001);
  cpu::multiply(productCpu.data(), a.data(), b.data(), 1001);
  cuda::multiply(stream, productCuda.data(), a.data(), b.data(), 1001);
  report("multiply", productCuda, productCpu, 0);

  Floats scaledCpu = a, scaledCuda = a;
  cpu::scale(scaledCpu.data(), 0.3f, 1001);
  cuda::scale(stream, scaledCuda.data(), 0.3f, 1001);
  report("scale", scaledCuda, scaledCpu, 0);

  Floats in = randomFloats(4001, 4), outCpu(4001), outCuda(4001), dOutFlat = randomFloats(4001);
  cpu::tanhForward(outCpu.data(), in.data(), 4001);
  cuda::tanhForward(stream, outCuda.data(), in.data(), 4001);
  report("tanhForward", outCuda, outCpu, 1e-6);
  cpu::tanhBackward(outCpu.data(), dOutFlat.data(), in.data(), 4001);
  cuda::tanhBackward(stream, outCuda.data(), dOutFlat.data(), in.data(), 4001);
  report("tanhBackward", outCuda, outCpu, 0);
  cpu::geluForward(outCpu.data(), in.data(), 4001);
  cuda::geluForward(stream, outCuda.data(), in.data(), 4001);
  report("geluForward", outCuda, outCpu, 1e-6);
  cpu::geluBackward(outCpu.data(), dOutFlat.data(), in.data(), 4001);
  cuda::geluBackward(stream, outCuda.data(), dOutFlat.data(), in.data(), 4001);
  report("geluBackward", outCuda, outCpu, 1e-6);
  // The training layer's GELU: the forward keeps gelu' and the backward multiplies by it, which must be geluBackward's
  // bits on each device (outCpu / outCuda hold geluBackward's result here).
  Floats geluCpu(4001), geluCuda(4001), slopeCpu(4001), slopeCuda(4001), viaSlopeCpu(4001), viaSlopeCuda(4001);
  cpu::geluForwardWithDerivative(geluCpu.data(), slopeCpu.data(), in.data(), 4001);
  cuda::geluForwardWithDerivative(stream, geluCuda.data(), slopeCuda.data(), in.data(), 4001);
  report("geluForwardWithDerivative.out", geluCuda, geluCpu, 1e-6);
  report("geluForwardWithDerivative.derivative", slopeCuda, slopeCpu, 1e-6);
  cpu::multiply(viaSlopeCpu.data(), dOutFlat.data(), slopeCpu.data(), 4001);
  cuda::multiply(stream, viaSlopeCuda.data(), dOutFlat.data(), slopeCuda.data(), 4001);
  report("geluBackward = multiply by the derivative (cpu)", viaSlopeCpu, outCpu, 0);
  report("geluBackward = multiply by the derivative (cuda)", viaSlopeCuda, outCuda, 0);

  Floats big = randomFloats(100003), resultCpu{1.5f}, resultCuda{1.5f};
  cpu::sumOfSquares(resultCpu.data(), big.data(), 100003);
  cuda::sumOfSquares(stream, scratch, resultCuda.data(), big.data(), 100003);
  report("sumOfSquares", resultCuda, resultCpu, 1e-6);
}

void layerNorm(int width) {
  Floats in = randomFloats(N * width, 3), gamma = randomFloats(width), beta = randomFloats(width);
  for (size_t i = 0; i < in.size(); ++i) in[i] += static_cast<float>(i % 5);  // rows with non-zero means
  Floats outCpu(N * width), outCuda(N * width), meanCpu(N), meanCuda(N), rstdCpu(N), rstdCuda(N);
  cpu::layerNormForward(outCpu.data(), meanCpu.data(), rstdCpu.data(), in.data(), gamma.data(), beta.data(), N,
                        width, 1e-12f);
  cuda::layerNormForward(stream, outCuda.data(), meanCuda.data(), rstdCuda.data(), in.data(), gamma.data(),
                         beta.data(), N, width, 1e-12f);
  report("layerNormForward.out", outCuda, outCpu, 1e-6);
  report("layerNormForward.mean", meanCuda, meanCpu, 1e-6);
  report("layerNormForward.rstd", rstdCuda, rstdCpu, 1e-6);

  Floats dOut = randomFloats(N * width), dInCpu(N * width), dInCuda(N * width);
  Floats dGammaCpu = randomFloats(width), dBetaCpu = randomFloats(width), dGammaCuda = dGammaCpu,
         dBetaCuda = dBetaCpu;
  cpu::layerNormBackward(dInCpu.data(), dGammaCpu.data(), dBetaCpu.data(), dOut.data(), in.data(), gamma.data(),
                         meanCpu.data(), rstdCpu.data(), N, width);
  cuda::layerNormBackward(stream, scratch, dInCuda.data(), dGammaCuda.data(), dBetaCuda.data(), dOut.data(),
                          in.data(), gamma.data(), meanCpu.data(), rstdCpu.data(), N, width);
  report("layerNormBackward.dIn", dInCuda, dInCpu, 1e-5);
  report("layerNormBackward.dGamma", dGammaCuda, dGammaCpu, 1e-6);
  report("layerNormBackward.dBeta", dBetaCuda, dBetaCpu, 1e-6);

  Floats inPlace = dOut;  // dIn == dOut, as the model calls it
  cuda::layerNormBackward(stream, scratch, inPlace.data(), nullptr, nullptr, inPlace.data(), in.data(), gamma.data(),
                          meanCpu.data(), rstdCpu.data(), N, width);
  report("layerNormBackward.dIn.inPlace", inPlace, dInCpu, 1e-5);
}

void attention() {
  Floats in = randomFloats(B * T * NH * D), outCpu(in.size()), outCuda(in.size());
  cpu::splitHeads(outCpu.data(), in.data(), B, T, NH, D);
  cuda::splitHeads(stream, outCuda.data(), in.data(), B, T, NH, D);
  report("splitHeads", outCuda, outCpu, 0);
  cpu::mergeHeads(outCpu.data(), in.data(), B, T, NH, D);
  cuda::mergeHeads(stream, outCuda.data(), in.data(), B, T, NH, D);
  report("mergeHeads", outCuda, outCpu, 0);

  // Example 0 padded after 9 tokens, example 1 unpadded, example 2 fully masked (uniform rows).
  std::vector<int32_t> mask(B * T);
  for (int t = 0; t < T; ++t) {
    mask[t] = t < 9;
    mask[T + t] = 1;
    mask[2 * T + t] = 0;
  }
  const float scale = 0.3f;
  Floats scores = randomFloats(B * NH * T * T, 8), probsCpu(scores.size()), probsCuda(scores.size());
  cpu::attentionSoftmaxForward(probsCpu.data(), scores.data(), mask.data(), scale, B, NH, T, T);
  cuda::attentionSoftmaxForward(stream, probsCuda.data(), scores.data(), mask.data(), scale, B, NH, T, T);
  report("attentionSoftmaxForward", probsCuda, probsCpu, 1e-6);
  Floats inPlace = scores;
  cuda::attentionSoftmaxForward(stream, inPlace.data(), inPlace.data(), mask.data(), scale, B, NH, T, T);
  report("attentionSoftmaxForward.inPlace", inPlace, probsCpu, 1e-6);

  Floats dProbs = randomFloats(scores.size()), dScoresCpu(scores.size()), dScoresCuda(scores.size());
  cpu::attentionSoftmaxBackward(dScoresCpu.data(), dProbs.data(), probsCpu.data(), scale, B, NH, T, T);
  cuda::attentionSoftmaxBackward(stream, dScoresCuda.data(), dProbs.data(), probsCpu.data(), scale, B, NH, T, T);
  report("attentionSoftmaxBackward", dScoresCuda, dScoresCpu, 1e-5);

  // Rows longer than a warp, as BERT's T = 128..512 are: at T = 77 every lane walks 2 or 3 keys and the last
  // stride is partial (T = 13 above leaves most lanes idle). Example 0 padded after 50 tokens, example 1 fully
  // masked; the backward from the forward's own probabilities, padded keys included.
  const int Bl = 2, NHl = 3, Tl = 77;
  std::vector<int32_t> longMask(Bl * Tl);
  for (int t = 0; t < Tl; ++t) {
    longMask[t] = t < 50;
    longMask[Tl + t] = 0;
  }
  Floats longScores = randomFloats(Bl * NHl * Tl * Tl, 8), longProbsCpu(longScores.size()),
         longProbsCuda(longScores.size());
  cpu::attentionSoftmaxForward(longProbsCpu.data(), longScores.data(), longMask.data(), scale, Bl, NHl, Tl, Tl);
  cuda::attentionSoftmaxForward(stream, longProbsCuda.data(), longScores.data(), longMask.data(), scale, Bl, NHl, Tl,
                                Tl);
  report("attentionSoftmaxForward.T77", longProbsCuda, longProbsCpu, 1e-6);
  Floats longDProbs = randomFloats(longScores.size()), longDScoresCpu(longScores.size()),
         longDScoresCuda(longScores.size());
  cpu::attentionSoftmaxBackward(longDScoresCpu.data(), longDProbs.data(), longProbsCpu.data(), scale, Bl, NHl, Tl,
                                Tl);
  cuda::attentionSoftmaxBackward(stream, longDScoresCuda.data(), longDProbs.data(), longProbsCpu.data(), scale, Bl,
                                 NHl, Tl, Tl);
  report("attentionSoftmaxBackward.T77", longDScoresCuda, longDScoresCpu, 1e-5);

  // One query per head (the first-token layer's composed attention): rows [B*NH, T], the mask row of each b.
  Floats firstScores = randomFloats(Bl * NHl * Tl, 8), firstProbsCpu(firstScores.size()),
         firstProbsCuda(firstScores.size());
  cpu::attentionSoftmaxForward(firstProbsCpu.data(), firstScores.data(), longMask.data(), scale, Bl, NHl, 1, Tl);
  cuda::attentionSoftmaxForward(stream, firstProbsCuda.data(), firstScores.data(), longMask.data(), scale, Bl, NHl, 1,
                                Tl);
  report("attentionSoftmaxForward.oneQuery", firstProbsCuda, firstProbsCpu, 1e-6);
  Floats firstDProbs = randomFloats(firstScores.size()), firstDScoresCpu(firstScores.size()),
         firstDScoresCuda(firstScores.size());
  cpu::attentionSoftmaxBackward(firstDScoresCpu.data(), firstDProbs.data(), firstProbsCpu.data(), scale, Bl, NHl, 1, Tl);
  cuda::attentionSoftmaxBackward(stream, firstDScoresCuda.data(), firstDProbs.data(), firstProbsCpu.data(), scale, Bl,
                                 NHl, 1, Tl);
  report("attentionSoftmaxBackward.oneQuery", firstDScoresCuda, firstDScoresCpu, 1e-5);
}

void dropoutMasks() {
  const int64_t n = 10007;  // not a multiple of the 4 elements per Philox block
  Floats in = randomFloats(n), outCpu(n), outCuda(n);
  const uint64_t seed = (1ull << 40) + 5;  // both key words in use
  cpu::dropout(outCpu.data(), in.data(), n, 0.1f, seed, 7, 3);
  cuda::dropout(stream, outCuda.data(), in.data(), n, 0.1f, seed, 7, 3);
  report("dropout", outCuda, outCpu, 0);
  // Rows whose counters start off the Philox blocks' 4-element grid (stride 4*k + 2).
  const int rows = 5, C = 37;
  const int64_t stride = 4 * 29 + 2;
  Floats rowsIn = randomFloats(rows * C), rowsCpu(rows * C), rowsCuda(rows * C);
  cpu::dropoutRows(rowsCpu.data(), rowsIn.data(), rows, C, stride, 0.1f, seed, 7, 3);
  cuda::dropoutRows(stream, rowsCuda.data(), rowsIn.data(), rows, C, stride, 0.1f, seed, 7, 3);
  report("dropoutRows", rowsCuda, rowsCpu, 0);
}

void embeddingsAndHead() {
  std::vector<int32_t> ids = randomInts(B * T, V), types = randomInts(B * T, 2);
  Floats word = randomFloats(V * H), position = randomFloats(T * H), tokenType = randomFloats(2 * H);
  Floats outCpu(B * T * H), outCuda(B * T * H);
  cpu::embeddingsForward(outCpu.data(), ids.data(), types.data(), word.data(), position.data(), tokenType.data(), B,
                         T, H);
  cuda::embeddingsForward(stream, outCuda.data(), ids.data(), types.data(), word.data(), position.data(),
                          tokenType.data(), B, T, H);
  report("embeddingsForward", outCuda, outCpu, 0);

  Floats hidden = randomFloats(B * T * H), clsCpu(B * H), clsCuda(B * H);
  cpu::gatherClsRows(clsCpu.data(), hidden.data(), B, T, H);
  cuda::gatherClsRows(stream, clsCuda.data(), hidden.data(), B, T, H);
  report("gatherClsRows", clsCuda, clsCpu, 0);
  Floats dHiddenCpu = randomFloats(B * T * H), dHiddenCuda = dHiddenCpu, dCls = randomFloats(B * H);
  cpu::scatterClsRows(dHiddenCpu.data(), dCls.data(), B, T, H);
  cuda::scatterClsRows(stream, dHiddenCuda.data(), dCls.data(), B, T, H);
  report("scatterClsRows", dHiddenCuda, dHiddenCpu, 0);

  std::vector<int32_t> labels{0, 2, 1, 1, 0};
  Floats logits = randomFloats(15, 5), lossCpu(5), lossCuda(5), probsCpu(15), probsCuda(15);
  cpu::crossEntropyForward(lossCpu.data(), probsCpu.data(), logits.data(), labels.data(), 5, 3);
  cuda::crossEntropyForward(stream, lossCuda.data(), probsCuda.data(), logits.data(), labels.data(), 5, 3);
  report("crossEntropyForward.losses", lossCuda, lossCpu, 1e-6);
  report("crossEntropyForward.probs", probsCuda, probsCpu, 1e-6);
  Floats dLogitsCpu(15), dLogitsCuda(15);
  cpu::crossEntropyBackward(dLogitsCpu.data(), probsCpu.data(), labels.data(), 0.2f, 5, 3);
  cuda::crossEntropyBackward(stream, dLogitsCuda.data(), probsCpu.data(), labels.data(), 0.2f, 5, 3);
  report("crossEntropyBackward", dLogitsCuda, dLogitsCpu, 0);

  // Ignored rows (-100, and C: a label outside [0, C)): zero loss and zero gradient on both backends.
  std::vector<int32_t> ignoring{0, -100, 1, 3, 2};
  cpu::crossEntropyForward(lossCpu.data(), probsCpu.data(), logits.data(), ignoring.data(), 5, 3);
  cuda::crossEntropyForward(stream, lossCuda.data(), probsCuda.data(), logits.data(), ignoring.data(), 5, 3);
  report("crossEntropyForward.ignored", lossCuda, lossCpu, 1e-6);
  cpu::crossEntropyBackward(dLogitsCpu.data(), probsCpu.data(), ignoring.data(), 0.2f, 5, 3);
  cuda::crossEntropyBackward(stream, dLogitsCuda.data(), probsCpu.data(), ignoring.data(), 0.2f, 5, 3);
  report("crossEntropyBackward.ignored", dLogitsCuda, dLogitsCpu, 0);
}

// The task heads' ops (model/heads): elementwise losses and sentence pooling, on shapes that are not multiples of
// the 256-thread blocks. Tolerances: 1e-6 where CUDA's expf/log1pf stand against libm's (the emulation runs libm,
// so this is the formula's check); 0 where both sum in the same order in fp32 (mean pooling) or double (norms).
void taskHeads() {
  const int64_t n = 300;
  Floats logits = randomFloats(n, 6), targets = randomFloats(n), lossCpu(n), lossCuda(n), dCpu(n), dCuda(n);
  Floats binary(n);
  for (int64_t i = 0; i < n; ++i) binary[i] = targets[i] > 0 ? 1.0f : 0.0f;
  cpu::bceWithLogitsForward(lossCpu.data(), logits.data(), binary.data(), n);
  cuda::bceWithLogitsForward(stream, lossCuda.data(), logits.data(), binary.data(), n);
  report("bceWithLogitsForward", lossCuda, lossCpu, 1e-6);
  cpu::bceWithLogitsBackward(dCpu.data(), logits.data(), binary.data(), 0.3f, n);
  cuda::bceWithLogitsBackward(stream, dCuda.data(), logits.data(), binary.data(), 0.3f, n);
  report("bceWithLogitsBackward", dCuda, dCpu, 1e-6);
  cpu::squaredErrorForward(lossCpu.data(), logits.data(), targets.data(), n);
  cuda::squaredErrorForward(stream, lossCuda.data(), logits.data(), targets.data(), n);
  report("squaredErrorForward", lossCuda, lossCpu, 0);
  cpu::squaredErrorBackward(dCpu.data(), logits.data(), targets.data(), 0.3f, n);
  cuda::squaredErrorBackward(stream, dCuda.data(), logits.data(), targets.data(), 0.3f, n);
  report("squaredErrorBackward", dCuda, dCpu, 0);

  const int B = 3, T = 7, H = 37;
  Floats hidden = randomFloats(B * T * H), pooledCpu(B * H), pooledCuda(B * H);
  std::vector<int32_t> mask(B * T, 0);
  for (int t = 0; t < T; ++t) mask[t] = 1;                 // full row
  for (int t = 0; t < 3; ++t) mask[T + t] = 1;             // padded row; the third row is all padding
  cpu::maskedMeanPool(pooledCpu.data(), hidden.data(), mask.data(), B, T, H);
  cuda::maskedMeanPool(stream, pooledCuda.data(), hidden.data(), mask.data(), B, T, H);
  report("maskedMeanPool", pooledCuda, pooledCpu, 0);
  Floats rowsCpu = randomFloats(B * H), rowsCuda = rowsCpu;
  cpu::l2NormalizeRows(rowsCpu.data(), B, H);
  cuda::l2NormalizeRows(stream, rowsCuda.data(), B, H);
  report("l2NormalizeRows", rowsCuda, rowsCpu, 0);
}

// One embedding backward (B x T rows of width Hb, vocabulary Vb) through both backends' ScatterPlan-ordered
// scatter, every table, then the word and token-type tables alone (the other null). Tolerances: 0 between CUDA and
// the CPU, which sum every table row in the plan's order (model/backend.h), and between two CUDA runs, the second
// with its partial-sum scratch filled with NaN first, so a partial read before it is written would show; 1e-6
// against a float64 scatter that ignores the plan: the fp32 rounding of sums of at most B*T values in [-1, 1]
// (observed <= 2e-7 relative to the largest entry here).
void embeddingsBackwardCase(const char* label, const std::vector<int32_t>& ids, const std::vector<int32_t>& types,
                            int Bb, int Tb, int Hb, int Vb) {
  const int rows = Bb * Tb;
  ScatterPlanBuilder wordPlanner, typePlanner;
  wordPlanner.build(ids.data(), rows);
  typePlanner.build(types.data(), rows);
  // Host memory is the emulated device's, so the plans are read straight from the builders' images.
  const ScatterPlan wordPlan = wordPlanner.on(wordPlanner.image().data());
  const ScatterPlan typePlan = typePlanner.on(typePlanner.image().data());
  const Floats dOut = randomFloats(static_cast<size_t>(rows) * Hb);
  const Floats word0 = randomFloats(static_cast<size_t>(Vb) * Hb);
  const Floats position0 = randomFloats(static_cast<size_t>(Tb) * Hb);
  const Floats type0 = randomFloats(2 * static_cast<size_t>(Hb));
  auto name = [&](const char* what) { return std::string("embeddingsBackward.") + label + "." + what; };

  Floats wordRef(word0.size()), typeRef(type0.size());
  {
    std::vector<double> word(word0.begin(), word0.end()), type(type0.begin(), type0.end());
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < Hb; ++c) {
        word[static_cast<size_t>(ids[r]) * Hb + c] += dOut[static_cast<size_t>(r) * Hb + c];
        type[static_cast<size_t>(types[r]) * Hb + c] += dOut[static_cast<size_t>(r) * Hb + c];
      }
    std::copy(word.begin(), word.end(), wordRef.begin());
    std::copy(type.begin(), type.end(), typeRef.begin());
  }

  Floats wordCpu = word0, positionCpu = position0, typeCpu = type0;
  cpu::embeddingsBackward(wordCpu.data(), positionCpu.data(), typeCpu.data(), dOut.data(), wordPlan, typePlan, Bb, Tb,
                          Hb);
  Floats wordCuda = word0, positionCuda = position0, typeCuda = type0;
  cuda::embeddingsBackward(stream, scratch, wordCuda.data(), positionCuda.data(), typeCuda.data(), dOut.data(),
                           wordPlan, typePlan, Bb, Tb, Hb);
  report(name("dWord").c_str(), wordCuda, wordCpu, 0);
  report(name("dPosition").c_str(), positionCuda, positionCpu, 0);
  report(name("dTokenType").c_str(), typeCuda, typeCpu, 0);
  report(name("dWord.vsFloat64").c_str(), wordCpu, wordRef, 1e-6);
  report(name("dTokenType.vsFloat64").c_str(), typeCpu, typeRef, 1e-6);

  std::fill(scratch.bytes.begin(), scratch.bytes.end(), char(0xff));  // all-ones bits: NaN as float
  Floats wordAgain = word0, typeAgain = type0;
  cuda::embeddingsBackward(stream, scratch, wordAgain.data(), nullptr, typeAgain.data(), dOut.data(), wordPlan,
                           typePlan, Bb, Tb, Hb);
  report(name("dWord.secondRun").c_str(), wordAgain, wordCuda, 0);
  report(name("dTokenType.secondRun").c_str(), typeAgain, typeCuda, 0);

  Floats wordOnly = word0, typeOnly = type0;
  cuda::embeddingsBackward(stream, scratch, wordOnly.data(), nullptr, nullptr, dOut.data(), wordPlan, ScatterPlan{},
                           Bb, Tb, Hb);
  cuda::embeddingsBackward(stream, scratch, nullptr, nullptr, typeOnly.data(), dOut.data(), ScatterPlan{}, typePlan,
                           Bb, Tb, Hb);
  report(name("dWord.alone").c_str(), wordOnly, wordCpu, 0);
  report(name("dTokenType.alone").c_str(), typeOnly, typeCpu, 0);
}

// Batches shaped like real ones, where the chunking matters: random ids of a tiny vocabulary (keys of one and of
// several chunks); padded sequences whose [PAD] id (0) runs over many chunks, a [CLS] id (1) in every sequence and
// both token types (the first half of each sequence type 0) over several chunks each, at a width of two column
// blocks that is not a multiple of the 256-thread block; and a batch of nothing but [PAD].
void embeddingsBackwardPlans() {
  embeddingsBackwardCase("random", randomInts(B * T, V), randomInts(B * T, 2), B, T, H, V);

  const int Bp = 4, Tp = 96, Hp = 300, Vp = 9;
  const int lengths[Bp] = {30, 50, 70, 95};
  std::vector<int32_t> ids(Bp * Tp), types(Bp * Tp);
  for (int b = 0; b < Bp; ++b)
    for (int t = 0; t < Tp; ++t) {
      ids[b * Tp + t] = t == 0 ? 1 : t < lengths[b] ? 2 + static_cast<int32_t>(rng() % (Vp - 2)) : 0;
      types[b * Tp + t] = t < Tp / 2 ? 0 : 1;
    }
  embeddingsBackwardCase("padded", ids, types, Bp, Tp, Hp, Vp);

  const int Ba = 2, Ta = 300;
  embeddingsBackwardCase("allPad", std::vector<int32_t>(Ba * Ta, 0), std::vector<int32_t>(Ba * Ta, 0), Ba, Ta, H, 3);
}

// The first `count` of `values`, placed so that the last one ends right before an unreadable page: a launcher that
// reads past an operand's last element (on a GPU: past the end of its allocation) crashes this run.
class GuardedFloats {
 public:
  GuardedFloats(const Floats& values, size_t count) : page_(static_cast<size_t>(sysconf(_SC_PAGESIZE))) {
    dataBytes_ = (count * sizeof(float) + page_ - 1) / page_ * page_;
    void* mapping = mmap(nullptr, dataBytes_ + page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapping == MAP_FAILED || mprotect(static_cast<char*>(mapping) + dataBytes_, page_, PROT_NONE) != 0) {
      std::perror("GuardedFloats");
      std::abort();
    }
    mapping_ = static_cast<char*>(mapping);
    data_ = reinterpret_cast<float*>(mapping_ + dataBytes_) - count;
    std::memcpy(data_, values.data(), count * sizeof(float));
  }
  ~GuardedFloats() { munmap(mapping_, dataBytes_ + page_); }
  GuardedFloats(const GuardedFloats&) = delete;
  GuardedFloats& operator=(const GuardedFloats&) = delete;
  const float* data() const { return data_; }

 private:
  size_t page_, dataBytes_ = 0;
  char* mapping_ = nullptr;
  float* data_ = nullptr;
};

// Row-major reference: C[M,N] = alpha * op(A) * op(B) + beta * C for matrix `i` of a batch.
void referenceGemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
                   const float* B, int ldb, float beta, float* C, int ldc) {
  for (int m = 0; m < M; ++m)
    for (int n = 0; n < N; ++n) {
      double sum = 0;
      for (int k = 0; k < K; ++k)
        sum += static_cast<double>(transA ? A[k * lda + m] : A[m * lda + k]) * (transB ? B[n * ldb + k] : B[k * ldb + n]);
      C[m * ldc + n] = static_cast<float>(alpha * sum + (beta == 0.0f ? 0.0 : static_cast<double>(beta) * C[m * ldc + n]));
    }
}

// gemm.cu's mapping onto cuBLAS, every transpose pair, row strides wider than the rows (a view into a bigger
// matrix, ending at its last element before an unreadable page, so the bf16 staging copy must not read the padding
// after the last row), beta accumulating, and a strided batch shaped like attention (Q K^T per head). fp32: the
// emulated cuBLAS accumulates in fp32 (fused multiply-adds in k order), the reference in double: K = 70 fp32
// roundings, measured 1e-7 to 3.5e-7 (1e-6). bf16: the operands are rounded to 8-bit mantissas in the staging
// buffer (1e-2, as test/cuda/precision.test.ts).
void gemms() {
  HostScratch staging;
  cublasHandle_t handle = nullptr;  // the emulated cuBLAS rejects a handle it did not create, as cuBLAS does
  cublasCreate(&handle);
  const GemmPrecision precisions[] = {GemmPrecision::Fp32, GemmPrecision::Bf16};
  for (GemmPrecision precision : precisions) {
    cuda::GemmContext ctx{handle, stream, precision, &staging};
    const double tolerance = precision == GemmPrecision::Fp32 ? 1e-6 : 1e-2;
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb) {
        const int M = 37, N = 45, K = 70, pad = 3;
        const int lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad, ldc = N + pad;
        Floats A = randomFloats((ta ? K : M) * lda), Bm = randomFloats((tb ? N : K) * ldb), C = randomFloats(M * ldc);
        Floats expected = C, actual = C;
        referenceGemm(ta, tb, M, N, K, 0.75f, A.data(), lda, Bm.data(), ldb, 0.5f, expected.data(), ldc);
        GuardedFloats viewA(A, static_cast<size_t>((ta ? K : M) - 1) * lda + (ta ? M : K));
        GuardedFloats viewB(Bm, static_cast<size_t>((tb ? N : K) - 1) * ldb + (tb ? K : N));
        cuda::gemm(ctx, ta, tb, M, N, K, 0.75f, viewA.data(), lda, 0, viewB.data(), ldb, 0, 0.5f, actual.data(), ldc, 0,
                   1);
        char name[64];
        std::snprintf(name, sizeof name, "gemm.%s.transA%d.transB%d", precision == GemmPrecision::Fp32 ? "fp32" : "bf16",
                      ta, tb);
        report(name, actual, expected, tolerance);
      }
    const int batch = B * NH;
    Floats q = randomFloats(batch * T * D), k = randomFloats(batch * T * D), expected(batch * T * T),
           actual(batch * T * T);
    for (int i = 0; i < batch; ++i)
      referenceGemm(false, true, T, T, D, 0.3f, q.data() + i * T * D, D, k.data() + i * T * D, D, 0.0f,
                    expected.data() + i * T * T, T);
    std::fill(actual.begin(), actual.end(), NAN);  // beta == 0: C must be write-only
    cuda::gemm(ctx, false, true, T, T, D, 0.3f, q.data(), D, T * D, k.data(), D, T * D, 0.0f, actual.data(), T, T * T,
               batch);
    report(precision == GemmPrecision::Fp32 ? "gemmStridedBatched.fp32" : "gemmStridedBatched.bf16", actual, expected,
           tolerance);
  }
  cublasDestroy(handle);
}

void adamw() {
  const int n = 5003;
  Floats paramCpu = randomFloats(n), grad = randomFloats(n, 0.01f), mCpu = randomFloats(n, 0.001f),
         vCpu = randomFloats(n, 1e-6f);
  for (float& x : vCpu) x = std::fabs(x);
  Floats paramCuda = paramCpu, mCuda = mCpu, vCuda = vCpu;
  const float bc1 = 1.0f - std::pow(0.9f, 3.0f), bc2 = 1.0f - std::pow(0.999f, 3.0f);
  cpu::adamwUpdate(paramCpu.data(), grad.data(), mCpu.data(), vCpu.data(), n, 2e-5f, 0.9f, 0.999f, 1e-8f, 0.01f, 0.7f,
                   bc1, bc2);
  cuda::adamwUpdate(stream, paramCuda.data(), grad.data(), mCuda.data(), vCuda.data(), n, 2e-5f, 0.9f, 0.999f, 1e-8f,
                    0.01f, 0.7f, bc1, bc2);
  report("adamwUpdate.param", paramCuda, paramCpu, 0);
  report("adamwUpdate.m", mCuda, mCpu, 0);
  report("adamwUpdate.v", vCuda, vCpu, 0);
}

}  // namespace

int main() {
  elementwise();
  layerNorm(C);
  layerNorm(768);
  attention();
  dropoutMasks();
  embeddingsAndHead();
  taskHeads();
  embeddingsBackwardPlans();
  adamw();
  gemms();
  return 0;
}
