// Head: what sits on the encoder's last hidden state [B,T,H] for one task. A head owns its parameters (declared
// under its Hugging Face prefix), its label layout, its forward, its loss and its backward to dHidden. BertModel
// runs every head the same way, and the encoder never learns which head it serves:
//
//   declare(catalogue)                 once, after the encoder's declarations (state-dict order)
//   bind(store)                        once, its pointers by name (a head may bind encoder tensors: the masked-LM
//                                      decoder is tied to the word embeddings)
//   checkBatch(rows, T)                 per call, before anything runs (e.g. rows a multiple of numChoices)
//   labelLayout(rows, T)                per call; labels are judged by checkLabels (model/labels.h) against it
//   layoutLabels, layout               per call, in the workspace (measured, then backed: see model/arena.h)
//   stageLabels                        when labels are given: the head's host copy, queued for the batch's upload
//   forward(hidden, mask)              the head's outputs, dropout keyed by (seed, step) at dropout_sites
//   loss()                             the mean loss of the staged labels (host float)
//   backward(scale, dHidden)           adds scale * d(loss)/d(param) to its trainable gradients and, when dHidden
//                                      is set, scale * d(loss)/d(hidden) into it (dHidden arrives zeroed)
//   outputs()                          named host copies of the outputs (the primary one is "logits")
//
// Rows: `rows` is the batch's sequence count as the encoder sees it (for multiple choice, examples x choices).
// How to add a head: see README.md in this folder.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/arena.h"
#include "model/labels.h"
#include "model/layers.h"
#include "model/parameters.h"
#include "model/staged_upload.h"

namespace bertnode {

struct BertConfig;
struct BertOptions;

struct HeadOutput {
  std::string name;
  std::vector<float> data;
};

// A host copy of `count` floats of device memory, named.
inline HeadOutput downloadOutput(Backend& be, const char* name, const float* src, size_t count) {
  HeadOutput out{name, std::vector<float>(count)};
  be.download(out.data.data(), src, sizeof(float) * count);
  return out;
}

class Head {
 public:
  virtual ~Head() = default;

  virtual void declare(ParameterCatalogue& catalogue) const = 0;
  virtual void bind(const ParameterStore& store) = 0;
  virtual void checkBatch(int rows, int T) const { (void)rows, (void)T; }
  virtual LabelLayout labelLayout(int rows, int T) const = 0;
  // Inference-only heads (the embedding head) have no loss; BertModel refuses labels and training for them.
  virtual bool trainable() const { return true; }
  // A head that reads nothing of the hidden state but each sequence's [CLS] row (position 0) may get the hidden
  // state as [B,1,H] (d.T == 1 in the Dims it is given): BertModel then runs the last layer as the first-token layer.
  virtual bool readsFirstTokenOnly() const { return false; }

  virtual void layoutLabels(Slab& slab, const Dims& d) = 0;
  virtual void layout(Slab& slab, const Dims& d, bool backward) = 0;
  virtual void stageLabels(StagedUpload& staged, const Labels& labels, const Dims& d) = 0;
  virtual void forward(Backend& be, const float* hidden, const int32_t* mask, const Dims& d,
                       const DropoutKey& key) = 0;
  virtual float loss(Backend& be, const Dims& d) = 0;
  virtual void backward(Backend& be, float scale, float* dHidden, const Dims& d, const DropoutKey& key) = 0;
  virtual std::vector<HeadOutput> outputs(Backend& be, const Dims& d) = 0;
};

// The head the options name (validated by validateHeadOptions first).
std::unique_ptr<Head> createHead(const BertConfig& config, const BertOptions& options);
// std::invalid_argument for options that no head accepts with this config.
void validateHeadOptions(const BertConfig& config, const BertOptions& options);

}  // namespace bertnode
