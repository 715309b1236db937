// BertModel: parameter store, batch validation, activation workspace, and the forward / backward / AdamW drivers
// over the modules in layers.h. The public contract is documented in bert_model.h.
#include "model/bert_model.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <stdexcept>
#include <unordered_map>

#include "model/arena.h"
#include "model/dropout_sites.h"
#include "model/layers.h"
#include "model/parameter_names.h"
#include "model/scatter_plan.h"
#include "model/staged_upload.h"

namespace bertnode {
namespace {

[[noreturn]] void fail(const std::string& message) { throw std::invalid_argument(message); }

void validateConfig(const BertConfig& c, const BertOptions& o) {
  auto positive = [](int value, const char* field) {
    if (value < 1) fail(std::string("config.") + field + " must be >= 1, got " + std::to_string(value));
  };
  positive(c.vocabSize, "vocabSize");
  positive(c.hiddenSize, "hiddenSize");
  positive(c.numHiddenLayers, "numHiddenLayers");
  positive(c.numAttentionHeads, "numAttentionHeads");
  positive(c.intermediateSize, "intermediateSize");
  positive(c.maxPositionEmbeddings, "maxPositionEmbeddings");
  positive(c.typeVocabSize, "typeVocabSize");
  if (c.hiddenSize % c.numAttentionHeads != 0) {
    fail("config.hiddenSize (" + std::to_string(c.hiddenSize) + ") must be a multiple of numAttentionHeads (" +
         std::to_string(c.numAttentionHeads) + ")");
  }
  // numLabels == 1 is regression (MSE) in Hugging Face; this engine only does classification.
  if (c.numLabels < 2) fail("config.numLabels must be >= 2 (classification), got " + std::to_string(c.numLabels));
  if (!(c.layerNormEps > 0.0f) || !std::isfinite(c.layerNormEps)) fail("config.layerNormEps must be > 0");
  auto probability = [](float p, const char* field) {
    if (!(p >= 0.0f && p < 1.0f)) fail(std::string("config.") + field + " must be in [0, 1)");
  };
  probability(c.hiddenDropoutProb, "hiddenDropoutProb");
  probability(c.attentionProbsDropoutProb, "attentionProbsDropoutProb");
  if (c.classifierDropout) probability(*c.classifierDropout, "classifierDropout");
  if (o.trainableLayers < 0 || o.trainableLayers > c.numHiddenLayers) {
    fail("options.trainableLayers must be in [0, " + std::to_string(c.numHiddenLayers) + "], got " +
         std::to_string(o.trainableLayers));
  }
}

std::vector<int64_t> layerShape(names::LayerShape shape, int64_t H, int64_t I) {
  switch (shape) {
    case names::LayerShape::HiddenSquare: return {H, H};
    case names::LayerShape::Hidden: return {H};
    case names::LayerShape::IntermediateByHidden: return {I, H};
    case names::LayerShape::Intermediate: return {I};
    case names::LayerShape::HiddenByIntermediate: return {H, I};
  }
  return {};
}

struct ParamSlot {
  float* value = nullptr;
  float* grad = nullptr;  // these three are null for frozen parameters
  float* m = nullptr;
  float* v = nullptr;
  size_t count = 0;
  bool decay = false;
};

// Every buffer one call needs for a batch shape; laid out by layoutWorkspace.
struct Workspace {
  int32_t* ids;
  int32_t* typeIds;
  int32_t* mask;
  int32_t* labels;
  int32_t* wordPlanImage;  // ScatterPlan images of ids and typeIds, when the embeddings' backward runs
  int32_t* typePlanImage;
  ScatterPlan wordPlan;  // views of the two images
  ScatterPlan typePlan;
  EmbeddingsActivations embeddings;
  std::vector<EncoderLayerActivations> saved;  // layers saveFrom .. L-1 when training
  EncoderLayerActivations transient[2];        // layers that will not run backward (differ only in `out`)
  EncoderScratch scratch;
  HeadActivations head;
  float* probs;    // [B,numLabels]
  float* losses;   // [B]
  float* dLogits;  // [B,numLabels]
  float* headScratch;
  float* headScratch2;
  float* grad[2];  // [N,H] ping-pong gradients flowing down the encoder
};

EncoderLayerActivations takeLayer(Slab& slab, const Dims& d) {
  size_t rows = static_cast<size_t>(d.N) * d.H, heads = rows;
  size_t attention = static_cast<size_t>(d.B) * d.NH * d.T * d.T, wide = static_cast<size_t>(d.N) * d.I;
  EncoderLayerActivations a;
  a.qh = slab.take<float>(heads);
  a.kh = slab.take<float>(heads);
  a.vh = slab.take<float>(heads);
  a.probs = slab.take<float>(attention);
  a.context = slab.take<float>(rows);
  a.residual1 = slab.take<float>(rows);
  a.mean1 = slab.take<float>(d.N);
  a.rstd1 = slab.take<float>(d.N);
  a.hidden1 = slab.take<float>(rows);
  a.preGelu = slab.take<float>(wide);
  a.gelu = slab.take<float>(wide);
  a.residual2 = slab.take<float>(rows);
  a.mean2 = slab.take<float>(d.N);
  a.rstd2 = slab.take<float>(d.N);
  a.out = slab.take<float>(rows);
  return a;
}

// What one call needs besides the batch shape: which layers keep activations and which scratch is live.
struct WorkspacePlan {
  int savedLayers;          // layers L - savedLayers .. L-1 keep their activations
  bool transientLayers;     // some layers run without keeping activations
  bool embeddings;          // the call starts from ids (not from a prefixHidden, which lands in embeddings.out)
  bool backward;            // gradient buffers and backward scratch
  bool embeddingGradients;  // the backward reaches the embedding tables: scatter plans of the ids and types
  bool attentionDropout;    // a buffer for the dropped attention probabilities
};

// Buffers a plan does not need are left null (Slab::take of 0 elements), so inference and frozen layers cost no
// memory for the backward.
void layoutWorkspace(Slab& slab, const Dims& d, int numLabels, const WorkspacePlan& plan, Workspace& w) {
  size_t rows = static_cast<size_t>(d.N) * d.H;
  size_t attention = static_cast<size_t>(d.B) * d.NH * d.T * d.T;
  size_t wide = static_cast<size_t>(d.N) * d.I;
  auto backwardOnly = [&](size_t n) { return plan.backward ? n : 0; };
  auto embeddingsOnly = [&](size_t n) { return plan.embeddings ? n : 0; };
  w.ids = slab.take<int32_t>(embeddingsOnly(d.N));
  w.typeIds = slab.take<int32_t>(embeddingsOnly(d.N));
  w.mask = slab.take<int32_t>(d.N);
  w.labels = slab.take<int32_t>(d.B);
  // Right after the other int inputs, so prepareWorkspace uploads them all in one copy (StagedUpload).
  size_t planInts = plan.embeddingGradients ? scatterPlanCapacity(static_cast<size_t>(d.N)) : 0;
  w.wordPlanImage = slab.take<int32_t>(planInts);
  w.typePlanImage = slab.take<int32_t>(planInts);
  w.embeddings = {slab.take<float>(embeddingsOnly(rows)), slab.take<float>(embeddingsOnly(d.N)),
                  slab.take<float>(embeddingsOnly(d.N)), slab.take<float>(rows)};
  w.saved.clear();
  for (int i = 0; i < plan.savedLayers; ++i) w.saved.push_back(takeLayer(slab, d));
  if (plan.transientLayers) {
    w.transient[0] = takeLayer(slab, d);
    w.transient[1] = w.transient[0];
    w.transient[1].out = slab.take<float>(rows);
  }
  w.scratch = {slab.take<float>(rows),
               slab.take<float>(backwardOnly(rows)),
               slab.take<float>(rows),
               slab.take<float>(backwardOnly(rows)),
               slab.take<float>(backwardOnly(rows)),
               slab.take<float>(backwardOnly(wide)),
               slab.take<float>(plan.attentionDropout ? attention : 0),
               slab.take<float>(backwardOnly(attention))};
  size_t headRows = static_cast<size_t>(d.B) * d.H, logits = static_cast<size_t>(d.B) * numLabels;
  w.head = {slab.take<float>(headRows), slab.take<float>(headRows), slab.take<float>(headRows),
            slab.take<float>(logits)};
  w.probs = slab.take<float>(logits);
  w.losses = slab.take<float>(d.B);
  w.dLogits = slab.take<float>(logits);
  w.headScratch = slab.take<float>(headRows);
  w.headScratch2 = slab.take<float>(headRows);
  w.grad[0] = slab.take<float>(backwardOnly(rows));
  w.grad[1] = slab.take<float>(backwardOnly(rows));
}

}  // namespace

struct BertModel::Impl {
  BertConfig config;
  BertOptions options;
  std::shared_ptr<Backend> backend;
  std::vector<ParameterInfo> infos;
  std::unordered_map<std::string, size_t> byName;
  std::vector<ParamSlot> slots;
  DeviceBlock parameterBlock;
  DeviceBlock workspaceBlock;
  float* gradientsBegin = nullptr;  // all gradients are one contiguous range, zeroed in one call
  size_t gradientBytes = 0;
  float* normAccumulator = nullptr;  // one device float for the global gradient norm
  int64_t optimizerStep = 0;
  ScatterPlanBuilder wordPlanner;  // host state reused from batch to batch
  ScatterPlanBuilder typePlanner;
  StagedUpload staged;
  EmbeddingsParams embeddings{};
  std::vector<EncoderLayerParams> layers;
  HeadParams head{};

