#include "addon/validate.h"

#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <set>

#include "addon/errors.h"
#include "addon/sizes.h"

namespace bertnode::addon {

namespace {

constexpr double kMaxSafeInteger = 9007199254740991.0;  // Number.MAX_SAFE_INTEGER

std::string field(const char* where, const char* key) { return std::string(where) + "." + key; }

std::string describe(const Napi::Value& value) {
  if (value.IsUndefined()) return "undefined";
  if (value.IsNull()) return "null";
  if (value.IsNumber()) {
    double d = value.As<Napi::Number>().DoubleValue();
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", d);
    return buf;
  }
  if (value.IsString()) return "a string";
  if (value.IsBoolean()) return "a boolean";
  if (value.IsTypedArray()) {
    switch (value.As<Napi::TypedArray>().TypedArrayType()) {
      case napi_int8_array: return "an Int8Array";
      case napi_uint8_array: return "a Uint8Array";
      case napi_uint8_clamped_array: return "a Uint8ClampedArray";
      case napi_int16_array: return "an Int16Array";
      case napi_uint16_array: return "a Uint16Array";
      case napi_int32_array: return "an Int32Array";
      case napi_uint32_array: return "a Uint32Array";
      case napi_float32_array: return "a Float32Array";
      case napi_float64_array: return "a Float64Array";
      default: return "a BigInt typed array";
    }
  }
  if (value.IsArray()) return "an Array";
  if (value.IsFunction()) return "a function";
  return "an object";
}

// A number that is an integer in [min, max].
int readInt(Napi::Env env, const Napi::Object& obj, const char* where, const char* key, int min, int max) {
  Napi::Value v = obj.Get(key);
  if (!v.IsNumber()) throwTypeError(env, field(where, key) + " must be an integer, got " + describe(v));
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d) {
    throwTypeError(env, field(where, key) + " must be an integer, got " + describe(v));
  }
  if (d < min || d > max) {
    throwRangeError(env, field(where, key) + " = " + describe(v) + " is outside [" + std::to_string(min) + ", " +
                             std::to_string(max) + "]");
  }
  return static_cast<int>(d);
}

float readProbability(Napi::Env env, const Napi::Object& obj, const char* where, const char* key) {
  return readFloat32(env, obj, where, key, [](float p) { return p >= 0 && p < 1; }, "must be a probability in [0, 1)");
}

Napi::TypedArray requireTypedArray(Napi::Env env, const Napi::Value& value, napi_typedarray_type type,
                                   const char* typeName, const std::string& what) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != type) {
    throwTypeError(env, what + " must be " + typeName + ", got " + describe(value));
  }
  return value.As<Napi::TypedArray>();
}

// Copies an Int32Array of exactly n elements, checking each value is in [lo, hi).
std::vector<int32_t> copyInt32(Napi::Env env, const Napi::Value& value, size_t n, int32_t lo, int32_t hi,
                               const std::string& what, const std::string& rangeName) {
  Napi::TypedArray array = requireTypedArray(env, value, napi_int32_array, "an Int32Array", what);
  if (array.ElementLength() != n) {
    throwRangeError(env, what + " has " + std::to_string(array.ElementLength()) + " elements, expected " +
                             std::to_string(n));
  }
  std::vector<int32_t> out(n);
  if (n > 0) std::memcpy(out.data(), array.As<Napi::Int32Array>().Data(), n * sizeof(int32_t));
  for (size_t i = 0; i < n; ++i) {
    if (out[i] < lo || out[i] >= hi) {
      throwRangeError(env, what + "[" + std::to_string(i) + "] = " + std::to_string(out[i]) + " is outside " +
                               rangeName);
    }
  }
  return out;
}

}  // namespace

Napi::Object requireObject(Napi::Env env, const Napi::Value& value, const char* what) {
  if (!value.IsObject() || value.IsArray() || value.IsTypedArray() || value.IsFunction()) {
    throwTypeError(env, std::string(what) + " must be an object, got " + describe(value));
  }
  return value.As<Napi::Object>();
}

std::string requireString(Napi::Env env, const Napi::Value& value, const char* what) {
  if (!value.IsString()) throwTypeError(env, std::string(what) + " must be a string, got " + describe(value));
  return value.As<Napi::String>().Utf8Value();
}

