// Hugging Face's three problem types of sequence classification (BertForSequenceClassification's problem_type),
// under the short names the API takes, and how config.json spells them. Shared by BertClassifier and
// BertSequenceClassifier.

import type { ProblemType } from '../native';

/** `'single_label'`: one class per text; `'multi_label'`: any set of classes; `'regression'`: real values. */
export type ProblemTypeName = 'single_label' | 'multi_label' | 'regression';

export const PROBLEM_TYPE_NAMES: readonly ProblemTypeName[] = ['single_label', 'multi_label', 'regression'];

// config.json's problem_type (and the native head's option) of each.
export const HF_PROBLEM_TYPE: Readonly<Record<ProblemTypeName, ProblemType>> = {
  single_label: 'single_label_classification',
  multi_label: 'multi_label_classification',
  regression: 'regression',
};

// The problem type a saved config.json records, when it records one bertnode knows.
export function savedProblemType(rawConfig: Record<string, unknown>): ProblemTypeName | undefined {
  return PROBLEM_TYPE_NAMES.find((p) => HF_PROBLEM_TYPE[p] === rawConfig.problem_type);
}