  Impl(const BertConfig& c, const BertOptions& o, std::shared_ptr<Backend> be)
      : config(c), options(o), backend(std::move(be)), parameterBlock(*backend), workspaceBlock(*backend) {}

  Backend& be() { return *backend; }
  float classifierDropout() const { return config.classifierDropout.value_or(config.hiddenDropoutProb); }

  size_t indexOf(const std::string& name) const {
    auto it = byName.find(name);
    if (it == byName.end()) fail("unknown parameter '" + name + "'");
    return it->second;
  }
  const ParamSlot& trainableSlot(const std::string& name) const {
    const ParamSlot& slot = slots[indexOf(name)];
    if (!slot.grad) fail("parameter '" + name + "' is frozen: it has no gradient or optimizer state");
    return slot;
  }

  void declareParameters() {
    const BertConfig& c = config;
    const int64_t H = c.hiddenSize, I = c.intermediateSize;
    auto add = [&](std::string name, std::vector<int64_t> shape, bool trainable) {
      byName.emplace(name, infos.size());
      infos.push_back({std::move(name), std::move(shape), trainable});
    };
    bool trainEmb = options.trainEmbeddings;
    add(names::kWordEmbeddings, {c.vocabSize, H}, trainEmb);
    add(names::kPositionEmbeddings, {c.maxPositionEmbeddings, H}, trainEmb);
    add(names::kTokenTypeEmbeddings, {c.typeVocabSize, H}, trainEmb);
    add(names::kEmbeddingsNormWeight, {H}, trainEmb);
    add(names::kEmbeddingsNormBias, {H}, trainEmb);
    for (int l = 0; l < c.numHiddenLayers; ++l) {
      bool trainable = l >= c.numHiddenLayers - options.trainableLayers;
      for (const names::LayerTensor& t : names::kLayerTensors) {
        add(names::layerParameter(l, t.suffix), layerShape(t.shape, H, I), trainable);
      }
    }
    bool pooler = options.head == HeadType::Pooler;
    add(names::kPoolerWeight, {H, H}, pooler);
    add(names::kPoolerBias, {H}, pooler);
    add(names::kClassifierWeight, {c.numLabels, H}, true);
    add(names::kClassifierBias, {c.numLabels}, true);
  }

