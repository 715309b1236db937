// Encoder: BERT's embeddings and its L layers (Hugging Face BertModel without the pooler). It declares its
// parameters under `bert.embeddings.` and `bert.encoder.layer.{i}.`, runs a batch to the last hidden state
// [B,T,H] (and, on request, each layer's attention probabilities and hidden states), and runs the backward from a
// dHidden the head wrote. It knows nothing of heads.
//
// One call lays out a workspace for its batch shape (layout, twice: measure, then backed), uploads the batch
// (stage + StagedUpload::flush by the caller), runs forward, then optionally backward. Layers >= saveFrom keep
// their activations for the backward; layers before it share two transient sets (but a first-token last layer
// always has its own). A call that starts from a frozen prefix (start > 0) reads its input from prefixInput(),
// uploaded by the caller.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "model/arena.h"
#include "model/layers.h"
#include "model/parameters.h"
#include "model/scatter_plan.h"
#include "model/staged_upload.h"

namespace bertnode {

class PackedBf16Weights;
class QuantizedLinears;

struct EncoderShape {
  int vocabSize, hiddenSize, numLayers, numHeads, intermediateSize, maxPositions, typeVocabSize;
  float layerNormEps, hiddenDropout, attentionDropout;
  int padTokenId;  // -1: none
};

// What one call needs besides the batch shape: which layers keep activations and which scratch is live.
struct EncoderPlan {
  int saveFrom;             // layers saveFrom .. L-1 keep their activations
  int start;                // first layer that runs: 0 (from ids, after the embeddings) or the frozen prefix's end
  bool backward;            // gradient buffers and backward scratch
  bool embeddingGradients;  // the backward reaches the embedding tables: scatter plans of the ids and types
  bool attentionDropout;    // the attention probabilities drop out
  bool fusedAttention;      // the backend has fused attention: layers keep row statistics, not probabilities
  bool attentionMaps;       // some layer's probabilities are wanted (a forward only): layers keep probabilities too
  bool bf16GemmOperands;    // the backend's bf16 GEMMs read bf16 operands: layers the backward reads keep GELU's
                            // output, and with the fused attention q, k, v and the context, in bf16 (layers.h)
  bool bf16Inference;       // no dropout and the backend has bf16Activations(): layers before saveFrom whose
                            // probabilities no one wants run encoderLayerInferenceBf16
  bool firstTokenOutput;    // the caller reads only each sequence's [CLS] row of the last layer, which then runs as
                            // the first-token layer (layers.h; the model sets it only with the last layer's
                            // probabilities unwanted and no hidden states): forward returns [B,H], and backward
                            // takes dHidden [B,H]
};

// Requests and results of a forward's extras (attention probabilities, hidden states), on the host.
struct EncoderExtras {
  const std::vector<int>* attentionLayers = nullptr;
  bool hiddenStates = false;
  std::vector<std::vector<float>>* attentionsOut = nullptr;  // sized like attentionLayers
  std::vector<std::vector<float>>* hiddenStatesOut = nullptr;
};

class Encoder {
 public:
  Encoder(const EncoderShape& shape, int trainableLayers, bool trainEmbeddings);
  ~Encoder();

  void declare(ParameterCatalogue& catalogue) const;
  void bind(const ParameterStore& store);
  // precision 'int8': every layer's Linear layers run on their int8 copies (after bind).
  void attachInt8(const QuantizedLinears& quantized);
  // The weights changed: every parameter may have (setParameter), or the trainable layers' (an optimizer step).
  // The bf16 inference packs of those layers are stale (model/packed_bf16_weights.h).
  void weightsChanged();
  void trainableWeightsChanged();
  // Bytes of the bf16 inference packs made so far.
  size_t inferenceCopyBytes() const;

  // Buffers a plan does not need are left null, so inference and frozen layers cost no memory for the backward.
  // The int inputs come first and the caller lays out its own ints (the labels) between the two calls, so one
  // StagedUpload covers all of a batch's ints and no float buffer.
  void layoutInts(Slab& slab, const Dims& d, const EncoderPlan& plan);
  void layoutFloats(Slab& slab, const Dims& d);
  // Queues the batch's ints (ids, types, mask, scatter plans) for one upload with the caller's other ints.
  void stage(StagedUpload& staged, const int32_t* ids, const int32_t* typeIds, const int32_t* mask, const Dims& d);
  float* prefixInput() const { return embeddingsActs_.out; }  // where a frozen-prefix batch's hidden state goes
  const int32_t* deviceMask() const { return mask_; }

  // Embeddings (when start == 0) and layers [start, end); returns the device pointer of the last output ([B,H] when
  // the plan's firstTokenOutput and end is the last layer, [N,H] otherwise).
  const float* forward(Backend& be, const Dims& d, int end, const DropoutKey& key, const EncoderExtras& extras);
  // dHidden [N,H] ([B,H] with firstTokenOutput; overwritten) is the gradient of the last layer's output; accumulates
  // every trainable gradient.
  void backward(Backend& be, const Dims& d, float* dHidden, const DropoutKey& key);
  // [N,H] buffer for the head's dHidden (null when no layer or embedding trains).
  float* dHiddenBuffer() const { return grad_[0]; }

 private:
  LayerDropout layerDropout(int layer) const;
  const EncoderLayerActivations& activations(int layer) const;
  const float* layerInput(int layer) const;

  EncoderShape shape_;
  int trainableLayers_;
  bool trainEmbeddings_;
  EmbeddingsParams embeddings_{};
  std::vector<EncoderLayerParams> layers_;
  ScatterPlanBuilder wordPlanner_;  // host state reused from batch to batch
  ScatterPlanBuilder typePlanner_;
  // The current call's workspace.
  EncoderPlan plan_{};
  int ownFrom_ = 0;  // layers ownFrom_ .. L-1 have their own activation sets (saved_): saveFrom, or L-1 for a
                     // first-token last layer that keeps nothing for a backward
  int32_t* ids_ = nullptr;
  int32_t* typeIds_ = nullptr;
  int32_t* mask_ = nullptr;
  int32_t* wordPlanImage_ = nullptr;
  int32_t* typePlanImage_ = nullptr;
  ScatterPlan wordPlan_, typePlan_;
  EmbeddingsActivations embeddingsActs_{};
  std::vector<EncoderLayerActivations> saved_;
  EncoderLayerActivations transient_[2]{};
  EncoderScratch scratch_{};
  float* grad_[2]{};
  float* padRow_ = nullptr;  // [H] the word gradient's pad row, kept across the lookup scatter
  std::unique_ptr<PackedBf16Weights> packedBf16_;  // made by the first bf16 inference layer
};

}  // namespace bertnode
