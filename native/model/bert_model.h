// BertModel: a BERT sequence classifier (Hugging Face BertForSequenceClassification) trained and run natively on
// one Backend. This is the C++ API the N-API addon binds; everything it takes and returns lives on the host.
//
// Construction
//   BertModel(config, options, backend)   config: every BertConfig field of TEAM.md; options: head, trainable
//   layers (the last K encoder layers), trainEmbeddings. The head (classifier, and the pooler when head == Pooler)
//   is always trained. Parameters start at zero — the caller sets them (from a checkpoint or its own init).
//   Frozen parameters get no gradient and no AdamW moments; frozen layers keep no activations.
//   In head == Cls mode the pooler parameters still exist (so Hugging Face checkpoints load and save unchanged) but
//   are unused and frozen.
// Parameters
//   parameters() lists every parameter by its canonical Hugging Face name (TEAM.md), in a fixed order: embeddings,
//   encoder layers 0..L-1, pooler, classifier. setParameter/getParameter copy whole tensors (row-major fp32,
//   Linear weights [out, in]); getGradient only for trainable parameters (the accumulated gradient since the last
//   applyOptimizer / zeroGradients).
// Running
//   forward(batch, options) -> logits [B, numLabels], the mean cross-entropy loss when labels are given, the
//   attention probabilities [B, NH, T, T] of the requested layers (after attention dropout, as Hugging Face returns
//   them) and optionally the hidden states (L + 1 tensors [B, T, H]: the embeddings output, then each layer's
//   output). Dropout is applied only when options.training is set; it is keyed by (seed, step).
//   accumulateGradients(batch, labels, scale, seed, step): forward with dropout + backward; adds
//   scale * d(mean loss)/d(param) to every trainable gradient; returns the (unscaled) mean loss.
//   applyOptimizer(hyper): global gradient norm over all trainable gradients (returned, measured before clipping,
//   like torch.nn.utils.clip_grad_norm_), clipping by scale = min(1, maxGradNorm / (norm + 1e-6)) when
//   maxGradNorm > 0, one AdamW step (torch.optim.AdamW arithmetic), then zeroes the gradients and increments the
//   optimizer step. Weight decay is applied to every trainable parameter except biases (names ending in ".bias")
//   and LayerNorm weights (names containing "LayerNorm.") — the usual Hugging Face no_decay rule.
//   trainStep = accumulateGradients(scale 1) + applyOptimizer.
// Frozen-layer cache
//   With frozen embeddings and trainableLayers K < L, the embeddings and the first P = L - K layers never change,
//   so without dropout they map each example to the same hidden states every epoch. frozenPrefix(batch) returns
//   them: the output of layer P-1 in eval mode (no dropout), [B, T, H] — the input of the first trainable layer.
//   A batch whose prefixHidden is set starts there: forward, accumulateGradients and trainStep run only layers
//   P..L-1 and the head (dropout in them keyed by seed/step exactly as from ids; training from a prefix equals
//   training from ids with dropout off in the frozen part). Such a batch needs attentionMask (the padding of the
//   trainable layers' attention); inputIds and tokenTypeIds are not read and may be null. prefixHidden with
//   trainEmbeddings or K == L, a non-finite value, hidden states or attention of a frozen layer requested ->
//   std::invalid_argument.
// Optimizer state (checkpoints): optimizerStep()/setOptimizerStep(), getMoment/setMoment per trainable parameter.
// Errors
//   std::invalid_argument for bad arguments (unknown parameter name, wrong element count, gradient of a frozen
//   parameter, B or T < 1, T > maxPositionEmbeddings, id outside [0, vocabSize), token type outside
//   [0, typeVocabSize), mask values other than 0/1, label outside [0, numLabels), attention layer outside [0, L),
//   invalid config/options). Every id is checked before anything reaches the backend, so a bad batch never reads
//   out of bounds and leaves the model unchanged. Backend failures surface as std::runtime_error.
// Threading: one call at a time per model (the addon serialises them); the ops themselves run multi-threaded.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/backend.h"

