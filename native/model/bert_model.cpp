// BertModel: the encoder and one head over one parameter store; batch validation, the per-call workspace, and the
// forward / backward / AdamW drivers. The public contract is documented in bert_model.h.
#include "model/bert_model.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <unordered_map>

#include "model/arena.h"
#include "model/encoder.h"
#include "model/heads/head.h"
#include "model/quantized_linears.h"
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
  positive(c.numLabels, "numLabels");
  if (c.padTokenId < -1 || c.padTokenId >= c.vocabSize) {
    fail("config.padTokenId must be -1 (none) or in [0, vocabSize), got " + std::to_string(c.padTokenId));
  }  // each head asks for more where it needs more (validateHeadOptions)
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

EncoderShape encoderShape(const BertConfig& c) {
  return {c.vocabSize,     c.hiddenSize,      c.numHiddenLayers,       c.numAttentionHeads,
          c.intermediateSize, c.maxPositionEmbeddings, c.typeVocabSize, c.layerNormEps,
          c.hiddenDropoutProb, c.attentionProbsDropoutProb, c.padTokenId};
}

// BERTNODE_FIRST_TOKEN_LAYER=0 runs the last layer in full even for a head that reads only [CLS] rows, so tests and
// benchmarks can compare the two; any other value, or none, lets the model use the first-token layer.
bool firstTokenLayerAllowed() {
  const char* value = std::getenv("BERTNODE_FIRST_TOKEN_LAYER");
  return !(value && std::string(value) == "0");
}

// The head's view of the hidden state: [B,T,H], or [B,1,H] when the last layer was a first-token layer.
Dims headDims(const Dims& d, bool firstToken) {
  if (!firstToken) return d;
  Dims h = d;
  h.T = 1;
  h.N = d.B;
  return h;
}

}  // namespace

struct BertModel::Impl {
  BertConfig config;
  BertOptions options;
  std::shared_ptr<Backend> backend;
  Encoder encoder;
  std::unique_ptr<Head> head;
  std::unique_ptr<ParameterStore> store;
  DeviceBlock workspaceBlock;
  int64_t optimizerStep = 0;
  StagedUpload staged;
  std::unique_ptr<QuantizedLinears> int8;  // precision 'int8' only
  bool firstTokenLayerAllowed = bertnode::firstTokenLayerAllowed();

  Impl(const BertConfig& c, const BertOptions& o, std::shared_ptr<Backend> be)
      : config(c), options(o), backend(std::move(be)), encoder(encoderShape(c), o.trainableLayers, o.trainEmbeddings),
        head(createHead(c, o)), workspaceBlock(*backend) {
    ParameterCatalogue catalogue;
    encoder.declare(catalogue);
    head->declare(catalogue);
    store = std::make_unique<ParameterStore>(catalogue.infos(), *backend);
    encoder.bind(*store);
    head->bind(*store);
    if (o.int8Linears) {
      int8 = std::make_unique<QuantizedLinears>(*store, c.numHiddenLayers);
      encoder.attachInt8(*int8);
    }
  }

  // Training reads and writes the fp32 weights the int8 copies only approximate; an int8 model is for inference.
  void requireTrainable(const char* what) const {
    if (int8) fail(std::string(what) + ": precision 'int8' is inference-only; train with 'fp32' or 'bf16'");
  }

  // Before every forward of an int8 model: no stale copy is read (quantized_linears.h).
  void refreshInt8() {
    if (int8) int8->refresh(be(), *store);
  }

  Backend& be() { return *backend; }

  Dims dimsFor(const Batch& batch) const {
    const int H = config.hiddenSize, NH = config.numAttentionHeads;
    return {batch.batchSize, batch.seqLen, H, NH, H / NH, config.intermediateSize, batch.batchSize * batch.seqLen};
  }

