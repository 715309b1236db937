// BertEmbeddings: word + token-type + position lookup, LayerNorm, dropout.
//
// Shapes: ids/typeIds [B,T]; tables word [V,H], position [P,H], tokenType [TV,H]; activations [N,H].
#include "model/dropout.h"
#include "model/dropout_sites.h"
#include "model/layers.h"

namespace bertnode {

void embeddingsForward(Backend& be, const EmbeddingsParams& p, const EmbeddingsActivations& a, const int32_t* ids,
                       const int32_t* typeIds, const Dims& d, float eps, float dropoutP, const DropoutKey& key) {
  be.embeddingsForward(a.sum, ids, typeIds, p.word, p.position, p.tokenType, d.B, d.T, d.H);
  be.layerNormForward(a.out, a.mean, a.rstd, a.sum, p.norm.gamma, p.norm.beta, d.N, d.H, eps);
  dropoutInPlace(be, a.out, static_cast<int64_t>(d.N) * d.H, dropoutP, dropout_sites::kEmbeddings, key);
}

void embeddingsBackward(Backend& be, const EmbeddingsParams& p, const EmbeddingsActivations& a, float* dOut,
                        const ScatterPlan& wordPlan, const ScatterPlan& typePlan, const Dims& d, float dropoutP,
                        const DropoutKey& key) {
  dropoutInPlace(be, dOut, static_cast<int64_t>(d.N) * d.H, dropoutP, dropout_sites::kEmbeddings, key);
  be.layerNormBackward(dOut, p.norm.dGamma, p.norm.dBeta, dOut, a.sum, p.norm.gamma, a.mean, a.rstd, d.N, d.H);
  be.embeddingsBackward(p.dWord, p.dPosition, p.dTokenType, dOut, wordPlan, typePlan, d.B, d.T, d.H);
}

}  // namespace bertnode
