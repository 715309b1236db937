// The dropout `site` numbers of one training step (the third Philox counter word, see core/philox.h). Each dropout
// call of the model gets its own site, so no two tensors of a step share random numbers, and the CPU and CUDA
// backends key their masks identically.
//   0                     embeddings output
//   1 + 3*i + 0           layer i attention probabilities
//   1 + 3*i + 1           layer i attention output (after the output projection)
//   1 + 3*i + 2           layer i feed-forward output
//   1 + 3*L               classifier input (pooled or [CLS] vector)
#pragma once

#include <cstdint>

namespace bertnode::dropout_sites {

constexpr uint32_t kEmbeddings = 0;
constexpr uint32_t attentionProbs(int layer) { return 1 + 3 * static_cast<uint32_t>(layer); }
constexpr uint32_t attentionOutput(int layer) { return 2 + 3 * static_cast<uint32_t>(layer); }
constexpr uint32_t feedForwardOutput(int layer) { return 3 + 3 * static_cast<uint32_t>(layer); }
constexpr uint32_t classifier(int numLayers) { return 1 + 3 * static_cast<uint32_t>(numLayers); }

}  // namespace bertnode::dropout_sites