  // Values of all parameters, then the gradients, first and second moments of the trainable ones.
  void layoutParameters(Slab& slab) {
    slots.assign(infos.size(), ParamSlot{});
    for (size_t i = 0; i < infos.size(); ++i) {
      size_t count = 1;
      for (int64_t extent : infos[i].shape) count *= static_cast<size_t>(extent);
      slots[i].count = count;
      slots[i].decay = names::usesWeightDecay(infos[i].name);
      slots[i].value = slab.take<float>(count);
    }
    size_t gradStart = slab.used();
    for (size_t i = 0; i < infos.size(); ++i) {
      if (infos[i].trainable) slots[i].grad = slab.take<float>(slots[i].count);
    }
    gradientBytes = slab.used() - gradStart;
    for (size_t i = 0; i < infos.size(); ++i) {
      if (infos[i].trainable) slots[i].m = slab.take<float>(slots[i].count);
    }
    for (size_t i = 0; i < infos.size(); ++i) {
      if (infos[i].trainable) slots[i].v = slab.take<float>(slots[i].count);
    }
    normAccumulator = slab.take<float>(1);
    gradientsBegin = nullptr;
    for (const ParamSlot& s : slots) {
      if (s.grad) {
        gradientsBegin = s.grad;
        break;
      }
    }
  }