double readFiniteNumber(Napi::Env env, const Napi::Object& obj, const char* where, const char* key) {
  Napi::Value v = obj.Get(key);
  if (!v.IsNumber()) throwTypeError(env, field(where, key) + " must be a number, got " + describe(v));
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) throwRangeError(env, field(where, key) + " must be finite, got " + describe(v));
  return d;
}

float readFloat32(Napi::Env env, const Napi::Object& obj, const char* where, const char* key, bool (*ok)(float),
                  const char* rule) {
  const double d = readFiniteNumber(env, obj, where, key);
  const float f = static_cast<float>(d);
  if (!std::isfinite(f)) {
    throwRangeError(env, field(where, key) + " = " + describe(obj.Get(key)) + " overflows float32");
  }
  if (!ok(f)) {
    std::string message = field(where, key) + " = " + describe(obj.Get(key)) + " " + rule;
    if (double(f) != d) {
      char asFloat[64];
      std::snprintf(asFloat, sizeof asFloat, "%.9g", double(f));
      message += std::string(" (it is ") + asFloat + " as the float32 the engine computes with)";
    }
    throwRangeError(env, message);
  }
  return f;
}

uint64_t readCounter(Napi::Env env, const Napi::Object& obj, const char* where, const char* key) {
  Napi::Value v = obj.Get(key);
  if (v.IsUndefined()) return 0;
  if (!v.IsNumber()) throwTypeError(env, field(where, key) + " must be a non-negative integer, got " + describe(v));
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d || d < 0 || d > kMaxSafeInteger) {
    throwRangeError(env, field(where, key) + " must be a non-negative safe integer, got " + describe(v));
  }
  return static_cast<uint64_t>(d);
}

BertConfig readConfig(Napi::Env env, const Napi::Value& value) {
  Napi::Object obj = requireObject(env, value, "config");
  const char* w = "config";
  BertConfig c;
  c.vocabSize = readInt(env, obj, w, "vocabSize", 1, kMaxVocab);
  c.hiddenSize = readInt(env, obj, w, "hiddenSize", 1, kMaxHidden);
  c.numHiddenLayers = readInt(env, obj, w, "numHiddenLayers", 1, kMaxLayers);
  c.numAttentionHeads = readInt(env, obj, w, "numAttentionHeads", 1, c.hiddenSize);
  if (c.hiddenSize % c.numAttentionHeads != 0) {
    throwRangeError(env, "config.numAttentionHeads = " + std::to_string(c.numAttentionHeads) +
                             " does not divide config.hiddenSize = " + std::to_string(c.hiddenSize));
  }
  c.intermediateSize = readInt(env, obj, w, "intermediateSize", 1, kMaxIntermediate);
  c.maxPositionEmbeddings = readInt(env, obj, w, "maxPositionEmbeddings", 1, kMaxPositions);
  c.typeVocabSize = readInt(env, obj, w, "typeVocabSize", 1, kMaxTypeVocab);
  c.numLabels = readInt(env, obj, w, "numLabels", 1, kMaxLabels);
  // Optional (Hugging Face's pad_token_id, default 0); -1: no padding row.
  if (!obj.Get("padTokenId").IsUndefined()) c.padTokenId = readInt(env, obj, w, "padTokenId", -1, c.vocabSize - 1);
  c.layerNormEps = readFloat32(env, obj, w, "layerNormEps", [](float eps) { return eps > 0 && eps < 1; },
                              "must be in (0, 1)");
  c.hiddenDropoutProb = readProbability(env, obj, w, "hiddenDropoutProb");
  c.attentionProbsDropoutProb = readProbability(env, obj, w, "attentionProbsDropoutProb");
  Napi::Value classifierDropout = obj.Get("classifierDropout");
  if (!classifierDropout.IsNull() && !classifierDropout.IsUndefined()) {
    c.classifierDropout = readProbability(env, obj, w, "classifierDropout");
  }

  const Size H = c.hiddenSize, I = c.intermediateSize;
  const Size parameters = (Size(c.vocabSize) + c.maxPositionEmbeddings + c.typeVocabSize + 2) * H +
                          Size(c.numHiddenLayers) * (Size(4) * (H * H + H) + Size(2) * H * I + I + H + Size(4) * H) +
                          H * H + H + Size(c.numLabels) * (H + 1);
  if (!parameters.atMost(kMaxParameters)) {
    throwRangeError(env, "config describes " + parameters.toString() +
                             " parameters, more than the engine's limit of 2^31");
  }
  return c;
}

