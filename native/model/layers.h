// The building blocks of BertModel, named after the Hugging Face modules they mirror, each with an explicit
// forward and backward written against the Backend (llm.c style, no autograd). Device pointers throughout.
// A gradient pointer that is null means "frozen: compute no gradient for this tensor".
#pragma once

#include <cstdint>

#include "model/backend.h"

namespace bertnode {

namespace cpu {
struct Int8Weights;
}

// Sizes of one batch through one model. N = B*T token rows, D = H / NH per head.
struct Dims {
  int B, T, H, NH, D, I, N;
};

// Per-call dropout state: applied only when `training` and p > 0.
struct DropoutKey {
  bool training;
  uint64_t seed;
  uint64_t step;
};

struct Linear {  // nn.Linear: y = x W^T + b, weight [out, in]
  const float* weight = nullptr;
  const float* bias = nullptr;
  float* dWeight = nullptr;
  float* dBias = nullptr;
  // precision 'int8': the weight's int8 copy (model/quantized_linears.h), which the forward uses instead of weight.
  const cpu::Int8Weights* int8 = nullptr;
};

struct Norm {  // nn.LayerNorm over the hidden axis
  const float* gamma = nullptr;
  const float* beta = nullptr;
  float* dGamma = nullptr;
  float* dBeta = nullptr;
};

// y [rows, out] = x [rows, in] W^T + b (write).
void linearForward(Backend& be, const Linear& lin, float* y, const float* x, int rows, int in, int out);
// dW += dY^T x, db += colsum(dY) when not frozen; dX = dY W (beta 0: write; 1: accumulate) when dX is set.
void linearBackward(Backend& be, const Linear& lin, float* dX, float dXBeta, const float* dY, const float* x,
                    int rows, int in, int out);
// y [rows, out] = x W^T + b rounded to bf16 (Backend::addBiasBf16), through `scratch` [rows, out] fp32.
void linearForward(Backend& be, const Linear& lin, uint16_t* y, float* scratch, const float* x, int rows, int in,
                   int out);
// The same two with x stored as bf16 (Backend::gemmBf16Operands; a trained layer's GELU output and context).
void linearForward(Backend& be, const Linear& lin, float* y, const uint16_t* x, int rows, int in, int out);
void linearBackward(Backend& be, const Linear& lin, float* dX, float dXBeta, const float* dY, const uint16_t* x,
                    int rows, int in, int out);

// ---- BertEmbeddings ---------------------------------------------------------------------------------------------
struct EmbeddingsParams {
  const float* word;
  const float* position;
  const float* tokenType;
  float* dWord;  // the three gradients are null unless embeddings train
  float* dPosition;
  float* dTokenType;
  Norm norm;
};

struct EmbeddingsActivations {
  float* sum;    // [N,H] word + type + position (the LayerNorm input)
  float* mean;   // [N]
  float* rstd;   // [N]
  float* out;    // [N,H] LayerNorm output, dropout applied in place: the encoder input
};

void embeddingsForward(Backend& be, const EmbeddingsParams& p, const EmbeddingsActivations& a, const int32_t* ids,
                       const int32_t* typeIds, const Dims& d, float eps, float dropoutP, const DropoutKey& key);
// dOut [N,H] is consumed (overwritten). wordPlan/typePlan: the batch's ids and token types as ScatterPlans.
void embeddingsBackward(Backend& be, const EmbeddingsParams& p, const EmbeddingsActivations& a, float* dOut,
                        const ScatterPlan& wordPlan, const ScatterPlan& typePlan, const Dims& d, float dropoutP,
                        const DropoutKey& key);

// ---- BertLayer --------------------------------------------------------------------------------------------------
struct EncoderLayerParams {
  Linear query, key, value, attentionOutput;
  Norm attentionNorm;
  Linear intermediate, output;
  Norm outputNorm;
};

// The layer's six nn.Linear modules: the Hugging Face module name (after "bert.encoder.layer.{i}.") and the field
// that holds it. The encoder binds them by these names; precision 'int8' quantises exactly these.
struct LayerLinear {
  const char* module;
  Linear EncoderLayerParams::*field;
};
inline constexpr LayerLinear kLayerLinears[] = {
    {"attention.self.query", &EncoderLayerParams::query},
    {"attention.self.key", &EncoderLayerParams::key},
    {"attention.self.value", &EncoderLayerParams::value},
    {"attention.output.dense", &EncoderLayerParams::attentionOutput},
    {"intermediate.dense", &EncoderLayerParams::intermediate},
    {"output.dense", &EncoderLayerParams::output},
};

// What one layer's forward writes. For a layer that will run backward, each buffer is its own; for a layer that
// will not, the model points every field at shared scratch (only `out` must differ from the layer's input).
// The first-token layer (firstIn set, bert_layer.cpp) has M = B rows where the others have N: qh, context and every
// buffer after it hold the [CLS] rows only (qh [B,NH,1,D] composed, probs [B,NH,1,T], rowStats [B,NH,1,2]); kh and
// vh stay [N,H].
struct EncoderLayerActivations {
  float* firstIn;   // [B,H] the layer input's [CLS] rows (first-token layer only; null otherwise)
  float* qh;        // [B,NH,T,D] (composed attention) or [N,H] rows (fused)
  float* kh;        // same
  float* vh;        // same
  float* probs;     // [B,NH,T,T] softmax output before dropout; null for a layer that runs fused attention
  float* rowStats;  // [B,NH,T,2] the fused attention's softmax statistics; null without fused attention
  float* context;   // [N,H] merged attention context (input of the attention output dense)
  float* residual1; // [N,H] attention output + layer input (attention LayerNorm input)
  float* mean1;     // [N]
  float* rstd1;     // [N]
  float* hidden1;   // [N,H] attention LayerNorm output
  float* gelu;      // [N,I] gelu(intermediate dense output); null where geluBf16 holds it
  uint16_t* geluBf16;  // [N,I] the same as bf16 (nearest even) in a layer the backward reads, where the backend's bf16
                       // GEMMs read bf16 operands (Backend::bf16GemmOperands()); null otherwise
  float* geluDerivative;  // [N,I] gelu'(intermediate dense output), all the backward needs of that output; null in a
                          // layer no backward reads (its forward applies GELU in place in `gelu` instead)
  float* residual2; // [N,H] feed-forward output + hidden1 (output LayerNorm input)
  float* mean2;     // [N]
  float* rstd2;     // [N]
  float* out;       // [N,H] the layer output
  // q, k, v and the context as bf16 rows (nearest even) in a layer the backward reads that runs the fused attention,
  // where the backend's bf16 GEMMs read bf16 operands (Backend::bf16GemmOperands()): only GEMMs read them (the
  // attention's products, the attention output dense and its weight gradient), and each rounds them to bf16 anyway.
  // qh, kh, vh and context are then null; these are null otherwise.
  uint16_t* qBf16;        // [M,H]
  uint16_t* kBf16;        // [N,H]
  uint16_t* vBf16;        // [N,H]
  uint16_t* contextBf16;  // [M,H]
};

// Buffers used inside one forward or backward and dead afterwards, shared by all layers. The forward uses rows,
// heads and (with composed attention and dropout) scores; the others exist only when a backward will run (scores2
// only for composed attention).
struct EncoderScratch {
  float* rows;       // [N,H]
  float* rows2;      // [N,H]
  float* heads;      // [B,NH,T,D] (the fused attention's backward writes d(Q) here as [N,H] rows, same size)
  float* heads2;     // [B,NH,T,D] (fused: d(K) rows)
  float* heads3;     // [B,NH,T,D] (fused: d(V) rows)
  float* wide;       // [N,I]
  float* scores;     // [B,NH,T,T]
  float* scores2;    // [B,NH,T,T]
  uint16_t* rowsBf16;  // [N,H] bf16 (encoderLayerInferenceBf16 only)
  uint16_t* qkvBf16;   // [3,N,H] bf16 (same)
  uint16_t* wideBf16;  // [N,I] bf16 (same)
};

struct LayerDropout {
  float hiddenP;
  float attentionP;
  uint32_t probsSite, attentionOutputSite, outputSite;
};

// Runs the layer on `in` [N,H], writing a.out [N,H], or [B,H] for a first-token layer. The attention runs fused when
// a.rowStats is set, the backend has fused attention and !wantProbs (composed otherwise: a.probs and the scratch's
// scores must then exist); with the composed attention it returns the probabilities as used by the context product
// (after dropout: Hugging Face's `attentions` output), which live in a.probs or in scratch until the next layer runs,
// and null when fused.
const float* encoderLayerForward(Backend& be, const EncoderLayerParams& p, const EncoderLayerActivations& a,
                                 const EncoderScratch& s, const float* in, const int32_t* mask, const Dims& d,
                                 float eps, const LayerDropout& drop, const DropoutKey& key, bool wantProbs);
// The same layer for inference on Backend::bf16Activations() (model/bf16_activations.h): no dropout, no probabilities
// and no backward. `packed` holds the layer's six weights packed for it, in kLayerLinears order. Every GEMM operand
// is a bf16 row: the layer input and hidden1 rounded once (s.rowsBf16), q, k and v straight from their Linear
// epilogues (s.qkvBf16), the context from the attention (s.rowsBf16), the GELU output from the intermediate's
// epilogue (s.wideBf16); the residual stream stays fp32 (bias + residual in the two dense epilogues, LayerNorm).
// Writes a.residual1, a.hidden1, a.residual2 and a.out; the other activations are not used (they may be null).
void encoderLayerInferenceBf16(Backend& be, Bf16Activations& linears, const EncoderLayerParams& p,
                               const void* const packed[6], const EncoderLayerActivations& a, const EncoderScratch& s,
                               const float* in, const int32_t* mask, const Dims& d, float eps);
// Given dOut [N,H] ([B,H] for a first-token layer; overwritten), accumulates the parameter gradients and writes
// dIn [N,H] (when not null). The attention's backward is the fused one when a.probs is null (the forward then ran
// fused).
void encoderLayerBackward(Backend& be, const EncoderLayerParams& p, const EncoderLayerActivations& a,
                          const EncoderScratch& s, const float* in, const int32_t* mask, float* dOut, float* dIn,
                          const Dims& d, const LayerDropout& drop, const DropoutKey& key);

// ---- pooler + classifier ----------------------------------------------------------------------------------------
struct HeadParams {
  bool usePooler;
  Linear pooler;      // [H,H]
  Linear classifier;  // [numLabels, H]
};

struct HeadActivations {
  float* cls;      // [B,H] last layer's [CLS] rows
  float* pooled;   // [B,H] tanh(pooler(cls)) (pooler head only)
  float* dropped;  // [B,H] classifier input after dropout
  float* logits;   // [B,numLabels]
};

void headForward(Backend& be, const HeadParams& p, const HeadActivations& a, const float* lastHidden,
                 const Dims& d, int numLabels, float dropoutP, uint32_t site, const DropoutKey& key);
// dLogits [B,numLabels] in; scratch [B,H] x2; dLastHidden [N,H] (accumulated into the [CLS] rows) when not null.
void headBackward(Backend& be, const HeadParams& p, const HeadActivations& a, const float* dLogits,
                  float* scratch, float* scratch2, float* dLastHidden, const Dims& d, int numLabels, float dropoutP,
                  uint32_t site, const DropoutKey& key);

}  // namespace bertnode