  Linear linearAt(size_t weightIndex) const {
    const ParamSlot& w = slots[weightIndex];
    const ParamSlot& b = slots[weightIndex + 1];
    return {w.value, b.value, w.grad, b.grad};
  }
  Norm normAt(size_t weightIndex) const {
    const ParamSlot& w = slots[weightIndex];
    const ParamSlot& b = slots[weightIndex + 1];
    return {w.value, b.value, w.grad, b.grad};
  }

  void bindModules() {
    embeddings = {slots[0].value, slots[1].value, slots[2].value, slots[0].grad, slots[1].grad, slots[2].grad,
                  normAt(3)};
    layers.clear();
    for (int l = 0; l < config.numHiddenLayers; ++l) {
      size_t base = names::kEmbeddingsCount + static_cast<size_t>(l) * names::kLayerTensorCount;
      EncoderLayerParams p;
      p.query = linearAt(base + 0);
      p.key = linearAt(base + 2);
      p.value = linearAt(base + 4);
      p.attentionOutput = linearAt(base + 6);
      p.attentionNorm = normAt(base + 8);
      p.intermediate = linearAt(base + 10);
      p.output = linearAt(base + 12);
      p.outputNorm = normAt(base + 14);
      layers.push_back(p);
    }
    size_t headBase = names::kEmbeddingsCount + static_cast<size_t>(config.numHiddenLayers) * names::kLayerTensorCount;
    head = {options.head == HeadType::Pooler, linearAt(headBase), linearAt(headBase + 2)};
  }

  Dims dimsFor(const Batch& batch) const {
    const int H = config.hiddenSize, NH = config.numAttentionHeads;
    return {batch.batchSize, batch.seqLen, H, NH, H / NH, config.intermediateSize, batch.batchSize * batch.seqLen};
  }

  // The first trainable layer, where a prefixHidden batch starts.
  int prefixStart() const { return config.numHiddenLayers - options.trainableLayers; }

  // A batch that starts from prefixHidden starts at prefixStart(); one that starts from ids, at the embeddings (0).
  int startOf(const Batch& b) const { return b.prefixHidden ? prefixStart() : 0; }

  void requireFrozenPrefix() const {
    if (options.trainEmbeddings || options.trainableLayers >= config.numHiddenLayers) {
      fail("a frozen prefix needs trainEmbeddings false and trainableLayers < numHiddenLayers (" +
           std::to_string(config.numHiddenLayers) + "), got trainEmbeddings " +
           (options.trainEmbeddings ? "true" : "false") + " and trainableLayers " +
           std::to_string(options.trainableLayers));
    }
  }

