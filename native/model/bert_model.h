// BertModel: one BERT encoder (model/encoder.h) under one task head (model/heads/head.h), trained and run natively
// on one Backend. This is the C++ API the N-API addon binds; everything it takes and returns lives on the host.
//
// Construction
//   BertModel(config, options, backend)   config: every BertConfig field of TEAM.md; options: the head (kind,
//   pooling, problem type, number of choices, normalisation), trainable layers (the last K encoder layers),
//   trainEmbeddings. The head's own parameters always train (the embedding head has none and is inference-only).
//   Parameters start at zero — the caller sets them (from a checkpoint or its own init). Frozen parameters get no
//   gradient and no AdamW moments; frozen layers keep no activations. In the sequence-classification head with
//   [CLS] pooling the pooler parameters still exist (so Hugging Face checkpoints load and save unchanged) but are
//   unused and frozen. The masked-LM decoder is tied to the word embeddings: it trains exactly when they do.
// Parameters
//   parameters() lists every parameter by its Hugging Face name, in state-dict order: the encoder's (embeddings,
//   layers 0..L-1), then the head's. parameterCatalogue(config, options) gives the same list without a model.
//   setParameter/getParameter copy whole tensors (row-major fp32, Linear weights [out, in]); getGradient only for
//   trainable parameters (the accumulated gradient since the last applyOptimizer / zeroGradients).
// Running
//   forward(batch, options) -> the head's outputs (outputs[0] is the primary, "logits"), the head's mean loss when
//   labels are given, the attention probabilities [B, NH, T, T] of the requested layers (after attention dropout,
//   as Hugging Face returns them) and optionally the hidden states (L + 1 tensors [B, T, H]: the embeddings
//   output, then each layer's output). Dropout is applied only when options.training is set; it is keyed by
//   (seed, step). Labels are in the head's layout (labelLayout; model/labels.h).
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
//   [0, typeVocabSize), mask values other than 0/1, labels outside the head's layout, attention layer outside
//   [0, L), invalid config/options). Every id is checked before anything reaches the backend, so a bad batch never
//   reads out of bounds and leaves the model unchanged. Backend failures surface as std::runtime_error.
// Threading: one call at a time per model (the addon serialises them); the ops themselves run multi-threaded.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/backend.h"
#include "model/labels.h"
#include "model/parameters.h"

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
  // The word row nn.Embedding(padding_idx=pad_token_id) gives no gradient from its lookups (Hugging Face's
  // BertEmbeddings); -1: none.
  int padTokenId = 0;
};

// Which head sits on the encoder (Hugging Face's BertFor* class in brackets).
enum class HeadKind {
  SequenceClassification,  // [BertForSequenceClassification] pooled vector -> dropout -> classifier [numLabels, H]
  TokenClassification,     // [BertForTokenClassification] dropout -> classifier per token; labels -100 ignored
  QuestionAnswering,       // [BertForQuestionAnswering] qa_outputs H -> 2: start/end logits per token
  MultipleChoice,          // [BertForMultipleChoice] rows of numChoices -> pooler -> dropout -> classifier H -> 1
  MaskedLM,                // [BertForMaskedLM] transform + decoder tied to the word embeddings
  PreTraining,             // [BertForPreTraining] masked LM + next-sentence prediction on the pooler
  Embedding,               // sentence-transformers: mean or [CLS] pooling, optional L2 normalisation (inference)
};

// What the sequence-classification head's loss is (Hugging Face's config.problem_type).
enum class ProblemType {
  SingleLabel,  // cross-entropy over numLabels >= 2 classes, int32 labels [B]
  MultiLabel,   // binary cross-entropy with logits, float labels [B, numLabels] in any real (usually 0/1)
  Regression,   // mean squared error, float labels [B, numLabels], numLabels >= 1
};

enum class Pooling {
  Pooler,  // tanh(pooler dense) on [CLS] (sequence classification, Hugging Face's default)
  Cls,     // the last layer's [CLS] vector (the classic recipe; embedding head)
  Mean,    // mean over the attention mask (embedding head)
};

struct BertOptions {
  HeadKind head = HeadKind::SequenceClassification;
  Pooling pooling = Pooling::Pooler;  // sequence classification: Pooler | Cls; embedding: Mean | Cls
  ProblemType problemType = ProblemType::SingleLabel;  // sequence classification only
  int numChoices = 0;                 // multiple choice: >= 2; each example is numChoices consecutive rows
  bool normalize = false;             // embedding head: L2-normalise the pooled vectors
  int trainableLayers = 0;       // the last K encoder layers are trained, 0 <= K <= numHiddenLayers
  bool trainEmbeddings = false;  // word/position/token-type tables and the embeddings LayerNorm
  // precision 'int8' (CPU backend only): the encoder's Linear layers run in int8 (model/quantized_linears.h) and the
  // model is inference-only (training calls throw std::invalid_argument).
  bool int8Linears = false;
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
  Labels labels;                     // in the head's layout; when set, the result has the head's mean loss
  bool training = false;             // applies dropout (keyed by seed/step) when set
  uint64_t seed = 0;
  uint64_t step = 0;
  std::vector<int> attentionLayers;  // which layers' attention probabilities to return, in this order
  bool outputHiddenStates = false;
};

struct ForwardResult {
  std::vector<std::pair<std::string, std::vector<float>>> outputs;  // the head's, primary ("logits") first
  std::optional<float> loss;                   // the head's mean loss, when labels were given
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

enum class Moment { First, Second };  // AdamW's m and v

// The parameters a model with this config and options declares, in order (validates like the constructor).
std::vector<ParameterInfo> parameterCatalogue(const BertConfig& config, const BertOptions& options);

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
  // Labels in the head's layout for a batch of `rows` sequences of `seqLen` tokens.
  LabelLayout labelLayout(int rows, int seqLen) const;
  float accumulateGradients(const Batch& batch, const Labels& labels, float scale, uint64_t seed, uint64_t step);
  float applyOptimizer(const AdamWHyper& hyper);  // returns the gradient norm before clipping
  TrainStepResult trainStep(const Batch& batch, const Labels& labels, const AdamWHyper& hyper, uint64_t seed,
                            uint64_t step);
  void zeroGradients();
  // [B, T, H]: the eval-mode input of the first trainable layer (batch.prefixHidden must be null).
  std::vector<float> frozenPrefix(const Batch& batch);
  // Bytes of memory the model holds now: parameters with their gradients and moments, the largest call's workspace
  // so far, and the inference copies of the weights (bf16 packs, int8 copies) made so far.
  int64_t nativeBytes() const;

  int64_t optimizerStep() const;  // AdamW steps taken so far
  void setOptimizerStep(int64_t step);
  std::vector<float> getMoment(const std::string& name, Moment which) const;  // trainable parameters only
  void setMoment(const std::string& name, Moment which, const float* data, size_t count);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bertnode
