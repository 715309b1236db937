// The composed attention core (model/attention.h): B*NH strided-batched GEMMs over the [T,D] head matrices around
// the masked softmax, with the dropout mask regenerated from its counter in the backward.
#include "model/attention.h"

#include <cmath>

#include "model/dropout.h"

namespace bertnode {
namespace {

struct HeadGemm {
  int T, D, count;
  int64_t headStride, attentionStride;
};

HeadGemm headGemm(const Dims& d) {
  return {d.T, d.D, d.B * d.NH, static_cast<int64_t>(d.T) * d.D, static_cast<int64_t>(d.T) * d.T};
}

// dropout(probs) into `dropped` when the layer drops probabilities, else probs itself.
const float* droppedProbabilities(Backend& be, float* dropped, const float* probs, const HeadGemm& g,
                                  const AttentionDropout& drop) {
  if (drop.p <= 0.0f) return probs;
  be.dropout(dropped, probs, g.attentionStride * g.count, drop.p, drop.seed, drop.step, drop.site);
  return dropped;
}

}  // namespace

float attentionScale(const Dims& d) { return 1.0f / std::sqrt(static_cast<float>(d.D)); }

AttentionDropout attentionDropout(const LayerDropout& drop, const DropoutKey& key) {
  return {dropoutActive(drop.attentionP, key) ? drop.attentionP : 0.0f, key.seed, key.step, drop.probsSite};
}

const float* composedAttentionForward(Backend& be, float* heads, float* probs, float* dropped, const float* qh,
                                      const float* kh, const float* vh, const int32_t* mask, const Dims& d,
                                      const AttentionDropout& drop) {
  const HeadGemm g = headGemm(d);
  // scores = Q K^T, then probs = softmax(scores / sqrt(D) with the mask), in place.
  be.gemmStridedBatched(false, true, g.T, g.T, g.D, 1.0f, qh, g.D, g.headStride, kh, g.D, g.headStride, 0.0f, probs,
                        g.T, g.attentionStride, g.count);
  be.attentionSoftmaxForward(probs, probs, mask, attentionScale(d), d.B, d.NH, d.T);
  const float* used = droppedProbabilities(be, dropped, probs, g, drop);
  be.gemmStridedBatched(false, false, g.T, g.D, g.T, 1.0f, used, g.T, g.attentionStride, vh, g.D, g.headStride,
                        0.0f, heads, g.D, g.headStride, g.count);
  return used;
}

void composedAttentionBackward(Backend& be, float* dqh, float* dkh, float* dvh, const float* dHeads,
                               const float* qh, const float* kh, const float* vh, const float* probs, float* dropped,
                               float* dScores, const Dims& d, const AttentionDropout& drop) {
  const HeadGemm g = headGemm(d);
  // context = dropout(P) V: the dropped probabilities are regenerated from the saved P.
  const float* used = droppedProbabilities(be, dropped, probs, g, drop);
  be.gemmStridedBatched(true, false, g.T, g.D, g.T, 1.0f, used, g.T, g.attentionStride, dHeads, g.D, g.headStride,
                        0.0f, dvh, g.D, g.headStride, g.count);  // dV
  be.gemmStridedBatched(false, true, g.T, g.T, g.D, 1.0f, dHeads, g.D, g.headStride, vh, g.D, g.headStride, 0.0f,
                        dScores, g.T, g.attentionStride, g.count);  // d(dropped P)
  if (drop.p > 0.0f) {
    be.dropout(dScores, dScores, g.attentionStride * g.count, drop.p, drop.seed, drop.step, drop.site);
  }
  be.attentionSoftmaxBackward(dScores, dScores, probs, attentionScale(d), d.B, d.NH, d.T);  // d(scores) = d(Q K^T)
  be.gemmStridedBatched(true, false, g.T, g.D, g.T, 1.0f, dScores, g.T, g.attentionStride, qh, g.D, g.headStride,
                        0.0f, dkh, g.D, g.headStride, g.count);  // dK
  be.gemmStridedBatched(false, false, g.T, g.D, g.T, 1.0f, dScores, g.T, g.attentionStride, kh, g.D, g.headStride,
                        0.0f, dqh, g.D, g.headStride, g.count);  // dQ, last: it may overwrite dHeads
}

}  // namespace bertnode