  void validateBatch(const Batch& b, const int32_t* labels) const {
    const bool fromIds = !b.prefixHidden;
    if (!b.attentionMask || (fromIds && (!b.inputIds || !b.tokenTypeIds))) fail("batch arrays must not be null");
    if (b.batchSize < 1 || b.seqLen < 1) {
      fail("batchSize and seqLen must be >= 1, got " + std::to_string(b.batchSize) + " x " +
           std::to_string(b.seqLen));
    }
    if (b.seqLen > config.maxPositionEmbeddings) {
      fail("seqLen " + std::to_string(b.seqLen) + " exceeds maxPositionEmbeddings " +
           std::to_string(config.maxPositionEmbeddings));
    }
    // Keeps every row-count product inside int, the GEMM dimension type.
    int64_t rows = static_cast<int64_t>(b.batchSize) * b.seqLen;
    int64_t widest = std::max(config.hiddenSize, config.intermediateSize);
    if (rows * widest > INT_MAX || rows * config.numAttentionHeads * b.seqLen > INT_MAX) {
      fail("batch of " + std::to_string(b.batchSize) + " x " + std::to_string(b.seqLen) + " is too large");
    }
    if (!fromIds) {
      requireFrozenPrefix();
      for (int64_t i = 0; i < rows * config.hiddenSize; ++i) {
        if (!std::isfinite(b.prefixHidden[i])) fail("prefixHidden[" + std::to_string(i) + "] is not finite");
      }
    }
    for (int64_t i = 0; i < rows; ++i) {
      int32_t mask = b.attentionMask[i];
      if (mask != 0 && mask != 1) {
        fail("attentionMask[" + std::to_string(i) + "] = " + std::to_string(mask) + " must be 0 or 1");
      }
      if (!fromIds) continue;
      int32_t id = b.inputIds[i], type = b.tokenTypeIds[i];
      if (id < 0 || id >= config.vocabSize) {
        fail("inputIds[" + std::to_string(i) + "] = " + std::to_string(id) + " is outside [0, " +
             std::to_string(config.vocabSize) + ")");
      }
      if (type < 0 || type >= config.typeVocabSize) {
        fail("tokenTypeIds[" + std::to_string(i) + "] = " + std::to_string(type) + " is outside [0, " +
             std::to_string(config.typeVocabSize) + ")");
      }
    }
    if (labels) {
      for (int i = 0; i < b.batchSize; ++i) {
        if (labels[i] < 0 || labels[i] >= config.numLabels) {
          fail("labels[" + std::to_string(i) + "] = " + std::to_string(labels[i]) + " is outside [0, " +
               std::to_string(config.numLabels) + ")");
        }
      }
    }
  }

  // Layers [start, L) run; those >= saveFrom keep their activations. start > 0: batch.prefixHidden is layer
  // start's input and is uploaded into embeddings.out.
  Workspace prepareWorkspace(const Batch& batch, const int32_t* labels, int saveFrom, bool training, bool backward) {
    Dims d = dimsFor(batch);
    const int start = startOf(batch);
    WorkspacePlan plan{config.numHiddenLayers - saveFrom, saveFrom > start, start == 0, backward,
                       backward && options.trainEmbeddings && start == 0,
                       training && config.attentionProbsDropoutProb > 0.0f};
    Workspace w{};  // buffers the plan leaves out stay null
    Slab measure;
    layoutWorkspace(measure, d, config.numLabels, plan, w);
    workspaceBlock.reserve(measure.used());
    Slab slab(workspaceBlock.base());
    layoutWorkspace(slab, d, config.numLabels, plan, w);
    size_t idBytes = sizeof(int32_t) * static_cast<size_t>(d.N);
    if (start == 0) {
      staged.add(w.ids, batch.inputIds, idBytes);
      staged.add(w.typeIds, batch.tokenTypeIds, idBytes);
    } else {
      be().upload(w.embeddings.out, batch.prefixHidden, sizeof(float) * static_cast<size_t>(d.N) * d.H);
    }
    staged.add(w.mask, batch.attentionMask, idBytes);
    if (labels) staged.add(w.labels, labels, sizeof(int32_t) * static_cast<size_t>(d.B));
    if (plan.embeddingGradients) {
      wordPlanner.build(batch.inputIds, d.N);
      typePlanner.build(batch.tokenTypeIds, d.N);
      w.wordPlan = wordPlanner.on(w.wordPlanImage);
      w.typePlan = typePlanner.on(w.typePlanImage);
      staged.add(w.wordPlanImage, wordPlanner.image().data(), sizeof(int32_t) * wordPlanner.image().size());
      staged.add(w.typePlanImage, typePlanner.image().data(), sizeof(int32_t) * typePlanner.image().size());
    }
    staged.flush(be());
    return w;
  }

  LayerDropout layerDropout(int layer) const {
    return {config.hiddenDropoutProb, config.attentionProbsDropoutProb, dropout_sites::attentionProbs(layer),
            dropout_sites::attentionOutput(layer), dropout_sites::feedForwardOutput(layer)};
  }

  std::vector<float> downloadFloats(const float* src, size_t count) {
    std::vector<float> host(count);
    be().download(host.data(), src, sizeof(float) * count);
    return host;
  }

