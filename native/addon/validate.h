// Readers for every JS value that crosses into the addon. Each one checks the value completely (type, typed-array
// dtype, length, range, finiteness) and throws a coded TypeError/RangeError (errors.h) naming the offending field,
// so nothing malformed ever reaches the engine. Arrays are copied out of JS memory here, on the JS thread, before
// any work is queued: JS may mutate or detach its buffers while a worker runs.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "model/bert_model.h"

namespace bertnode::addon {

// Upper bounds that refuse absurd allocations before the engine tries them (the largest real BERTs are far below).
inline constexpr int kMaxVocab = 1 << 22;
inline constexpr int kMaxHidden = 16384;
inline constexpr int kMaxLayers = 256;
inline constexpr int kMaxIntermediate = 65536;
inline constexpr int kMaxPositions = 65536;
inline constexpr int kMaxTypeVocab = 1024;
inline constexpr int kMaxLabels = 65536;
inline constexpr int64_t kMaxParameters = int64_t(1) << 31;  // 2^31 floats = 8 GiB of parameters
inline constexpr int kMaxBatch = 1 << 20;
// One layer's B*heads*T*T attention probabilities, and one activation of B*T*hidden floats.
inline constexpr int64_t kMaxAttentionElements = int64_t(1) << 31;

BertConfig readConfig(Napi::Env env, const Napi::Value& value);
BertOptions readOptions(Napi::Env env, const Napi::Value& value, const BertConfig& config);

// A batch copied out of JS, with every id, type id and mask value checked against the config.
struct OwnedBatch {
  std::vector<int32_t> inputIds, attentionMask, tokenTypeIds;
  std::vector<float> prefixHidden;  // empty: the batch starts from its ids
  int batchSize = 0;
  int seqLen = 0;
  Batch view() const;
};
OwnedBatch readBatch(Napi::Env env, const Napi::Value& value, const BertConfig& config);

// A batch for a call whose options may carry prefixHidden (the frozen-layer cache, bert_model.h): when
// options.prefixHidden is given it must be a Float32Array of batchSize * seqLen * hiddenSize finite values, the
// model must have a frozen prefix (trainEmbeddings false, trainableLayers < numHiddenLayers), and the batch needs
// batchSize, seqLen and attentionMask only (inputIds and tokenTypeIds are not read). Otherwise as readBatch.
OwnedBatch readBatchWithPrefix(Napi::Env env, const Napi::Value& batch, const Napi::Object& options,
                               const BertConfig& config, const BertOptions& modelOptions);

// The frozen-prefix precondition of frozenPrefix() and of prefixHidden (bert_model.h): trainEmbeddings false and
// trainableLayers < numHiddenLayers; `what` names the call or option that needs it.
void requireFrozenPrefix(Napi::Env env, const BertConfig& config, const BertOptions& options, const char* what);

// Labels in the model head's layout (model/labels.h): an Int32Array or Float32Array (TypeError otherwise) of the
// layout's length (RangeError), whose values checkLabels accepts (RangeError naming the first bad one).
struct OwnedLabels {
  std::vector<int32_t> ints;
  std::vector<float> floats;
  Labels view() const;
};
OwnedLabels readLabels(Napi::Env env, const Napi::Value& value, const LabelLayout& layout);

// A Float32Array of exactly `expected` elements, copied; every element finite.
std::vector<float> readFloat32Array(Napi::Env env, const Napi::Value& value, size_t expected,
                                    const std::string& what);

// Object field readers. `where` names the object in messages ("hyper", "options").
double readFiniteNumber(Napi::Env env, const Napi::Object& obj, const char* where, const char* key);
// A finite number read as the float32 the engine computes with, then held to `ok` (`rule` says what ok means in
// the message): a double that only a double can represent (eps = 1e-50 becomes 0, beta = 0.99999999 becomes 1,
// 1e39 becomes Infinity) is refused instead of breaking the arithmetic silently.
float readFloat32(Napi::Env env, const Napi::Object& obj, const char* where, const char* key, bool (*ok)(float),
                  const char* rule);
// Optional non-negative safe integer (0 when absent or undefined), for seeds and step counters.
uint64_t readCounter(Napi::Env env, const Napi::Object& obj, const char* where, const char* key);
Napi::Object requireObject(Napi::Env env, const Napi::Value& value, const char* what);
std::string requireString(Napi::Env env, const Napi::Value& value, const char* what);

// AdamW hyper-parameters, each checked as float32 (readFloat32): lr >= 0, beta1/beta2 in [0, 1), eps > 0,
// weightDecay >= 0; maxGradNorm >= 0 or Infinity (0 and Infinity mean no clipping).
AdamWHyper readHyper(Napi::Env env, const Napi::Value& value);

// Optional array of distinct layer indexes in [0, numLayers).
std::vector<int> readAttentionLayers(Napi::Env env, const Napi::Value& value, int numLayers);

}  // namespace bertnode::addon
