#!/usr/bin/env node
// node scripts/finetune-squad.js --train F --validation F [--version-2] --output D: extractive question answering as
// transformers' run_qa does it (SQuAD JSON, windows with a stride, n-best post-processing, the official SQuAD
// metrics), over BertQuestionAnswerer.
'use strict';

const { parseTaskArgs, modelOptions, sampleKeepingClasses, fitAndReport, runCli, UsageError } = require('./cli/task-cli');
const { number } = require('./cli/options');

const { BertQuestionAnswerer } = require('../dist/tasks');
const { readSquad } = require('../dist/data');

async function main() {
  const o = parseTaskArgs({
    script: 'finetune-squad.js',
    description: 'Fine-tunes BERT for extractive question answering on SQuAD v1.1 (or, with --version-2, v2.0) JSON files and reports\n' +
      'exact_match and f1 (v2: exact, f1, HasAns_*, NoAns_*, best_*).',
    extraFlags: [
      ['train', 'string', undefined, 'training file (SQuAD JSON)'],
      ['validation', 'string', undefined, 'validation file (SQuAD JSON)'],
      ['test', 'string', undefined, 'test file (optional)'],
      ['version-2', 'boolean', false, 'SQuAD 2.0: questions may have no answer'],
      ['doc-stride', 'string', '128', 'tokens by which the windows of a long context overlap'],
      ['max-answer-length', 'string', '30', 'longest answer in tokens'],
    ],
    defaults: { 'max-length': '384', 'batch-size': '12', lr: '3e-5', epochs: '2' },
  });
  if (!o) return 0;
  if (!o.raw.train || !o.raw.validation) throw new UsageError('--train and --validation are required');
  // The classes a --limit sample keeps: answerable and (SQuAD 2.0) unanswerable questions.
  const kind = (e) => [e.answers.text.length > 0 ? 'answerable' : 'unanswerable'];
  const train = sampleKeepingClasses(await readSquad(o.raw.train), o.limit, o.seed, kind);
  const evalLimit = o.limit && Math.ceil(o.limit / 4);
  const validation = sampleKeepingClasses(await readSquad(o.raw.validation), evalLimit, o.seed, kind);
  const test = o.raw.test ? sampleKeepingClasses(await readSquad(o.raw.test), evalLimit, o.seed, kind) : undefined;
  console.log(`data: ${train.length} training, ${validation.length} validation${test ? `, ${test.length} test` : ''} questions`);
  const model = await BertQuestionAnswerer.fromPretrained(o.model, {
    ...modelOptions(o), version2WithNegative: o.raw['version-2'],
    stride: number('doc-stride', o.raw['doc-stride'], { integer: true, min: 1 }),
    maxAnswerLength: number('max-answer-length', o.raw['max-answer-length'], { integer: true, min: 1 }),
  });
  return fitAndReport(model, o, { train, validation, test });
}

runCli(main);
