// The Hugging Face names of the encoder's parameters (BertModel's state dict under `bert.`), in state-dict order,
// and the weight-decay rule that is decided by name. Each head names its own parameters (model/heads).
#pragma once

#include <cstddef>
#include <string>

namespace bertnode::names {

inline const char* const kWordEmbeddings = "bert.embeddings.word_embeddings.weight";
inline const char* const kPositionEmbeddings = "bert.embeddings.position_embeddings.weight";
inline const char* const kTokenTypeEmbeddings = "bert.embeddings.token_type_embeddings.weight";
inline const char* const kEmbeddingsNorm = "bert.embeddings.LayerNorm";

enum class LayerShape { HiddenSquare, Hidden, IntermediateByHidden, Intermediate, HiddenByIntermediate };

struct LayerTensor {
  const char* suffix;  // after "bert.encoder.layer.{i}."
  LayerShape shape;
};

// One encoder layer's tensors in state-dict order.
inline constexpr LayerTensor kLayerTensors[] = {
    {"attention.self.query.weight", LayerShape::HiddenSquare},
    {"attention.self.query.bias", LayerShape::Hidden},
    {"attention.self.key.weight", LayerShape::HiddenSquare},
    {"attention.self.key.bias", LayerShape::Hidden},
    {"attention.self.value.weight", LayerShape::HiddenSquare},
    {"attention.self.value.bias", LayerShape::Hidden},
    {"attention.output.dense.weight", LayerShape::HiddenSquare},
    {"attention.output.dense.bias", LayerShape::Hidden},
    {"attention.output.LayerNorm.weight", LayerShape::Hidden},
    {"attention.output.LayerNorm.bias", LayerShape::Hidden},
    {"intermediate.dense.weight", LayerShape::IntermediateByHidden},
    {"intermediate.dense.bias", LayerShape::Intermediate},
    {"output.dense.weight", LayerShape::HiddenByIntermediate},
    {"output.dense.bias", LayerShape::Hidden},
    {"output.LayerNorm.weight", LayerShape::Hidden},
    {"output.LayerNorm.bias", LayerShape::Hidden},
};
constexpr size_t kLayerTensorCount = sizeof(kLayerTensors) / sizeof(kLayerTensors[0]);

inline std::string layerParameter(int layer, const char* suffix) {
  return "bert.encoder.layer." + std::to_string(layer) + "." + suffix;
}

// Hugging Face's usual no_decay rule: biases and LayerNorm weights are not decayed.
inline bool usesWeightDecay(const std::string& name) {
  bool isBias = name.size() >= 5 && name.compare(name.size() - 5, 5, ".bias") == 0;
  return !isBias && name.find("LayerNorm.") == std::string::npos;
}

}  // namespace bertnode::names
