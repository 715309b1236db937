// The README.md written beside a saved classifier (as transformers' Trainer writes a model card): what the model
// is, its labels and max length, and the exact Python code that gives bertnode's predictions. The code differs by
// head: transformers' BertForSequenceClassification always puts the pooler (dense + tanh) before the classifier,
// which is bertnode's 'pooler' head; the classic 'cls' head feeds the [CLS] vector to the classifier directly, so
// `model(**enc).logits` would give other numbers and the card spells out the call that matches.

import type { Head } from '../native';
import type { ProblemTypeName } from './problem-type';

export interface ModelCardInfo {
  baseModel: string;
  head: Head;
  labels: readonly string[];
  maxLength: number;
  problemType: ProblemTypeName;
  /** Multi-label: the score over which a class is predicted. */
  threshold: number;
}

// The Python line that turns `logits` into what bertnode's predict() returns, per problem type.
const DECISION: Record<ProblemTypeName, (threshold: number) => string> = {
  single_label: () => 'predicted = [model.config.id2label[i] for i in logits.argmax(-1).tolist()]',
  multi_label: (t) => `predicted = [[model.config.id2label[i] for i, s in enumerate(row) if s > ${t}] for row in torch.sigmoid(logits).tolist()]`,
  regression: () => 'predicted = logits[:, 0].tolist()',
};

export function renderModelCard(info: ModelCardInfo): string {
  const logits = info.head === 'cls'
    ? 'model.classifier(model.bert(**enc).last_hidden_state[:, 0])'
    : 'model(**enc).logits';
  const headText = info.head === 'cls'
    ? "the classic head: a linear layer on the [CLS] token's last hidden state, **without** BERT's pooler. " +
      "transformers' `BertForSequenceClassification` always applies the pooler, so `model(**enc).logits` gives " +
      'different predictions; use the code below.'
    : "BERT's pooler (dense + tanh on [CLS]) and a linear layer: transformers' `BertForSequenceClassification` " +
      'as it is, so `model(**enc).logits` gives the same logits as bertnode.';
  return [
    '---',
    'library_name: transformers',
    'pipeline_tag: text-classification',
    'tags:',
    '- bertnode',
    '---',
    '',
    '# Text classifier fine-tuned with bertnode',
    '',
    `- base model: \`${info.baseModel}\``,
    `- problem type: \`${info.problemType}\`${info.problemType === 'multi_label' ? ` (a class is predicted when its sigmoid score is over ${info.threshold})` : ''}`,
    `- ${info.problemType === 'regression' ? 'outputs' : 'labels'} (index: name): ${info.labels.map((l, i) => `${i}: \`${l}\``).join(', ')}`,
    `- max length: ${info.maxLength} tokens, [CLS]/[SEP] included (inputs were truncated to it in training)`,
    `- head: \`${info.head}\` — ${headText}`,
    '',
    '## bertnode',
    '',
    '```js',
    "const { BertClassifier } = require('bertnode');",
    "const clf = await BertClassifier.fromPretrained('path/to/this/folder');",
    "const [prediction] = await clf.predict(['A wonderful film.']);",
    '```',
    '',
    '## transformers (Python)',
    '',
    '```python',
    'import torch',
    'from transformers import AutoTokenizer, BertForSequenceClassification',
    '',
    "path = 'path/to/this/folder'",
    'tokenizer = AutoTokenizer.from_pretrained(path)',
    'model = BertForSequenceClassification.from_pretrained(path).eval()',
    `enc = tokenizer(['A wonderful film.'], padding=True, truncation=True, max_length=${info.maxLength}, return_tensors='pt')`,
    'with torch.no_grad():',
    `    logits = ${logits}`,
    DECISION[info.problemType](info.threshold),
    '```',
    '',
  ].join('\n');
}