  // Whether a call runs the last layer as the first-token layer (layers.h): the head reads only each sequence's
  // [CLS] row, the last layer runs on more than one position, and no one asked for its probabilities or for hidden
  // states. The [CLS] rows' numbers are the full layer's; the other rows are never computed.
  bool firstTokenOutput(const Batch& batch, bool hiddenStates, const std::vector<int>& attentionLayers) const {
    const int last = config.numHiddenLayers - 1;
    return firstTokenLayerAllowed && head->readsFirstTokenOnly() && startOf(batch) <= last && batch.seqLen > 1 &&
           !hiddenStates &&
           std::find(attentionLayers.begin(), attentionLayers.end(), last) == attentionLayers.end();
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

  void validateBatch(const Batch& b, const Labels& labels) const {
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
    head->checkBatch(b.batchSize, b.seqLen);
    if (labels.present()) checkLabels(head->labelLayout(b.batchSize, b.seqLen), labels);
  }

  // Lays out and uploads one call's workspace: the encoder runs layers [start, L) (those >= saveFrom keep their
  // activations), the head its forward (and backward when `backward`). start > 0: batch.prefixHidden is layer
  // start's input and is uploaded into the encoder's prefix input. Returns the head's Dims (headDims).
  Dims prepareWorkspace(const Batch& batch, const Labels& labels, int saveFrom, bool training, bool backward,
                        bool attentionMaps, bool firstToken) {
    Dims d = dimsFor(batch);
    const Dims hd = headDims(d, firstToken);
    const int start = startOf(batch);
    EncoderPlan plan{saveFrom,
                     start,
                     backward,
                     backward && options.trainEmbeddings && start == 0,
                     training && config.attentionProbsDropoutProb > 0.0f,
                     be().fusedAttention() != nullptr,
                     attentionMaps,
                     be().bf16GemmOperands(),
                     !training && be().bf16Activations() != nullptr,
                     firstToken};
    auto layout = [&](Slab& slab) {
      encoder.layoutInts(slab, d, plan);
      head->layoutLabels(slab, hd);
      encoder.layoutFloats(slab, d);
      head->layout(slab, hd, backward);
    };
    Slab measure;
    layout(measure);
    workspaceBlock.reserve(measure.used());
    Slab slab(workspaceBlock.base());
    layout(slab);
    if (start > 0) {
      be().upload(encoder.prefixInput(), batch.prefixHidden, sizeof(float) * static_cast<size_t>(d.N) * d.H);
    }
    encoder.stage(staged, batch.inputIds, batch.tokenTypeIds, batch.attentionMask, d);
    if (labels.present()) head->stageLabels(staged, labels, hd);
    staged.flush(be());
    return hd;
  }

  std::vector<float> downloadFloats(const float* src, size_t count) {
    std::vector<float> host(count);
    be().download(host.data(), src, sizeof(float) * count);
    return host;
  }
};

std::vector<ParameterInfo> parameterCatalogue(const BertConfig& config, const BertOptions& options) {
  validateConfig(config, options);
  ParameterCatalogue catalogue;
  Encoder(encoderShape(config), options.trainableLayers, options.trainEmbeddings).declare(catalogue);
  createHead(config, options)->declare(catalogue);
  return catalogue.infos();
}

BertModel::BertModel(const BertConfig& config, const BertOptions& options, std::shared_ptr<Backend> backend) {
  if (!backend) fail("backend must not be null");
  validateConfig(config, options);
  impl_ = std::make_unique<Impl>(config, options, std::move(backend));
}

BertModel::~BertModel() = default;

const BertConfig& BertModel::config() const { return impl_->config; }
const BertOptions& BertModel::options() const { return impl_->options; }
const std::vector<ParameterInfo>& BertModel::parameters() const { return impl_->store->infos(); }

const ParameterInfo& BertModel::parameterInfo(const std::string& name) const {
  return impl_->store->infos()[impl_->store->indexOf(name)];
}

LabelLayout BertModel::labelLayout(int rows, int seqLen) const { return impl_->head->labelLayout(rows, seqLen); }

void BertModel::setParameter(const std::string& name, const float* data, size_t count) {
  const ParamSlot& slot = impl_->store->slot(name);
  if (!data || count != slot.count) {
    fail("parameter '" + name + "' needs " + std::to_string(slot.count) + " floats, got " + std::to_string(count));
  }
  impl_->be().upload(slot.value, data, sizeof(float) * count);
  if (impl_->int8) impl_->int8->markStale(name);
  impl_->encoder.weightsChanged();
}

std::vector<float> BertModel::getParameter(const std::string& name) const {
  const ParamSlot& slot = impl_->store->slot(name);
  return impl_->downloadFloats(slot.value, slot.count);
}

std::vector<float> BertModel::getGradient(const std::string& name) const {
  const ParamSlot& slot = impl_->store->trainableSlot(name);
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
  if (options.training) m.requireTrainable("forward with training");
  m.refreshInt8();
  Dims d = m.dimsFor(batch);
  const bool firstToken = m.firstTokenOutput(batch, options.outputHiddenStates, options.attentionLayers);
  const Dims hd = m.prepareWorkspace(batch, options.labels, m.config.numHiddenLayers, options.training, false,
                                     !options.attentionLayers.empty(), firstToken);
  ForwardResult result;
  result.attentions.resize(options.attentionLayers.size());
  DropoutKey key{options.training, options.seed, options.step};
  EncoderExtras extras{&options.attentionLayers, options.outputHiddenStates, &result.attentions,
                       &result.hiddenStates};
  const float* hidden = m.encoder.forward(m.be(), d, m.config.numHiddenLayers, key, extras);
  m.head->forward(m.be(), hidden, m.encoder.deviceMask(), hd, key);
  for (HeadOutput& out : m.head->outputs(m.be(), hd)) result.outputs.emplace_back(out.name, std::move(out.data));
  if (options.labels.present()) result.loss = m.head->loss(m.be(), hd);
  return result;
}

float BertModel::accumulateGradients(const Batch& batch, const Labels& labels, float scale, uint64_t seed,
                                     uint64_t step) {
  Impl& m = *impl_;
  if (!m.head->trainable()) fail("the embedding head is inference-only: it does not train");
  m.requireTrainable("accumulateGradients");
  if (!labels.present()) fail("labels must not be null");
  if (!std::isfinite(scale)) fail("gradient scale must be finite");
  m.validateBatch(batch, labels);
  const int L = m.config.numHiddenLayers;
  // Gradients reach the embeddings only through every layer, so training them keeps all activations.
  const int saveFrom = m.options.trainEmbeddings ? 0 : L - m.options.trainableLayers;
  Dims d = m.dimsFor(batch);
  const bool firstToken = m.firstTokenOutput(batch, false, {});
  const Dims hd = m.prepareWorkspace(batch, labels, saveFrom, true, true, false, firstToken);
  DropoutKey key{true, seed, step};
  const float* hidden = m.encoder.forward(m.be(), d, L, key, EncoderExtras{});
  m.head->forward(m.be(), hidden, m.encoder.deviceMask(), hd, key);
  float loss = m.head->loss(m.be(), hd);

  float* dHidden = m.encoder.dHiddenBuffer();
  if (dHidden) m.be().zero(dHidden, sizeof(float) * static_cast<size_t>(hd.N) * hd.H);
  m.head->backward(m.be(), scale, dHidden, hd, key);
  if (dHidden) m.encoder.backward(m.be(), d, dHidden, key);
  return loss;
}

float BertModel::applyOptimizer(const AdamWHyper& h) {
  Impl& m = *impl_;
  m.requireTrainable("applyOptimizer");
  if (!(h.lr >= 0.0f) || !std::isfinite(h.lr)) fail("lr must be a finite number >= 0");
  if (!(h.beta1 >= 0.0f && h.beta1 < 1.0f)) fail("beta1 must be in [0, 1)");
  if (!(h.beta2 >= 0.0f && h.beta2 < 1.0f)) fail("beta2 must be in [0, 1)");
  // eps > 0, as the addon requires: Adam divides by sqrt(v) + eps, and v of an untouched element is 0.
  if (!(h.eps > 0.0f) || !std::isfinite(h.eps)) fail("eps must be a finite number > 0");
  if (!(h.weightDecay >= 0.0f) || !std::isfinite(h.weightDecay)) fail("weightDecay must be a finite number >= 0");
  if (std::isnan(h.maxGradNorm)) fail("maxGradNorm must be a number");

  float* accumulator = m.store->normAccumulator();
  m.be().zero(accumulator, sizeof(float));
  for (const ParamSlot& s : m.store->slots()) {
    if (s.grad) m.be().sumOfSquares(accumulator, s.grad, static_cast<int64_t>(s.count));
  }
  float sumSquares = 0.0f;
  m.be().download(&sumSquares, accumulator, sizeof(float));
  float norm = std::sqrt(sumSquares);
  // torch.nn.utils.clip_grad_norm_: coefficient max / (norm + 1e-6), clamped to 1.
  float gradScale = 1.0f;
  if (h.maxGradNorm > 0.0f) gradScale = std::min(1.0f, h.maxGradNorm / (norm + 1e-6f));

  m.optimizerStep += 1;
  double t = static_cast<double>(m.optimizerStep);
  float bias1 = static_cast<float>(1.0 - std::pow(static_cast<double>(h.beta1), t));
  float bias2 = static_cast<float>(1.0 - std::pow(static_cast<double>(h.beta2), t));
  for (const ParamSlot& s : m.store->slots()) {
    if (!s.grad) continue;
    m.be().adamwUpdate(s.value, s.grad, s.m, s.v, static_cast<int64_t>(s.count), h.lr, h.beta1, h.beta2, h.eps,
                       s.decay ? h.weightDecay : 0.0f, gradScale, bias1, bias2);
  }
  m.encoder.trainableWeightsChanged();
  zeroGradients();
  return norm;
}

TrainStepResult BertModel::trainStep(const Batch& batch, const Labels& labels, const AdamWHyper& hyper,
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
  m.validateBatch(batch, Labels{});
  m.refreshInt8();
  Dims d = m.dimsFor(batch);
  m.prepareWorkspace(batch, Labels{}, m.config.numHiddenLayers, false, false, false, false);
  const float* out = m.encoder.forward(m.be(), d, m.prefixStart(), DropoutKey{false, 0, 0}, EncoderExtras{});
  return m.downloadFloats(out, static_cast<size_t>(d.N) * d.H);
}

int64_t BertModel::nativeBytes() const {
  const Impl& m = *impl_;
  size_t bytes = m.store->bytes() + m.workspaceBlock.capacity() + m.encoder.inferenceCopyBytes();
  if (m.int8) bytes += m.int8->bytes();
  return static_cast<int64_t>(bytes);
}

void BertModel::zeroGradients() { impl_->store->zeroGradients(impl_->be()); }

int64_t BertModel::optimizerStep() const { return impl_->optimizerStep; }

void BertModel::setOptimizerStep(int64_t step) {
  if (step < 0) fail("optimizer step must be >= 0, got " + std::to_string(step));
  impl_->optimizerStep = step;
}

std::vector<float> BertModel::getMoment(const std::string& name, Moment which) const {
  const ParamSlot& slot = impl_->store->trainableSlot(name);
  return impl_->downloadFloats(which == Moment::First ? slot.m : slot.v, slot.count);
}

void BertModel::setMoment(const std::string& name, Moment which, const float* data, size_t count) {
  const ParamSlot& slot = impl_->store->trainableSlot(name);
  if (!data || count != slot.count) {
    fail("moment of '" + name + "' needs " + std::to_string(slot.count) + " floats, got " + std::to_string(count));
  }
  impl_->be().upload(which == Moment::First ? slot.m : slot.v, data, sizeof(float) * count);
}

}  // namespace bertnode
