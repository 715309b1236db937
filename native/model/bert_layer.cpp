// BertLayer: self-attention (Q/K/V linears, scaled dot-product with the padding mask, dropout on the probabilities),
// output projection + dropout + residual + LayerNorm, then GELU MLP + dropout + residual + LayerNorm.
//
// Shapes: in/out [N,H]; per-head tensors [B,NH,T,D]; attention [B,NH,T,T]; MLP [N,I]; mask [B,T].
// Attention products run as B*NH strided-batched GEMMs over the [T,D] head matrices.
#include <cmath>

#include "model/dropout.h"
#include "model/layers.h"

namespace bertnode {
namespace {

struct HeadGemm {
  int T, D, count;
  int64_t headStride, attentionStride;
};

HeadGemm headGemm(const Dims& d) {
  return {d.T, d.D, d.B * d.NH, static_cast<int64_t>(d.T) * d.D, static_cast<int64_t>(d.T) * d.T};
}

}  // namespace

const float* encoderLayerForward(Backend& be, const EncoderLayerParams& p, const EncoderLayerActivations& a,
                                 const EncoderScratch& s, const float* in, const int32_t* mask, const Dims& d,
                                 float eps, const LayerDropout& drop, const DropoutKey& key) {
  const HeadGemm g = headGemm(d);
  const int64_t rowsSize = static_cast<int64_t>(d.N) * d.H;
  const int64_t attentionSize = g.attentionStride * g.count;

  linearForward(be, p.query, s.rows, in, d.N, d.H, d.H);
  be.splitHeads(a.qh, s.rows, d.B, d.T, d.NH, d.D);
  linearForward(be, p.key, s.rows, in, d.N, d.H, d.H);
  be.splitHeads(a.kh, s.rows, d.B, d.T, d.NH, d.D);
  linearForward(be, p.value, s.rows, in, d.N, d.H, d.H);
  be.splitHeads(a.vh, s.rows, d.B, d.T, d.NH, d.D);

  // scores = Q K^T, then probs = softmax(scores / sqrt(D) with the mask), in place.
  be.gemmStridedBatched(false, true, g.T, g.T, g.D, 1.0f, a.qh, g.D, g.headStride, a.kh, g.D, g.headStride, 0.0f,
                        a.probs, g.T, g.attentionStride, g.count);
  be.attentionSoftmaxForward(a.probs, a.probs, mask, 1.0f / std::sqrt(static_cast<float>(d.D)), d.B, d.NH, d.T);
  const float* used = a.probs;
  if (dropoutActive(drop.attentionP, key)) {
    be.dropout(s.scores, a.probs, attentionSize, drop.attentionP, key.seed, key.step, drop.probsSite);
    used = s.scores;
  }
  be.gemmStridedBatched(false, false, g.T, g.D, g.T, 1.0f, used, g.T, g.attentionStride, a.vh, g.D, g.headStride,
                        0.0f, s.heads, g.D, g.headStride, g.count);
  be.mergeHeads(a.context, s.heads, d.B, d.T, d.NH, d.D);

  // BertSelfOutput: LayerNorm(dropout(dense(context)) + in).
  linearForward(be, p.attentionOutput, s.rows, a.context, d.N, d.H, d.H);
  dropoutInPlace(be, s.rows, rowsSize, drop.hiddenP, drop.attentionOutputSite, key);
  be.add(a.residual1, s.rows, in, rowsSize);
  be.layerNormForward(a.hidden1, a.mean1, a.rstd1, a.residual1, p.attentionNorm.gamma, p.attentionNorm.beta, d.N,
                      d.H, eps);

  // BertIntermediate + BertOutput: LayerNorm(dropout(dense(gelu(dense(hidden1)))) + hidden1).
  linearForward(be, p.intermediate, a.preGelu, a.hidden1, d.N, d.H, d.I);
  be.geluForward(a.gelu, a.preGelu, static_cast<int64_t>(d.N) * d.I);
  linearForward(be, p.output, s.rows, a.gelu, d.N, d.I, d.H);
  dropoutInPlace(be, s.rows, rowsSize, drop.hiddenP, drop.outputSite, key);
  be.add(a.residual2, s.rows, a.hidden1, rowsSize);
  be.layerNormForward(a.out, a.mean2, a.rstd2, a.residual2, p.outputNorm.gamma, p.outputNorm.beta, d.N, d.H, eps);
  return used;
}

void encoderLayerBackward(Backend& be, const EncoderLayerParams& p, const EncoderLayerActivations& a,
                          const EncoderScratch& s, const float* in, float* dOut, float* dIn, const Dims& d,
                          const LayerDropout& drop, const DropoutKey& key) {
  const HeadGemm g = headGemm(d);
  const int64_t rowsSize = static_cast<int64_t>(d.N) * d.H;
  const int64_t attentionSize = g.attentionStride * g.count;
  const size_t rowsBytes = sizeof(float) * static_cast<size_t>(rowsSize);

  // Output LayerNorm: dOut becomes d(residual2), which flows both into the MLP branch and on to hidden1.
  be.layerNormBackward(dOut, p.outputNorm.dGamma, p.outputNorm.dBeta, dOut, a.residual2, p.outputNorm.gamma,
                       a.mean2, a.rstd2, d.N, d.H);
  const float* dOutputDense = dropoutInto(be, s.rows, dOut, rowsSize, drop.hiddenP, drop.outputSite, key);
  linearBackward(be, p.output, s.wide, 0.0f, dOutputDense, a.gelu, d.N, d.I, d.H);
  be.geluBackward(s.wide, s.wide, a.preGelu, static_cast<int64_t>(d.N) * d.I);
  linearBackward(be, p.intermediate, dOut, 1.0f, s.wide, a.hidden1, d.N, d.H, d.I);

  // Attention LayerNorm: dOut becomes d(residual1) = the residual gradient of `in` plus the attention branch's.
  be.layerNormBackward(dOut, p.attentionNorm.dGamma, p.attentionNorm.dBeta, dOut, a.residual1,
                       p.attentionNorm.gamma, a.mean1, a.rstd1, d.N, d.H);
  const float* dAttentionDense =
      dropoutInto(be, s.rows, dOut, rowsSize, drop.hiddenP, drop.attentionOutputSite, key);
  linearBackward(be, p.attentionOutput, s.rows2, 0.0f, dAttentionDense, a.context, d.N, d.H, d.H);
  be.splitHeads(s.heads, s.rows2, d.B, d.T, d.NH, d.D);  // d(context) per head

  // context = dropout(P) V: the dropped probabilities are regenerated from the saved P.
  const float* used = a.probs;
  if (dropoutActive(drop.attentionP, key)) {
    be.dropout(s.scores, a.probs, attentionSize, drop.attentionP, key.seed, key.step, drop.probsSite);
    used = s.scores;
  }
  be.gemmStridedBatched(true, false, g.T, g.D, g.T, 1.0f, used, g.T, g.attentionStride, s.heads, g.D, g.headStride,
                        0.0f, s.heads3, g.D, g.headStride, g.count);  // dV
  be.gemmStridedBatched(false, true, g.T, g.T, g.D, 1.0f, s.heads, g.D, g.headStride, a.vh, g.D, g.headStride, 0.0f,
                        s.scores2, g.T, g.attentionStride, g.count);  // d(dropped P)
  dropoutInPlace(be, s.scores2, attentionSize, drop.attentionP, drop.probsSite, key);
  be.attentionSoftmaxBackward(s.scores2, s.scores2, a.probs, 1.0f / std::sqrt(static_cast<float>(d.D)), d.B, d.NH,
                              d.T);  // d(scores) = d(Q K^T)
  be.gemmStridedBatched(false, false, g.T, g.D, g.T, 1.0f, s.scores2, g.T, g.attentionStride, a.kh, g.D,
                        g.headStride, 0.0f, s.heads, g.D, g.headStride, g.count);  // dQ
  be.gemmStridedBatched(true, false, g.T, g.D, g.T, 1.0f, s.scores2, g.T, g.attentionStride, a.qh, g.D,
                        g.headStride, 0.0f, s.heads2, g.D, g.headStride, g.count);  // dK

  // dIn = d(residual1) + the three projections' input gradients.
  if (dIn) be.copy(dIn, dOut, rowsBytes);
  const Linear* projections[3] = {&p.query, &p.key, &p.value};
  const float* headGrads[3] = {s.heads, s.heads2, s.heads3};
  for (int i = 0; i < 3; ++i) {
    be.mergeHeads(s.rows, headGrads[i], d.B, d.T, d.NH, d.D);
    linearBackward(be, *projections[i], dIn, 1.0f, s.rows, in, d.N, d.H, d.H);
  }
}

}  // namespace bertnode
