// The classification head: [CLS] gather, optional BertPooler (dense + tanh), dropout, classifier linear.
//
// Shapes: lastHidden [B,T,H]; cls/pooled/dropped [B,H]; logits/dLogits [B,numLabels].
#include "model/dropout.h"
#include "model/layers.h"

namespace bertnode {

void headForward(Backend& be, const HeadParams& p, const HeadActivations& a, const float* lastHidden,
                 const Dims& d, int numLabels, float dropoutP, uint32_t site, const DropoutKey& key) {
  be.gatherClsRows(a.cls, lastHidden, d.B, d.T, d.H);
  const float* features = a.cls;
  if (p.usePooler) {
    linearForward(be, p.pooler, a.pooled, a.cls, d.B, d.H, d.H);
    be.tanhForward(a.pooled, a.pooled, static_cast<int64_t>(d.B) * d.H);
    features = a.pooled;
  }
  be.copy(a.dropped, features, sizeof(float) * d.B * d.H);
  dropoutInPlace(be, a.dropped, static_cast<int64_t>(d.B) * d.H, dropoutP, site, key);
  linearForward(be, p.classifier, a.logits, a.dropped, d.B, d.H, numLabels);
}

void headBackward(Backend& be, const HeadParams& p, const HeadActivations& a, const float* dLogits,
                  float* scratch, float* scratch2, float* dLastHidden, const Dims& d, int numLabels, float dropoutP,
                  uint32_t site, const DropoutKey& key) {
  bool needFeatureGrad = p.usePooler ? (p.pooler.dWeight != nullptr || dLastHidden) : dLastHidden != nullptr;
  float* dFeatures = needFeatureGrad ? scratch : nullptr;
  linearBackward(be, p.classifier, dFeatures, 0.0f, dLogits, a.dropped, d.B, d.H, numLabels);
  if (!dFeatures) return;
  int64_t n = static_cast<int64_t>(d.B) * d.H;
  dropoutInPlace(be, dFeatures, n, dropoutP, site, key);
  float* dCls = dFeatures;
  if (p.usePooler) {
    be.tanhBackward(dFeatures, dFeatures, a.pooled, n);
    dCls = dLastHidden ? scratch2 : nullptr;
    linearBackward(be, p.pooler, dCls, 0.0f, dFeatures, a.cls, d.B, d.H, d.H);
  }
  if (dLastHidden) be.scatterClsRows(dLastHidden, dCls, d.B, d.T, d.H);
}

}  // namespace bertnode