namespace {

// options.head and the options of that head; which combinations are valid is decided once, by the model
// (validateHeadOptions), when it is constructed.
void readHead(Napi::Env env, const Napi::Object& obj, BertOptions& o) {
  std::string head = requireString(env, obj.Get("head"), "options.head");
  auto optionalString = [&](const char* key) -> std::string {
    Napi::Value v = obj.Get(key);
    return v.IsUndefined() ? std::string() : requireString(env, v, (std::string("options.") + key).c_str());
  };
  if (head == "cls" || head == "pooler") {
    o.head = HeadKind::SequenceClassification;
    o.pooling = head == "cls" ? Pooling::Cls : Pooling::Pooler;
  } else if (head == "token-classification") {
    o.head = HeadKind::TokenClassification;
  } else if (head == "question-answering") {
    o.head = HeadKind::QuestionAnswering;
  } else if (head == "multiple-choice") {
    o.head = HeadKind::MultipleChoice;
    o.numChoices = readInt(env, obj, "options", "numChoices", 2, kMaxLabels);
  } else if (head == "masked-lm") {
    o.head = HeadKind::MaskedLM;
  } else if (head == "pretraining") {
    o.head = HeadKind::PreTraining;
  } else if (head == "embedding") {
    o.head = HeadKind::Embedding;
    std::string pooling = optionalString("pooling");
    if (pooling == "mean" || pooling.empty()) {
      o.pooling = Pooling::Mean;
    } else if (pooling == "cls") {
      o.pooling = Pooling::Cls;
    } else {
      throwRangeError(env, "options.pooling must be 'mean' or 'cls', got '" + pooling + "'");
    }
    Napi::Value normalize = obj.Get("normalize");
    if (!normalize.IsUndefined() && !normalize.IsBoolean()) {
      throwTypeError(env, "options.normalize must be a boolean, got " + describe(normalize));
    }
    o.normalize = normalize.ToBoolean().Value();
  } else {
    throwRangeError(env, "options.head must be one of 'cls', 'pooler', 'token-classification', "
                         "'question-answering', 'multiple-choice', 'masked-lm', 'pretraining', 'embedding'; got '" +
                             head + "'");
  }
  std::string problem = optionalString("problemType");
  if (problem.empty() || problem == "single_label_classification") {
    o.problemType = ProblemType::SingleLabel;
  } else if (problem == "multi_label_classification") {
    o.problemType = ProblemType::MultiLabel;
  } else if (problem == "regression") {
    o.problemType = ProblemType::Regression;
  } else {
    throwRangeError(env, "options.problemType must be 'single_label_classification', 'multi_label_classification' "
                         "or 'regression', got '" + problem + "'");
  }
}

}  // namespace

BertOptions readOptions(Napi::Env env, const Napi::Value& value, const BertConfig& config) {
  Napi::Object obj = requireObject(env, value, "options");
  BertOptions o;
  readHead(env, obj, o);
  o.trainableLayers = readInt(env, obj, "options", "trainableLayers", 0, config.numHiddenLayers);
  Napi::Value trainEmbeddings = obj.Get("trainEmbeddings");
  if (!trainEmbeddings.IsBoolean()) {
    throwTypeError(env, "options.trainEmbeddings must be a boolean, got " + describe(trainEmbeddings));
  }
  o.trainEmbeddings = trainEmbeddings.As<Napi::Boolean>().Value();
  return o;
}

Batch OwnedBatch::view() const {
  Batch b;
  b.inputIds = inputIds.data();
  b.attentionMask = attentionMask.data();
  b.tokenTypeIds = tokenTypeIds.data();
  b.batchSize = batchSize;
  b.seqLen = seqLen;
  b.prefixHidden = prefixHidden.empty() ? nullptr : prefixHidden.data();
  return b;
}

