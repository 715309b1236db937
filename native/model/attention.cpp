// The composed attention core (model/attention.h): B*NH strided-batched GEMMs over the [Q,D] and [T,D] head matrices
// around the masked softmax, with the dropout mask regenerated from its counter in the backward.
#include "model/attention.h"

#include <cmath>
#include <stdexcept>

#include "model/dropout.h"

namespace bertnode {
namespace {

// The per-head products: Q query rows and T key rows of D per (b, head), B*NH of them.
struct HeadGemm {
  int Q, T, D, count;
  int64_t queryStride, keyStride, attentionStride;
};

HeadGemm headGemm(const Dims& d, int Q) {
  if (Q != d.T && Q != 1) throw std::logic_error("composed attention takes T queries or one");
  return {Q, d.T, d.D, d.B * d.NH, static_cast<int64_t>(Q) * d.D, static_cast<int64_t>(d.T) * d.D,
          static_cast<int64_t>(Q) * d.T};
}

// dropout(x) into `out` with the [B,NH,T,T] tensor's masks: the whole tensor, or (one query) its rows (b, h, 0).
void dropProbabilities(Backend& be, float* out, const float* x, const HeadGemm& g, const AttentionDropout& drop) {
  if (g.Q == g.T) return be.dropout(out, x, g.attentionStride * g.count, drop.p, drop.seed, drop.step, drop.site);
  be.dropoutRows(out, x, g.count, g.T, static_cast<int64_t>(g.T) * g.T, drop.p, drop.seed, drop.step, drop.site);
}

// dropout(probs) into `dropped` when the layer drops probabilities, else probs itself.
const float* droppedProbabilities(Backend& be, float* dropped, const float* probs, const HeadGemm& g,
                                  const AttentionDropout& drop) {
  if (drop.p <= 0.0f) return probs;
  dropProbabilities(be, dropped, probs, g, drop);
  return dropped;
}

}  // namespace

float attentionScale(const Dims& d) { return 1.0f / std::sqrt(static_cast<float>(d.D)); }

AttentionDropout attentionDropout(const LayerDropout& drop, const DropoutKey& key) {
  return {dropoutActive(drop.attentionP, key) ? drop.attentionP : 0.0f, key.seed, key.step, drop.probsSite};
}

const float* composedAttentionForward(Backend& be, float* heads, float* probs, float* dropped, const float* qh,
                                      const float* kh, const float* vh, const int32_t* mask, const Dims& d, int Q,
                                      const AttentionDropout& drop) {
  const HeadGemm g = headGemm(d, Q);
  // scores = Q K^T, then probs = softmax(scores / sqrt(D) with the mask), in place.
  be.gemmStridedBatched(false, true, g.Q, g.T, g.D, 1.0f, qh, g.D, g.queryStride, kh, g.D, g.keyStride, 0.0f, probs,
                        g.T, g.attentionStride, g.count);
  be.attentionSoftmaxForward(probs, probs, mask, attentionScale(d), d.B, d.NH, g.Q, g.T);
  const float* used = droppedProbabilities(be, dropped, probs, g, drop);
  be.gemmStridedBatched(false, false, g.Q, g.D, g.T, 1.0f, used, g.T, g.attentionStride, vh, g.D, g.keyStride,
                        0.0f, heads, g.D, g.queryStride, g.count);
  return used;
}

void composedAttentionBackward(Backend& be, float* dqh, float* dkh, float* dvh, const float* dHeads,
                               const float* qh, const float* kh, const float* vh, const float* probs, float* dropped,
                               float* dScores, const Dims& d, int Q, const AttentionDropout& drop) {
  const HeadGemm g = headGemm(d, Q);
  // context = dropout(P) V: the dropped probabilities are regenerated from the saved P.
  const float* used = droppedProbabilities(be, dropped, probs, g, drop);
  be.gemmStridedBatched(true, false, g.T, g.D, g.Q, 1.0f, used, g.T, g.attentionStride, dHeads, g.D, g.queryStride,
                        0.0f, dvh, g.D, g.keyStride, g.count);  // dV
  be.gemmStridedBatched(false, true, g.Q, g.T, g.D, 1.0f, dHeads, g.D, g.queryStride, vh, g.D, g.keyStride, 0.0f,
                        dScores, g.T, g.attentionStride, g.count);  // d(dropped P)
  if (drop.p > 0.0f) dropProbabilities(be, dScores, dScores, g, drop);
  be.attentionSoftmaxBackward(dScores, dScores, probs, attentionScale(d), d.B, d.NH, g.Q, g.T);  // d(Q K^T)
  be.gemmStridedBatched(true, false, g.T, g.D, g.Q, 1.0f, dScores, g.T, g.attentionStride, qh, g.D, g.queryStride,
                        0.0f, dkh, g.D, g.keyStride, g.count);  // dK
  be.gemmStridedBatched(false, false, g.Q, g.D, g.T, 1.0f, dScores, g.T, g.attentionStride, kh, g.D, g.keyStride,
                        0.0f, dqh, g.D, g.queryStride, g.count);  // dQ, last: it may overwrite dHeads
}

}  // namespace bertnode