  // Layers >= saveFrom keep their own activations for the backward; the others share two transient sets.
  static const EncoderLayerActivations& layerActivations(const Workspace& w, int layer, int saveFrom) {
    return layer >= saveFrom ? w.saved[layer - saveFrom] : w.transient[layer % 2];
  }
  // The first layer that runs (start) reads embeddings.out: the embeddings output or the uploaded prefixHidden.
  static const float* layerInput(const Workspace& w, int layer, int saveFrom, int start) {
    return layer == start ? w.embeddings.out : layerActivations(w, layer - 1, saveFrom).out;
  }

  // Encoder layers [start, L) (those >= saveFrom keep their activations) and the head, after the embeddings when
  // start == 0; fills the result's requested extras. Returns the device pointer of the last hidden state.
  const float* runForward(Workspace& w, const Dims& d, int saveFrom, int start, const DropoutKey& key,
                          const ForwardOptions* extras, ForwardResult* result) {
    const float* in = runLayers(w, d, saveFrom, start, config.numHiddenLayers, key, extras, result);
    headForward(be(), head, w.head, in, d, config.numLabels, classifierDropout(),
                dropout_sites::classifier(config.numHiddenLayers), key);
    return in;
  }

  // Embeddings (when start == 0) and encoder layers [start, end); returns the device pointer of the last output.
  const float* runLayers(Workspace& w, const Dims& d, int saveFrom, int start, int end, const DropoutKey& key,
                         const ForwardOptions* extras, ForwardResult* result) {
    size_t rows = static_cast<size_t>(d.N) * d.H;
    bool hidden = extras && extras->outputHiddenStates;
    if (start == 0) {
      embeddingsForward(be(), embeddings, w.embeddings, w.ids, w.typeIds, d, config.layerNormEps,
                        config.hiddenDropoutProb, key);
      if (hidden) result->hiddenStates.push_back(downloadFloats(w.embeddings.out, rows));
    }
    const float* in = w.embeddings.out;
    for (int l = start; l < end; ++l) {
      const EncoderLayerActivations& a = layerActivations(w, l, saveFrom);
      const float* probs = encoderLayerForward(be(), layers[l], a, w.scratch, in, w.mask, d, config.layerNormEps,
                                               layerDropout(l), key);
      if (extras) {
        size_t attentionSize = static_cast<size_t>(d.B) * d.NH * d.T * d.T;
        for (size_t k = 0; k < extras->attentionLayers.size(); ++k) {
          if (extras->attentionLayers[k] == l) result->attentions[k] = downloadFloats(probs, attentionSize);
        }
      }
      if (hidden) result->hiddenStates.push_back(downloadFloats(a.out, rows));
      in = a.out;
    }
    return in;
  }