namespace {

// batchSize and seqLen, with the largest buffers they imply (one layer's attention probabilities, one hidden
// activation) held to kMaxAttentionElements.
void readBatchShape(Napi::Env env, const Napi::Object& obj, const BertConfig& config, OwnedBatch& b) {
  b.batchSize = readInt(env, obj, "batch", "batchSize", 1, kMaxBatch);
  b.seqLen = readInt(env, obj, "batch", "seqLen", 1, config.maxPositionEmbeddings);
  const Size attention = Size(b.batchSize) * config.numAttentionHeads * b.seqLen * b.seqLen;
  const Size hidden = Size(b.batchSize) * b.seqLen * config.hiddenSize;
  if (!attention.atMost(kMaxAttentionElements) || !hidden.atMost(kMaxAttentionElements)) {
    throwRangeError(env, "batch of " + std::to_string(b.batchSize) + " x " + std::to_string(b.seqLen) +
                             " needs more than 2^31 attention probabilities or hidden values per layer; split it");
  }
}

}  // namespace

OwnedBatch readBatch(Napi::Env env, const Napi::Value& value, const BertConfig& config) {
  Napi::Object obj = requireObject(env, value, "batch");
  OwnedBatch b;
  readBatchShape(env, obj, config, b);
  const size_t n = size_t(b.batchSize) * size_t(b.seqLen);  // <= kMaxAttentionElements (readBatchShape)
  b.inputIds = copyInt32(env, obj.Get("inputIds"), n, 0, config.vocabSize, "batch.inputIds",
                         "[0, vocabSize = " + std::to_string(config.vocabSize) + ")");
  b.attentionMask = copyInt32(env, obj.Get("attentionMask"), n, 0, 2, "batch.attentionMask", "{0, 1}");
  b.tokenTypeIds = copyInt32(env, obj.Get("tokenTypeIds"), n, 0, config.typeVocabSize, "batch.tokenTypeIds",
                             "[0, typeVocabSize = " + std::to_string(config.typeVocabSize) + ")");
  return b;
}

void requireFrozenPrefix(Napi::Env env, const BertConfig& config, const BertOptions& options, const char* what) {
  if (options.trainEmbeddings || options.trainableLayers >= config.numHiddenLayers) {
    throwRangeError(env, std::string(what) + " needs a frozen prefix: trainEmbeddings false and trainableLayers < "
                         "numHiddenLayers = " + std::to_string(config.numHiddenLayers) + ", got trainEmbeddings " +
                         (options.trainEmbeddings ? "true" : "false") + " and trainableLayers " +
                         std::to_string(options.trainableLayers));
  }
}

OwnedBatch readBatchWithPrefix(Napi::Env env, const Napi::Value& batch, const Napi::Object& options,
                               const BertConfig& config, const BertOptions& modelOptions) {
  Napi::Value prefix = options.Get("prefixHidden");
  if (prefix.IsUndefined()) return readBatch(env, batch, config);
  requireFrozenPrefix(env, config, modelOptions, "options.prefixHidden");
  Napi::Object obj = requireObject(env, batch, "batch");
  OwnedBatch b;
  readBatchShape(env, obj, config, b);
  const size_t n = size_t(b.batchSize) * size_t(b.seqLen);
  b.attentionMask = copyInt32(env, obj.Get("attentionMask"), n, 0, 2, "batch.attentionMask", "{0, 1}");
  b.prefixHidden = readFloat32Array(env, prefix, n * size_t(config.hiddenSize),
                                    "options.prefixHidden [batchSize, seqLen, hiddenSize]");
  return b;
}

Labels OwnedLabels::view() const {
  Labels l;
  if (!ints.empty()) l.ints = ints.data();
  if (!floats.empty()) l.floats = floats.data();
  return l;
}

OwnedLabels readLabels(Napi::Env env, const Napi::Value& value, const LabelLayout& layout) {
  OwnedLabels out;
  const size_t n = layout.count();
  if (layout.dtype == LabelLayout::Dtype::Float32) {
    Napi::TypedArray array = requireTypedArray(env, value, napi_float32_array, "a Float32Array", "labels");
    if (array.ElementLength() != n) {
      throwRangeError(env, "labels has " + std::to_string(array.ElementLength()) + " elements, expected " +
                               std::to_string(n) + " " + layout.shape);
    }
    out.floats.assign(array.As<Napi::Float32Array>().Data(), array.As<Napi::Float32Array>().Data() + n);
  } else {
    out.ints = copyInt32(env, value, n, INT32_MIN, INT32_MAX, "labels", "int32");
  }
  try {
    checkLabels(layout, out.view());
  } catch (const std::invalid_argument& e) {
    throwRangeError(env, e.what());
  }
  return out;
}

