// Encoder (encoder.h): parameter declaration, workspace layout, and the forward / backward drivers over the
// modules of layers.h.
#include "model/encoder.h"

#include <algorithm>

#include "model/dropout_sites.h"
#include "model/packed_bf16_weights.h"
#include "model/parameter_names.h"
#include "model/quantized_linears.h"

namespace bertnode {
namespace {

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

// The [B,NH,T,T] probabilities exist for the composed attention only; the fused one keeps two floats per query.
bool composedAttention(const EncoderPlan& plan) { return !plan.fusedAttention || plan.attentionMaps; }

// The first layer with its own activation set (Encoder::ownFrom_).
int ownFrom(const EncoderPlan& plan, int numLayers) {
  return plan.firstTokenOutput ? std::min(plan.saveFrom, numLayers - 1) : plan.saveFrom;
}

// Whether some layer runs encoderLayerInferenceBf16 (the transient ones may), and whether every transient one does
// (no layer's probabilities wanted): then the transient layers need only the fp32 residual stream (layers.h).
bool someBf16Layer(const EncoderPlan& plan, int numLayers) {
  return plan.bf16Inference && ownFrom(plan, numLayers) > plan.start;
}
bool transientsAllBf16(const EncoderPlan& plan, int numLayers) {
  return someBf16Layer(plan, numLayers) && !plan.attentionMaps;
}

enum class LayerSet { Transient, Own, FirstToken };

EncoderLayerActivations takeLayer(Slab& slab, const Dims& d, const EncoderPlan& plan, int numLayers, LayerSet set) {
  // The first-token layer keeps M = B rows past the attention (layers.h).
  const size_t M = set == LayerSet::FirstToken ? d.B : d.N;
  const size_t rows = M * d.H, keys = static_cast<size_t>(d.N) * d.H, wide = M * d.I;
  const size_t attention = static_cast<size_t>(d.NH) * M * d.T;  // [B,NH,Q,T]
  const size_t queries = static_cast<size_t>(d.NH) * M;  // rowStats: B*NH*T, or B*NH for the first-token layer
  // Buffers only encoderLayerForward writes: none where every layer that uses this set runs the bf16 path.
  const bool fp32Layer = !(set == LayerSet::Transient && transientsAllBf16(plan, numLayers));
  auto fp32Only = [&](size_t n) { return fp32Layer ? n : 0; };
  // The first-token layer takes the fused attention wherever the backend has it (no one wants its probabilities).
  const bool composed = set == LayerSet::FirstToken ? !plan.fusedAttention : composedAttention(plan);
  const bool backwardReads = set != LayerSet::Transient && plan.backward;
  const bool bf16Operands = backwardReads && plan.bf16GemmOperands;  // the layer keeps GEMM-only tensors as bf16
  const bool bf16Attention = bf16Operands && !composed;
  auto attentionFp32 = [&](size_t n) { return bf16Attention ? 0 : fp32Only(n); };
  EncoderLayerActivations a;
  a.firstIn = slab.take<float>(set == LayerSet::FirstToken ? rows : 0);
  a.qh = slab.take<float>(attentionFp32(rows));
  a.kh = slab.take<float>(attentionFp32(keys));
  a.vh = slab.take<float>(attentionFp32(keys));
  a.probs = slab.take<float>(composed ? fp32Only(attention) : 0);
  a.rowStats = slab.take<float>(plan.fusedAttention ? fp32Only(2 * queries) : 0);
  a.context = slab.take<float>(attentionFp32(rows));
  a.qBf16 = slab.take<uint16_t>(bf16Attention ? rows : 0);
  a.kBf16 = slab.take<uint16_t>(bf16Attention ? keys : 0);
  a.vBf16 = slab.take<uint16_t>(bf16Attention ? keys : 0);
  a.contextBf16 = slab.take<uint16_t>(bf16Attention ? rows : 0);
  a.residual1 = slab.take<float>(rows);
  a.mean1 = slab.take<float>(fp32Only(M));
  a.rstd1 = slab.take<float>(fp32Only(M));
  a.hidden1 = slab.take<float>(rows);
  a.gelu = slab.take<float>(bf16Operands ? 0 : fp32Only(wide));
  a.geluBf16 = slab.take<uint16_t>(bf16Operands ? wide : 0);
  a.geluDerivative = slab.take<float>(backwardReads ? wide : 0);
  a.residual2 = slab.take<float>(rows);
  a.mean2 = slab.take<float>(fp32Only(M));
  a.rstd2 = slab.take<float>(fp32Only(M));
  a.out = slab.take<float>(rows);
  return a;
}

}  // namespace

Encoder::Encoder(const EncoderShape& shape, int trainableLayers, bool trainEmbeddings)
    : shape_(shape), trainableLayers_(trainableLayers), trainEmbeddings_(trainEmbeddings) {}

Encoder::~Encoder() = default;

void Encoder::declare(ParameterCatalogue& catalogue) const {
  const int64_t H = shape_.hiddenSize, I = shape_.intermediateSize;
  catalogue.add(names::kWordEmbeddings, {shape_.vocabSize, H}, trainEmbeddings_);
  catalogue.add(names::kPositionEmbeddings, {shape_.maxPositions, H}, trainEmbeddings_);
  catalogue.add(names::kTokenTypeEmbeddings, {shape_.typeVocabSize, H}, trainEmbeddings_);
  catalogue.addNorm(names::kEmbeddingsNorm, H, trainEmbeddings_);
  for (int l = 0; l < shape_.numLayers; ++l) {
    bool trainable = l >= shape_.numLayers - trainableLayers_;
    for (const names::LayerTensor& t : names::kLayerTensors) {
      catalogue.add(names::layerParameter(l, t.suffix), layerShape(t.shape, H, I), trainable);
    }
  }
}

void Encoder::bind(const ParameterStore& store) {
  const ParamSlot& word = store.slot(names::kWordEmbeddings);
  const ParamSlot& position = store.slot(names::kPositionEmbeddings);
  const ParamSlot& type = store.slot(names::kTokenTypeEmbeddings);
  embeddings_ = {word.value, position.value, type.value, word.grad, position.grad, type.grad,
                 store.norm(names::kEmbeddingsNorm)};
  layers_.clear();
  for (int l = 0; l < shape_.numLayers; ++l) {
    EncoderLayerParams p;
    for (const LayerLinear& m : kLayerLinears) p.*m.field = store.linear(names::layerParameter(l, m.module));
    p.attentionNorm = store.norm(names::layerParameter(l, "attention.output.LayerNorm"));
    p.outputNorm = store.norm(names::layerParameter(l, "output.LayerNorm"));
    layers_.push_back(p);
  }
}

void Encoder::attachInt8(const QuantizedLinears& quantized) {
  for (int l = 0; l < shape_.numLayers; ++l) quantized.attach(l, layers_[l]);
}

void Encoder::weightsChanged() {
  if (packedBf16_) packedBf16_->markAllStale();
}

void Encoder::trainableWeightsChanged() {
  if (packedBf16_) packedBf16_->markStaleFrom(shape_.numLayers - trainableLayers_);
}

size_t Encoder::inferenceCopyBytes() const { return packedBf16_ ? packedBf16_->bytes() : 0; }

void Encoder::layoutInts(Slab& slab, const Dims& d, const EncoderPlan& plan) {
  plan_ = plan;
  size_t fromIds = plan.start == 0 ? static_cast<size_t>(d.N) : 0;
  ids_ = slab.take<int32_t>(fromIds);
  typeIds_ = slab.take<int32_t>(fromIds);
  mask_ = slab.take<int32_t>(d.N);
  size_t planInts = plan.embeddingGradients ? scatterPlanCapacity(static_cast<size_t>(d.N)) : 0;
  wordPlanImage_ = slab.take<int32_t>(planInts);
  typePlanImage_ = slab.take<int32_t>(planInts);
}

void Encoder::layoutFloats(Slab& slab, const Dims& d) {
  const EncoderPlan& plan = plan_;
  size_t rows = static_cast<size_t>(d.N) * d.H;
  size_t attention = static_cast<size_t>(d.B) * d.NH * d.T * d.T;
  size_t wide = static_cast<size_t>(d.N) * d.I;
  auto backwardOnly = [&](size_t n) { return plan.backward ? n : 0; };
  auto embeddingsOnly = [&](size_t n) { return plan.start == 0 ? n : 0; };
  embeddingsActs_ = {slab.take<float>(embeddingsOnly(rows)), slab.take<float>(embeddingsOnly(d.N)),
                     slab.take<float>(embeddingsOnly(d.N)), slab.take<float>(rows)};
  const int L = shape_.numLayers;
  ownFrom_ = ownFrom(plan, L);
  saved_.clear();
  for (int i = ownFrom_; i < L; ++i) {
    const bool firstToken = plan.firstTokenOutput && i == L - 1;
    saved_.push_back(takeLayer(slab, d, plan, L, firstToken ? LayerSet::FirstToken : LayerSet::Own));
  }
  transient_[0] = transient_[1] = EncoderLayerActivations{};
  if (ownFrom_ > plan.start) {
    transient_[0] = takeLayer(slab, d, plan, L, LayerSet::Transient);
    transient_[1] = transient_[0];
    transient_[1].out = slab.take<float>(rows);
  }
  scratch_ = {slab.take<float>(rows),
              slab.take<float>(backwardOnly(rows)),
              slab.take<float>(rows),
              slab.take<float>(backwardOnly(rows)),
              slab.take<float>(backwardOnly(rows)),
              slab.take<float>(backwardOnly(wide)),
              slab.take<float>(plan.attentionDropout && composedAttention(plan) ? attention : 0),
              slab.take<float>(composedAttention(plan) ? backwardOnly(attention) : 0),
              slab.take<uint16_t>(someBf16Layer(plan, L) ? rows : 0),
              slab.take<uint16_t>(someBf16Layer(plan, L) ? 3 * rows : 0),
              slab.take<uint16_t>(someBf16Layer(plan, L) ? wide : 0)};
  bool anyGradient = plan.backward && (plan.saveFrom < shape_.numLayers || plan.embeddingGradients);
  grad_[0] = slab.take<float>(anyGradient ? rows : 0);
  grad_[1] = slab.take<float>(anyGradient ? rows : 0);
  padRow_ = slab.take<float>(plan.embeddingGradients && shape_.padTokenId >= 0 ? d.H : 0);
}

void Encoder::stage(StagedUpload& staged, const int32_t* ids, const int32_t* typeIds, const int32_t* mask,
                    const Dims& d) {
  size_t idBytes = sizeof(int32_t) * static_cast<size_t>(d.N);
  if (plan_.start == 0) {
    staged.add(ids_, ids, idBytes);
    staged.add(typeIds_, typeIds, idBytes);
  }
  staged.add(mask_, mask, idBytes);
  if (plan_.embeddingGradients) {
    wordPlanner_.build(ids, d.N);
    typePlanner_.build(typeIds, d.N);
    wordPlan_ = wordPlanner_.on(wordPlanImage_);
    typePlan_ = typePlanner_.on(typePlanImage_);
    staged.add(wordPlanImage_, wordPlanner_.image().data(), sizeof(int32_t) * wordPlanner_.image().size());
    staged.add(typePlanImage_, typePlanner_.image().data(), sizeof(int32_t) * typePlanner_.image().size());
  }
}

LayerDropout Encoder::layerDropout(int layer) const {
  return {shape_.hiddenDropout, shape_.attentionDropout, dropout_sites::attentionProbs(layer),
          dropout_sites::attentionOutput(layer), dropout_sites::feedForwardOutput(layer)};
}

// Layers >= ownFrom_ (those the backward reads, and a first-token last layer) have their own activations; the
// others share two transient sets.
const EncoderLayerActivations& Encoder::activations(int layer) const {
  return layer >= ownFrom_ ? saved_[layer - ownFrom_] : transient_[layer % 2];
}

// The first layer that runs reads embeddings.out: the embeddings output or the uploaded prefix hidden state.
const float* Encoder::layerInput(int layer) const {
  return layer == plan_.start ? embeddingsActs_.out : activations(layer - 1).out;
}

const float* Encoder::forward(Backend& be, const Dims& d, int end, const DropoutKey& key,
                              const EncoderExtras& extras) {
  size_t rows = static_cast<size_t>(d.N) * d.H;
  auto download = [&](const float* src, size_t count) {
    std::vector<float> host(count);
    be.download(host.data(), src, sizeof(float) * count);
    return host;
  };
  if (plan_.start == 0) {
    embeddingsForward(be, embeddings_, embeddingsActs_, ids_, typeIds_, d, shape_.layerNormEps, shape_.hiddenDropout,
                      key);
    if (extras.hiddenStates) extras.hiddenStatesOut->push_back(download(embeddingsActs_.out, rows));
  }
  const float* in = embeddingsActs_.out;
  for (int l = plan_.start; l < end; ++l) {
    const EncoderLayerActivations& a = activations(l);
    const std::vector<int>* wanted = extras.attentionLayers;
    const bool wantProbs = wanted && std::find(wanted->begin(), wanted->end(), l) != wanted->end();
    const float* probs = nullptr;
    if (plan_.bf16Inference && l < ownFrom_ && !wantProbs) {
      Bf16Activations& linears = *be.bf16Activations();
      if (!packedBf16_) {
        packedBf16_ = std::make_unique<PackedBf16Weights>(shape_.numLayers, shape_.hiddenSize, shape_.intermediateSize);
      }
      const PackedBf16Weights::Layer packed = packedBf16_->layer(be, linears, l, layers_[l]);
      encoderLayerInferenceBf16(be, linears, layers_[l], packed.data(), a, scratch_, in, mask_, d, shape_.layerNormEps);
    } else {
      probs = encoderLayerForward(be, layers_[l], a, scratch_, in, mask_, d, shape_.layerNormEps, layerDropout(l), key,
                                  wantProbs);
    }
    if (wantProbs) {
      size_t attentionSize = static_cast<size_t>(d.B) * d.NH * d.T * d.T;
      for (size_t k = 0; k < wanted->size(); ++k) {
        if ((*wanted)[k] == l) (*extras.attentionsOut)[k] = download(probs, attentionSize);
      }
    }
    if (extras.hiddenStates) extras.hiddenStatesOut->push_back(download(a.out, rows));
    in = a.out;
  }
  return in;
}

void Encoder::backward(Backend& be, const Dims& d, float* dHidden, const DropoutKey& key) {
  for (int l = shape_.numLayers - 1; l >= plan_.saveFrom; --l) {
    bool needInputGrad = l > plan_.saveFrom || trainEmbeddings_;
    float* dIn = needInputGrad ? (dHidden == grad_[0] ? grad_[1] : grad_[0]) : nullptr;
    encoderLayerBackward(be, layers_[l], activations(l), scratch_, layerInput(l), mask_, dHidden, dIn, d,
                         layerDropout(l), key);
    dHidden = dIn;
  }
  if (!trainEmbeddings_) return;
  // nn.Embedding(padding_idx): the pad row keeps what it held before the lookups' scatter (zero, or the tied
  // masked-LM decoder's gradient, which is not a lookup).
  size_t rowBytes = sizeof(float) * static_cast<size_t>(d.H);
  float* padRow = padRow_ ? embeddings_.dWord + static_cast<size_t>(shape_.padTokenId) * d.H : nullptr;
  if (padRow) be.copy(padRow_, padRow, rowBytes);
  embeddingsBackward(be, embeddings_, embeddingsActs_, dHidden, wordPlan_, typePlan_, d, shape_.hiddenDropout, key);
  if (padRow) be.copy(padRow, padRow_, rowBytes);
}

}  // namespace bertnode
