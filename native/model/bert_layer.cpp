// BertLayer: self-attention (Q/K/V linears, scaled dot-product with the padding mask, dropout on the probabilities),
// output projection + dropout + residual + LayerNorm, then GELU MLP + dropout + residual + LayerNorm.
//
// Shapes: in/out [N,H]; per-head tensors [B,NH,T,D]; attention [B,NH,T,T]; MLP [N,I]; mask [B,T].
// The attention core (model/attention.h) runs fused when the backend has it and no one wants this layer's
// probabilities, composed otherwise; which one ran shows in the activations (probs set: composed).
//
// The first-token layer (a.firstIn set) is the same layer for a caller that reads only each sequence's [CLS] row:
// every key and value, but the query, the attention output, both LayerNorms and the MLP for the B [CLS] rows alone
// (M = B rows past the attention instead of N). Those rows get the full layer's numbers — dropout included: their
// masks are the full tensors' rows (Backend::dropoutRows).
#include <stdexcept>

#include "model/attention.h"
#include "model/dropout.h"
#include "model/layers.h"

namespace bertnode {
namespace {

bool firstTokenLayer(const EncoderLayerActivations& a) { return a.firstIn != nullptr; }

// Rows past the attention: all N, or the first-token layer's B.
int outputRows(const EncoderLayerActivations& a, const Dims& d) { return firstTokenLayer(a) ? d.B : d.N; }

// dropout(in) over M rows of [.,H] into out (or `in` itself when inactive): the first-token layer's rows are the
// [CLS] rows of the [N,H] tensor whose masks they take.
const float* dropRows(Backend& be, const EncoderLayerActivations& a, float* out, const float* in, const Dims& d,
                      float p, uint32_t site, const DropoutKey& key) {
  if (!firstTokenLayer(a)) return dropoutInto(be, out, in, static_cast<int64_t>(d.N) * d.H, p, site, key);
  if (!dropoutActive(p, key)) return in;
  be.dropoutRows(out, in, d.B, d.H, static_cast<int64_t>(d.T) * d.H, p, key.seed, key.step, site);
  return out;
}

// The end of BertSelfOutput / BertOutput: LayerNorm(dropout(branch) + in) over the layer's output rows (branch is
// scratch: the first-token layer drops it in place first).
void dropoutAddNorm(Backend& be, const EncoderLayerActivations& a, float* out, float* residual, float* mean,
                    float* rstd, float* branch, const float* in, const Norm& norm, const Dims& d, float eps, float p,
                    uint32_t site, const DropoutKey& key) {
  if (!dropoutActive(p, key)) p = 0.0f;
  if (firstTokenLayer(a) && p > 0.0f) {
    dropRows(be, a, branch, branch, d, p, site, key);
    p = 0.0f;
  }
  be.dropoutAddLayerNorm(out, residual, mean, rstd, branch, in, norm.gamma, norm.beta, outputRows(a, d), d.H, eps, p,
                         key.seed, key.step, site);
}

}  // namespace

const float* encoderLayerForward(Backend& be, const EncoderLayerParams& p, const EncoderLayerActivations& a,
                                 const EncoderScratch& s, const float* in, const int32_t* mask, const Dims& d,
                                 float eps, const LayerDropout& drop, const DropoutKey& key, bool wantProbs) {
  const AttentionDropout attentionDrop = attentionDropout(drop, key);
  FusedAttention* fused = !wantProbs && a.rowStats ? be.fusedAttention() : nullptr;
  const int M = outputRows(a, d), Q = M / d.B;  // Q queries per sequence
  const float* rowsIn = in;  // the input rows that go on past the attention: their residual
  if (firstTokenLayer(a)) {
    be.gatherClsRows(a.firstIn, in, d.B, d.T, d.H);
    rowsIn = a.firstIn;
  }
  const float* used = nullptr;
  if (a.qBf16) {
    // q, k and v rounded to bf16 as their linears' epilogue; the context comes out of the op as bf16 too.
    if (!fused) throw std::logic_error("encoderLayerForward: bf16 attention operands need the fused attention");
    linearForward(be, p.query, a.qBf16, s.rows, rowsIn, M, d.H, d.H);
    linearForward(be, p.key, a.kBf16, s.rows, in, d.N, d.H, d.H);
    linearForward(be, p.value, a.vBf16, s.rows, in, d.N, d.H, d.H);
    fused->attentionForwardBf16(a.contextBf16, a.rowStats, a.qBf16, a.kBf16, a.vBf16, mask, attentionScale(d),
                                {d.B, d.NH, d.T, d.D, Q}, attentionDrop);
  } else if (fused) {
    // The linears' rows are the fused op's layout: no head split or merge.
    linearForward(be, p.query, a.qh, rowsIn, M, d.H, d.H);
    linearForward(be, p.key, a.kh, in, d.N, d.H, d.H);
    linearForward(be, p.value, a.vh, in, d.N, d.H, d.H);
    fused->attentionForward(a.context, a.rowStats, a.qh, a.kh, a.vh, mask, attentionScale(d),
                            {d.B, d.NH, d.T, d.D, Q}, attentionDrop);
  } else {
    linearForward(be, p.query, s.rows, rowsIn, M, d.H, d.H);
    be.splitHeads(a.qh, s.rows, d.B, Q, d.NH, d.D);
    linearForward(be, p.key, s.rows, in, d.N, d.H, d.H);
    be.splitHeads(a.kh, s.rows, d.B, d.T, d.NH, d.D);
    linearForward(be, p.value, s.rows, in, d.N, d.H, d.H);
    be.splitHeads(a.vh, s.rows, d.B, d.T, d.NH, d.D);
    used = composedAttentionForward(be, s.heads, a.probs, s.scores, a.qh, a.kh, a.vh, mask, d, Q, attentionDrop);
    be.mergeHeads(a.context, s.heads, d.B, Q, d.NH, d.D);
  }

  // BertSelfOutput: LayerNorm(dropout(dense(context)) + in).
  if (a.contextBf16) {
    linearForward(be, p.attentionOutput, s.rows, a.contextBf16, M, d.H, d.H);
  } else {
    linearForward(be, p.attentionOutput, s.rows, a.context, M, d.H, d.H);
  }
  dropoutAddNorm(be, a, a.hidden1, a.residual1, a.mean1, a.rstd1, s.rows, rowsIn, p.attentionNorm, d, eps,
                 drop.hiddenP, drop.attentionOutputSite, key);

  // BertIntermediate + BertOutput: LayerNorm(dropout(dense(gelu(dense(hidden1)))) + hidden1).
  const int64_t wide = static_cast<int64_t>(M) * d.I;
  if (a.geluDerivative) {  // a backward will read this layer: it keeps gelu' of the dense output, not the output
    linearForward(be, p.intermediate, a.geluDerivative, a.hidden1, M, d.H, d.I);
    if (a.geluBf16) {
      be.geluForwardWithDerivativeBf16(a.geluBf16, a.geluDerivative, a.geluDerivative, wide);
    } else {
      be.geluForwardWithDerivative(a.gelu, a.geluDerivative, a.geluDerivative, wide);
    }
  } else {
    linearForward(be, p.intermediate, a.gelu, a.hidden1, M, d.H, d.I);
    be.geluForward(a.gelu, a.gelu, wide);
  }
  if (a.geluBf16) {
    linearForward(be, p.output, s.rows, a.geluBf16, M, d.I, d.H);
  } else {
    linearForward(be, p.output, s.rows, a.gelu, M, d.I, d.H);
  }
  dropoutAddNorm(be, a, a.out, a.residual2, a.mean2, a.rstd2, s.rows, a.hidden1, p.outputNorm, d, eps, drop.hiddenP,
                 drop.outputSite, key);
  return used;
}

void encoderLayerInferenceBf16(Backend& be, Bf16Activations& linears, const EncoderLayerParams& p,
                               const void* const packed[6], const EncoderLayerActivations& a, const EncoderScratch& s,
                               const float* in, const int32_t* mask, const Dims& d, float eps) {
  const int64_t rowsSize = static_cast<int64_t>(d.N) * d.H;
  auto run = [&](const Linear& lin, const void* weight, const uint16_t* x, int inSize, int outSize, Bf16LinearArgs args) {
    args.x = x;
    args.packedWeight = weight;
    args.bias = lin.bias;
    args.rows = d.N;
    args.in = inSize;
    args.out = outSize;
    linears.linear(args);
  };
  auto fp32Out = [](float* y, const float* residual = nullptr) {
    Bf16LinearArgs args;
    args.y = y;
    args.residual = residual;
    return args;
  };
  auto bf16Out = [](uint16_t* y) {
    Bf16LinearArgs args;
    args.yBf16 = y;
    return args;
  };
  uint16_t* const qkv[3] = {s.qkvBf16, s.qkvBf16 + rowsSize, s.qkvBf16 + 2 * rowsSize};
  linears.toBf16(s.rowsBf16, in, rowsSize);
  run(p.query, packed[0], s.rowsBf16, d.H, d.H, bf16Out(qkv[0]));
  run(p.key, packed[1], s.rowsBf16, d.H, d.H, bf16Out(qkv[1]));
  run(p.value, packed[2], s.rowsBf16, d.H, d.H, bf16Out(qkv[2]));
  linears.attention(s.rowsBf16, qkv[0], qkv[1], qkv[2], mask, attentionScale(d), {d.B, d.NH, d.T, d.D, d.T});

  // BertSelfOutput: LayerNorm(dense(context) + in).
  run(p.attentionOutput, packed[3], s.rowsBf16, d.H, d.H, fp32Out(a.residual1, in));
  be.layerNormForward(a.hidden1, nullptr, nullptr, a.residual1, p.attentionNorm.gamma, p.attentionNorm.beta, d.N,
                      d.H, eps);

  // BertIntermediate + BertOutput: LayerNorm(dense(gelu(dense(hidden1))) + hidden1).
  linears.toBf16(s.rowsBf16, a.hidden1, rowsSize);
  Bf16LinearArgs toGelu;
  toGelu.yBf16 = s.wideBf16;
  toGelu.gelu = true;
  run(p.intermediate, packed[4], s.rowsBf16, d.H, d.I, toGelu);
  run(p.output, packed[5], s.wideBf16, d.I, d.H, fp32Out(a.residual2, a.hidden1));
  be.layerNormForward(a.out, nullptr, nullptr, a.residual2, p.outputNorm.gamma, p.outputNorm.beta, d.N, d.H, eps);
}

void encoderLayerBackward(Backend& be, const EncoderLayerParams& p, const EncoderLayerActivations& a,
                          const EncoderScratch& s, const float* in, const int32_t* mask, float* dOut, float* dIn,
                          const Dims& d, const LayerDropout& drop, const DropoutKey& key) {
  const int M = outputRows(a, d), Q = M / d.B;
  const size_t rowsBytes = sizeof(float) * static_cast<size_t>(d.N) * d.H;

  // Output LayerNorm: dOut becomes d(residual2), which flows both into the MLP branch and on to hidden1.
  be.layerNormBackward(dOut, p.outputNorm.dGamma, p.outputNorm.dBeta, dOut, a.residual2, p.outputNorm.gamma,
                       a.mean2, a.rstd2, M, d.H);
  const float* dOutputDense = dropRows(be, a, s.rows, dOut, d, drop.hiddenP, drop.outputSite, key);
  if (a.geluBf16) {
    linearBackward(be, p.output, s.wide, 0.0f, dOutputDense, a.geluBf16, M, d.I, d.H);
  } else {
    linearBackward(be, p.output, s.wide, 0.0f, dOutputDense, a.gelu, M, d.I, d.H);
  }
  if (!a.geluDerivative) throw std::logic_error("encoderLayerBackward: the layer's forward kept no GELU derivative");
  be.multiply(s.wide, s.wide, a.geluDerivative, static_cast<int64_t>(M) * d.I);  // geluBackward's bits
  linearBackward(be, p.intermediate, dOut, 1.0f, s.wide, a.hidden1, M, d.H, d.I);

  // Attention LayerNorm: dOut becomes d(residual1) = the residual gradient of `in` plus the attention branch's.
  be.layerNormBackward(dOut, p.attentionNorm.dGamma, p.attentionNorm.dBeta, dOut, a.residual1,
                       p.attentionNorm.gamma, a.mean1, a.rstd1, M, d.H);
  const float* dAttentionDense = dropRows(be, a, s.rows, dOut, d, drop.hiddenP, drop.attentionOutputSite, key);
  if (a.contextBf16) {
    linearBackward(be, p.attentionOutput, s.rows2, 0.0f, dAttentionDense, a.contextBf16, M, d.H, d.H);
  } else {
    linearBackward(be, p.attentionOutput, s.rows2, 0.0f, dAttentionDense, a.context, M, d.H, d.H);
  }
  // d(Q), d(K), d(V): rows from the fused op, per head from the composed one ([.,H] / [B,NH,.,D]: Q query positions,
  // T keys).
  float* const headGrads[3] = {s.heads, s.heads2, s.heads3};
  const AttentionDropout attentionDrop = attentionDropout(drop, key);
  FusedAttention* fused = a.probs ? nullptr : be.fusedAttention();  // a layer without probabilities ran fused
  if (fused && a.qBf16) {
    fused->attentionBackwardBf16(s.heads, s.heads2, s.heads3, s.rows2, a.qBf16, a.kBf16, a.vBf16, a.rowStats, mask,
                                 attentionScale(d), {d.B, d.NH, d.T, d.D, Q}, attentionDrop);
  } else if (fused) {
    fused->attentionBackward(s.heads, s.heads2, s.heads3, s.rows2, a.qh, a.kh, a.vh, a.rowStats, mask,
                             attentionScale(d), {d.B, d.NH, d.T, d.D, Q}, attentionDrop);
  } else {
    be.splitHeads(s.heads, s.rows2, d.B, Q, d.NH, d.D);  // d(context) per head
    composedAttentionBackward(be, s.heads, s.heads2, s.heads3, s.heads, a.qh, a.kh, a.vh, a.probs, s.scores,
                              s.scores2, d, Q, attentionDrop);
  }
  // Projection i's output gradient as rows [., H] (the composed op's merged from per head, into s.rows).
  auto rowsGrad = [&](int i, int positions) -> const float* {
    if (fused) return headGrads[i];
    be.mergeHeads(s.rows, headGrads[i], d.B, positions, d.NH, d.D);
    return s.rows;
  };

  // dIn = d(residual1) + the three projections' input gradients. The first-token layer's query and residual reach
  // the [CLS] rows only: their sum, in the same order, lands there, and the other rows start from zero.
  const Linear* projections[3] = {&p.query, &p.key, &p.value};
  int first = 0;
  if (firstTokenLayer(a)) {
    linearBackward(be, p.query, dIn ? dOut : nullptr, 1.0f, rowsGrad(0, Q), a.firstIn, M, d.H, d.H);
    if (dIn) {
      be.zero(dIn, rowsBytes);
      be.scatterClsRows(dIn, dOut, d.B, d.T, d.H);
    }
    first = 1;
  } else if (dIn) {
    be.copy(dIn, dOut, rowsBytes);
  }
  for (int i = first; i < 3; ++i) linearBackward(be, *projections[i], dIn, 1.0f, rowsGrad(i, d.T), in, d.N, d.H, d.H);
}

}  // namespace bertnode