std::vector<float> readFloat32Array(Napi::Env env, const Napi::Value& value, size_t expected,
                                    const std::string& what) {
  Napi::TypedArray array = requireTypedArray(env, value, napi_float32_array, "a Float32Array", what);
  if (array.ElementLength() != expected) {
    throwRangeError(env, what + " has " + std::to_string(array.ElementLength()) + " elements, expected " +
                             std::to_string(expected));
  }
  std::vector<float> out(expected);
  if (expected > 0) std::memcpy(out.data(), array.As<Napi::Float32Array>().Data(), expected * sizeof(float));
  for (size_t i = 0; i < expected; ++i) {
    if (!std::isfinite(out[i])) throwRangeError(env, what + "[" + std::to_string(i) + "] is not finite");
  }
  return out;
}

AdamWHyper readHyper(Napi::Env env, const Napi::Value& value) {
  Napi::Object obj = requireObject(env, value, "hyper");
  AdamWHyper h;
  h.lr = readFloat32(env, obj, "hyper", "lr", [](float lr) { return lr >= 0; }, "must be >= 0");
  h.beta1 = readFloat32(env, obj, "hyper", "beta1", [](float b) { return b >= 0 && b < 1; }, "must be in [0, 1)");
  h.beta2 = readFloat32(env, obj, "hyper", "beta2", [](float b) { return b >= 0 && b < 1; }, "must be in [0, 1)");
  h.eps = readFloat32(env, obj, "hyper", "eps", [](float eps) { return eps > 0; }, "must be > 0");
  h.weightDecay = readFloat32(env, obj, "hyper", "weightDecay", [](float wd) { return wd >= 0; }, "must be >= 0");
  Napi::Value clip = obj.Get("maxGradNorm");
  if (!clip.IsNumber()) throwTypeError(env, "hyper.maxGradNorm must be a number, got " + describe(clip));
  double maxGradNorm = clip.As<Napi::Number>().DoubleValue();
  // Infinity means no clipping, as 0 does; any finite threshold is a float32 like the rest.
  h.maxGradNorm = std::isinf(maxGradNorm) && maxGradNorm > 0
                      ? 0.0f
                      : readFloat32(env, obj, "hyper", "maxGradNorm", [](float n) { return n >= 0; },
                                    "must be >= 0 (0 or Infinity: no clipping)");
  return h;
}

std::vector<int> readAttentionLayers(Napi::Env env, const Napi::Value& value, int numLayers) {
  std::vector<int> layers;
  if (value.IsUndefined()) return layers;
  if (!value.IsArray()) throwTypeError(env, "options.attentionLayers must be an array, got " + describe(value));
  Napi::Array array = value.As<Napi::Array>();
  if (array.Length() > uint32_t(numLayers)) {
    throwRangeError(env, "options.attentionLayers lists " + std::to_string(array.Length()) + " layers; the model has " +
                             std::to_string(numLayers));
  }
  std::set<int> seen;
  for (uint32_t i = 0; i < array.Length(); ++i) {
    Napi::Value v = array.Get(i);
    std::string what = "options.attentionLayers[" + std::to_string(i) + "]";
    if (!v.IsNumber()) throwTypeError(env, what + " must be an integer, got " + describe(v));
    double d = v.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d) || std::floor(d) != d) throwTypeError(env, what + " must be an integer, got " + describe(v));
    if (d < 0 || d >= numLayers) {
      throwRangeError(env, what + " = " + describe(v) + " is outside [0, numHiddenLayers = " +
                               std::to_string(numLayers) + ")");
    }
    if (!seen.insert(int(d)).second) throwRangeError(env, what + " = " + describe(v) + " is listed twice");
    layers.push_back(int(d));
  }
  return layers;
}

}  // namespace bertnode::addon
