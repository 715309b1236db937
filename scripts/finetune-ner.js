#!/usr/bin/env node
// node scripts/finetune-ner.js --train F --validation F [--test F] --output D: token classification as transformers'
// run_ner does it (CoNLL or JSONL files, first-sub-token labels, seqeval metrics), over BertTokenClassifier.
'use strict';

const { parseTaskArgs, modelOptions, sampleKeepingClasses, fitAndReport, runCli, UsageError } = require('./cli/task-cli');

const { BertTokenClassifier } = require('../dist/tasks');
const { readConll, readTaggedJsonl, tagLabelList } = require('../dist/data');

const read = (file) => (/\.jsonl?$/.test(file) ? readTaggedJsonl(file) : readConll(file));

async function main() {
  const o = parseTaskArgs({
    script: 'finetune-ner.js',
    description: 'Fine-tunes BERT for token classification (NER) on CoNLL-style files (token ... tag per line, blank line between\n' +
      'sentences) or JSONL {tokens, tags}, and reports seqeval precision, recall, f1 and accuracy.',
    extraFlags: [
      ['train', 'string', undefined, 'training file (CoNLL, or .jsonl)'],
      ['validation', 'string', undefined, 'validation file'],
      ['test', 'string', undefined, 'test file (optional)'],
      ['label-all-tokens', 'boolean', false, "label every sub-token of a word, not only the first"],
    ],
    defaults: { metric: 'f1' },
  });
  if (!o) return 0;
  if (!o.raw.train || !o.raw.validation) throw new UsageError('--train and --validation are required');
  const tags = (s) => s.tags;
  const train = sampleKeepingClasses(await read(o.raw.train), o.limit, o.seed, tags);
  const evalLimit = o.limit && Math.ceil(o.limit / 4);
  const validation = sampleKeepingClasses(await read(o.raw.validation), evalLimit, o.seed, tags);
  const test = o.raw.test ? sampleKeepingClasses(await read(o.raw.test), evalLimit, o.seed, tags) : undefined;
  // run_ner's label list: the training data's tags, sorted (a trained model's own labels are matched by name).
  const labels = tagLabelList(train);
  console.log(`data: ${train.length} training, ${validation.length} validation${test ? `, ${test.length} test` : ''} sentences; tags ${labels.join(', ')}`);
  const model = await BertTokenClassifier.fromPretrained(o.model, { ...modelOptions(o), labels, labelAllTokens: o.raw['label-all-tokens'] });
  return fitAndReport(model, o, { train, validation, test });
}

runCli(main);
