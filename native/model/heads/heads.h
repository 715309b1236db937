// One factory per head (each in its own file of this folder); createHead (factory.cpp) picks one by options.head.
#pragma once

#include <memory>

#include "model/bert_model.h"
#include "model/heads/head.h"

namespace bertnode::heads {

// Hugging Face's classifier dropout: config.classifierDropout, or hiddenDropoutProb when unset.
inline float classifierDropout(const BertConfig& c) { return c.classifierDropout.value_or(c.hiddenDropoutProb); }

std::unique_ptr<Head> makeSequenceClassification(const BertConfig& config, const BertOptions& options);
std::unique_ptr<Head> makeTokenClassification(const BertConfig& config, const BertOptions& options);
std::unique_ptr<Head> makeQuestionAnswering(const BertConfig& config, const BertOptions& options);
std::unique_ptr<Head> makeMultipleChoice(const BertConfig& config, const BertOptions& options);
std::unique_ptr<Head> makeMaskedLM(const BertConfig& config, const BertOptions& options);
std::unique_ptr<Head> makePreTraining(const BertConfig& config, const BertOptions& options);
std::unique_ptr<Head> makeEmbedding(const BertConfig& config, const BertOptions& options);

}  // namespace bertnode::heads