  float meanLoss(Workspace& w, const Dims& d) {
    be().crossEntropyForward(w.losses, w.probs, w.head.logits, w.labels, d.B, config.numLabels);
    std::vector<float> losses = downloadFloats(w.losses, static_cast<size_t>(d.B));
    double sum = 0.0;
    for (float l : losses) sum += l;
    return static_cast<float>(sum / d.B);
  }
};

BertModel::BertModel(const BertConfig& config, const BertOptions& options, std::shared_ptr<Backend> backend) {
  if (!backend) fail("backend must not be null");
  validateConfig(config, options);
  impl_ = std::make_unique<Impl>(config, options, std::move(backend));
  impl_->declareParameters();
  Slab measure;
  impl_->layoutParameters(measure);
  impl_->parameterBlock.reserve(measure.used());
  Slab slab(impl_->parameterBlock.base());
  impl_->layoutParameters(slab);
  impl_->be().zero(impl_->parameterBlock.base(), measure.used());
  impl_->bindModules();
}

BertModel::~BertModel() = default;

const BertConfig& BertModel::config() const { return impl_->config; }
const BertOptions& BertModel::options() const { return impl_->options; }
const std::vector<ParameterInfo>& BertModel::parameters() const { return impl_->infos; }

const ParameterInfo& BertModel::parameterInfo(const std::string& name) const {
  return impl_->infos[impl_->indexOf(name)];
}

void BertModel::setParameter(const std::string& name, const float* data, size_t count) {
  const ParamSlot& slot = impl_->slots[impl_->indexOf(name)];
  if (!data || count != slot.count) {
    fail("parameter '" + name + "' needs " + std::to_string(slot.count) + " floats, got " + std::to_string(count));
  }
  impl_->be().upload(slot.value, data, sizeof(float) * count);
}

std::vector<float> BertModel::getParameter(const std::string& name) const {
  const ParamSlot& slot = impl_->slots[impl_->indexOf(name)];
  return impl_->downloadFloats(slot.value, slot.count);
}

std::vector<float> BertModel::getGradient(const std::string& name) const {
  const ParamSlot& slot = impl_->trainableSlot(name);
  return impl_->downloadFloats(slot.grad, slot.count);
}

ForwardResult BertModel::forward(const Batch& batch, const ForwardOptions& options) {
  Impl& m = *impl_;
  m.validateBatch(batch, options.labels);
  const int start = m.startOf(batch);
  for (int layer : options.attentionLayers) {
    if (layer < start || layer >= m.config.numHiddenLayers) {
      fail("attention layer " + std::to_string(layer) + " is outside [" + std::to_string(start) + ", " +
           std::to_string(m.config.numHiddenLayers) + ")" + (start > 0 ? " (a prefixHidden batch starts there)" : ""));
    }
  }
  if (start > 0 && options.outputHiddenStates) fail("outputHiddenStates needs a batch of ids, not prefixHidden");
  Dims d = m.dimsFor(batch);
  Workspace w = m.prepareWorkspace(batch, options.labels, m.config.numHiddenLayers, options.training, false);
  ForwardResult result;
  result.attentions.resize(options.attentionLayers.size());
  DropoutKey key{options.training, options.seed, options.step};
  m.runForward(w, d, m.config.numHiddenLayers, start, key, &options, &result);
  result.logits = m.downloadFloats(w.head.logits, static_cast<size_t>(d.B) * m.config.numLabels);
  if (options.labels) result.loss = m.meanLoss(w, d);
  return result;
}

float BertModel::accumulateGradients(const Batch& batch, const int32_t* labels, float scale, uint64_t seed,
                                     uint64_t step) {
  Impl& m = *impl_;
  if (!labels) fail("labels must not be null");
  if (!std::isfinite(scale)) fail("gradient scale must be finite");
  m.validateBatch(batch, labels);
  const int L = m.config.numHiddenLayers;
  // Gradients reach the embeddings only through every layer, so training them keeps all activations.
  const int saveFrom = m.options.trainEmbeddings ? 0 : L - m.options.trainableLayers;
  const int start = m.startOf(batch);
  Dims d = m.dimsFor(batch);
  Workspace w = m.prepareWorkspace(batch, labels, saveFrom, true, true);
  DropoutKey key{true, seed, step};
  m.runForward(w, d, saveFrom, start, key, nullptr, nullptr);
  float loss = m.meanLoss(w, d);

  m.be().crossEntropyBackward(w.dLogits, w.probs, w.labels, scale / static_cast<float>(d.B), d.B,
                              m.config.numLabels);
  size_t rowsBytes = sizeof(float) * static_cast<size_t>(d.N) * d.H;
  float* dHidden = saveFrom < L ? w.grad[0] : nullptr;
  if (dHidden) m.be().zero(dHidden, rowsBytes);
  headBackward(m.be(), m.head, w.head, w.dLogits, w.headScratch, w.headScratch2, dHidden, d, m.config.numLabels,
               m.classifierDropout(), dropout_sites::classifier(L), key);
  for (int l = L - 1; l >= saveFrom; --l) {
    const float* in = m.layerInput(w, l, saveFrom, start);
    bool needInputGrad = l > saveFrom || m.options.trainEmbeddings;
    float* dIn = needInputGrad ? (dHidden == w.grad[0] ? w.grad[1] : w.grad[0]) : nullptr;
    encoderLayerBackward(m.be(), m.layers[l], w.saved[l - saveFrom], w.scratch, in, dHidden, dIn, d,
                         m.layerDropout(l), key);
    dHidden = dIn;
  }
  if (m.options.trainEmbeddings) {
    embeddingsBackward(m.be(), m.embeddings, w.embeddings, dHidden, w.wordPlan, w.typePlan, d,
                       m.config.hiddenDropoutProb, key);
  }
  return loss;
}

float BertModel::applyOptimizer(const AdamWHyper& h) {
  Impl& m = *impl_;
  if (!(h.lr >= 0.0f) || !std::isfinite(h.lr)) fail("lr must be a finite number >= 0");
  if (!(h.beta1 >= 0.0f && h.beta1 < 1.0f)) fail("beta1 must be in [0, 1)");
  if (!(h.beta2 >= 0.0f && h.beta2 < 1.0f)) fail("beta2 must be in [0, 1)");
  if (!(h.eps >= 0.0f) || !std::isfinite(h.eps)) fail("eps must be a finite number >= 0");
  if (!(h.weightDecay >= 0.0f) || !std::isfinite(h.weightDecay)) fail("weightDecay must be a finite number >= 0");
  if (std::isnan(h.maxGradNorm)) fail("maxGradNorm must be a number");

  m.be().zero(m.normAccumulator, sizeof(float));
  for (const ParamSlot& s : m.slots) {
    if (s.grad) m.be().sumOfSquares(m.normAccumulator, s.grad, static_cast<int64_t>(s.count));
  }
  float sumSquares = 0.0f;
  m.be().download(&sumSquares, m.normAccumulator, sizeof(float));
  float norm = std::sqrt(sumSquares);
  // torch.nn.utils.clip_grad_norm_: coefficient max / (norm + 1e-6), clamped to 1.
  float gradScale = 1.0f;
  if (h.maxGradNorm > 0.0f) gradScale = std::min(1.0f, h.maxGradNorm / (norm + 1e-6f));

  m.optimizerStep += 1;
  double t = static_cast<double>(m.optimizerStep);
  float bias1 = static_cast<float>(1.0 - std::pow(static_cast<double>(h.beta1), t));
  float bias2 = static_cast<float>(1.0 - std::pow(static_cast<double>(h.beta2), t));
  for (const ParamSlot& s : m.slots) {
    if (!s.grad) continue;
    m.be().adamwUpdate(s.value, s.grad, s.m, s.v, static_cast<int64_t>(s.count), h.lr, h.beta1, h.beta2, h.eps,
                       s.decay ? h.weightDecay : 0.0f, gradScale, bias1, bias2);
  }
  zeroGradients();
  return norm;
}

TrainStepResult BertModel::trainStep(const Batch& batch, const int32_t* labels, const AdamWHyper& hyper,
                                     uint64_t seed, uint64_t step) {
  TrainStepResult result;
  result.loss = accumulateGradients(batch, labels, 1.0f, seed, step);
  result.gradNorm = applyOptimizer(hyper);
  return result;
}

std::vector<float> BertModel::frozenPrefix(const Batch& batch) {
  Impl& m = *impl_;
  if (batch.prefixHidden) fail("frozenPrefix takes a batch of ids, not prefixHidden");
  m.requireFrozenPrefix();
  m.validateBatch(batch, nullptr);
  Dims d = m.dimsFor(batch);
  const int L = m.config.numHiddenLayers;
  Workspace w = m.prepareWorkspace(batch, nullptr, L, false, false);
  const float* out = m.runLayers(w, d, L, 0, m.prefixStart(), DropoutKey{false, 0, 0}, nullptr, nullptr);
  return m.downloadFloats(out, static_cast<size_t>(d.N) * d.H);
}

void BertModel::zeroGradients() {
  if (impl_->gradientsBegin) impl_->be().zero(impl_->gradientsBegin, impl_->gradientBytes);
}

int64_t BertModel::optimizerStep() const { return impl_->optimizerStep; }

void BertModel::setOptimizerStep(int64_t step) {
  if (step < 0) fail("optimizer step must be >= 0, got " + std::to_string(step));
  impl_->optimizerStep = step;
}

std::vector<float> BertModel::getMoment(const std::string& name, Moment which) const {
  const ParamSlot& slot = impl_->trainableSlot(name);
  return impl_->downloadFloats(which == Moment::First ? slot.m : slot.v, slot.count);
}

void BertModel::setMoment(const std::string& name, Moment which, const float* data, size_t count) {
  const ParamSlot& slot = impl_->trainableSlot(name);
  if (!data || count != slot.count) {
    fail("moment of '" + name + "' needs " + std::to_string(slot.count) + " floats, got " + std::to_string(count));
  }
  impl_->be().upload(which == Moment::First ? slot.m : slot.v, data, sizeof(float) * count);
}

}  // namespace bertnode
