// createHead and validateHeadOptions (head.h): the one place that knows every head and what options it accepts.
#include <stdexcept>
#include <string>

#include "model/heads/heads.h"

namespace bertnode {
namespace {

[[noreturn]] void fail(const std::string& message) { throw std::invalid_argument(message); }

}  // namespace

void validateHeadOptions(const BertConfig& c, const BertOptions& o) {
  auto labelsAtLeast = [&](int minimum, const char* why) {
    if (c.numLabels < minimum) {
      fail(std::string("config.numLabels must be >= ") + std::to_string(minimum) + " (" + why + "), got " +
           std::to_string(c.numLabels));
    }
  };
  switch (o.head) {
    case HeadKind::SequenceClassification:
      if (o.pooling == Pooling::Mean) fail("sequence classification pools with the pooler or the [CLS] vector");
      if (o.problemType == ProblemType::SingleLabel) {
        labelsAtLeast(2, "single-label classification; numLabels 1 is regression");
      } else {
        labelsAtLeast(1, "one output per label");
      }
      break;
    case HeadKind::TokenClassification:
      labelsAtLeast(2, "token classification");
      break;
    case HeadKind::MultipleChoice:
      if (o.numChoices < 2) fail("a multiple-choice head needs numChoices >= 2, got " + std::to_string(o.numChoices));
      break;
    case HeadKind::Embedding:
      if (o.pooling == Pooling::Pooler) fail("the embedding head pools by the mask mean or the [CLS] vector");
      if (o.trainableLayers != 0 || o.trainEmbeddings) {
        fail("the embedding head is inference-only: trainableLayers must be 0 and trainEmbeddings false");
      }
      break;
    case HeadKind::QuestionAnswering:
    case HeadKind::MaskedLM:
    case HeadKind::PreTraining:
      break;
  }
  if (o.head != HeadKind::SequenceClassification && o.problemType != ProblemType::SingleLabel) {
    fail("problemType applies to sequence classification only");
  }
  if (o.head != HeadKind::MultipleChoice && o.numChoices != 0) fail("numChoices applies to multiple choice only");
  if (o.head != HeadKind::Embedding && o.normalize) fail("normalize applies to the embedding head only");
}

std::unique_ptr<Head> createHead(const BertConfig& config, const BertOptions& options) {
  validateHeadOptions(config, options);
  switch (options.head) {
    case HeadKind::SequenceClassification: return heads::makeSequenceClassification(config, options);
    case HeadKind::TokenClassification: return heads::makeTokenClassification(config, options);
    case HeadKind::QuestionAnswering: return heads::makeQuestionAnswering(config, options);
    case HeadKind::MultipleChoice: return heads::makeMultipleChoice(config, options);
    case HeadKind::MaskedLM: return heads::makeMaskedLM(config, options);
    case HeadKind::PreTraining: return heads::makePreTraining(config, options);
    case HeadKind::Embedding: return heads::makeEmbedding(config, options);
  }
  fail("unknown head");
}

}  // namespace bertnode