namespace bertnode {

// Hugging Face config.json fields, camelCased (TEAM.md's BertConfig).
struct BertConfig {
  int vocabSize = 0;
  int hiddenSize = 0;
  int numHiddenLayers = 0;
  int numAttentionHeads = 0;
  int intermediateSize = 0;
  int maxPositionEmbeddings = 0;
  int typeVocabSize = 0;
  float layerNormEps = 1e-12f;
  float hiddenDropoutProb = 0.1f;
  float attentionProbsDropoutProb = 0.1f;
  std::optional<float> classifierDropout;  // unset: falls back to hiddenDropoutProb (as Hugging Face does)
  int numLabels = 2;
};

enum class HeadType {
  Cls,     // classifier on the last layer's [CLS] vector (dropout, linear)
  Pooler,  // Hugging Face BertForSequenceClassification: tanh(pooler dense) on [CLS], dropout, linear
};

struct BertOptions {
  HeadType head = HeadType::Pooler;
  int trainableLayers = 0;       // the last K encoder layers are trained, 0 <= K <= numHiddenLayers
  bool trainEmbeddings = false;  // word/position/token-type tables and the embeddings LayerNorm
};

// One batch of host arrays, all row-major [batchSize, seqLen] int32; they must outlive the call only.
struct Batch {
  const int32_t* inputIds = nullptr;
  const int32_t* attentionMask = nullptr;  // 1 = token, 0 = padding
  const int32_t* tokenTypeIds = nullptr;
  int batchSize = 0;
  int seqLen = 0;
  // [batchSize, seqLen, hiddenSize] fp32 from frozenPrefix (see "Frozen-layer cache"); null: start from the ids.
  const float* prefixHidden = nullptr;
};

struct ForwardOptions {
  const int32_t* labels = nullptr;   // [batchSize]; when set, the result has the mean cross-entropy loss
  bool training = false;             // applies dropout (keyed by seed/step) when set
  uint64_t seed = 0;
  uint64_t step = 0;
  std::vector<int> attentionLayers;  // which layers' attention probabilities to return, in this order
  bool outputHiddenStates = false;
};

struct ForwardResult {
  std::vector<float> logits;                   // [B, numLabels]
  std::optional<float> loss;                   // mean over the batch, when labels were given
  std::vector<std::vector<float>> attentions;  // one [B, NH, T, T] per requested layer, in request order
  std::vector<std::vector<float>> hiddenStates;  // L + 1 tensors [B, T, H] when requested, else empty
};

struct AdamWHyper {
  float lr = 0.0f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float weightDecay = 0.0f;
  float maxGradNorm = 0.0f;  // <= 0: no clipping
};

struct TrainStepResult {
  float loss = 0.0f;
  float gradNorm = 0.0f;
};

struct ParameterInfo {
  std::string name;
  std::vector<int64_t> shape;
  bool trainable = false;
};

enum class Moment { First, Second };  // AdamW's m and v

class BertModel {
 public:
  // Validates config and options (std::invalid_argument) and allocates parameters, gradients and moments.
  BertModel(const BertConfig& config, const BertOptions& options, std::shared_ptr<Backend> backend);
  ~BertModel();
  BertModel(const BertModel&) = delete;
  BertModel& operator=(const BertModel&) = delete;

  const BertConfig& config() const;
  const BertOptions& options() const;

  const std::vector<ParameterInfo>& parameters() const;
  const ParameterInfo& parameterInfo(const std::string& name) const;  // throws for unknown names
  void setParameter(const std::string& name, const float* data, size_t count);
  std::vector<float> getParameter(const std::string& name) const;
  std::vector<float> getGradient(const std::string& name) const;  // trainable parameters only

  ForwardResult forward(const Batch& batch, const ForwardOptions& options);
  float accumulateGradients(const Batch& batch, const int32_t* labels, float scale, uint64_t seed, uint64_t step);
  float applyOptimizer(const AdamWHyper& hyper);  // returns the gradient norm before clipping
  TrainStepResult trainStep(const Batch& batch, const int32_t* labels, const AdamWHyper& hyper, uint64_t seed,
                            uint64_t step);
  void zeroGradients();
  // [B, T, H]: the eval-mode input of the first trainable layer (batch.prefixHidden must be null).
  std::vector<float> frozenPrefix(const Batch& batch);

  int64_t optimizerStep() const;  // AdamW steps taken so far
  void setOptimizerStep(int64_t step);
  std::vector<float> getMoment(const std::string& name, Moment which) const;  // trainable parameters only
  void setMoment(const std::string& name, Moment which, const float* data, size_t count);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bertnode
