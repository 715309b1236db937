#!/usr/bin/env node
// node scripts/finetune-swag.js --train F --validation F --output D: multiple choice as transformers' run_swag does
// it (SWAG CSV: sent1, sent2, ending0..3, label; accuracy), over BertMultipleChoice.
'use strict';

const { parseTaskArgs, modelOptions, sampleKeepingClasses, fitAndReport, runCli, UsageError } = require('./cli/task-cli');

const { BertMultipleChoice } = require('../dist/tasks');
const { readSwag } = require('../dist/data');

async function main() {
  const o = parseTaskArgs({
    script: 'finetune-swag.js',
    description: 'Fine-tunes BERT for multiple choice on SWAG-style CSV files and reports accuracy.',
    extraFlags: [
      ['train', 'string', undefined, 'training file (SWAG CSV)'],
      ['validation', 'string', undefined, 'validation file (SWAG CSV)'],
      ['test', 'string', undefined, 'labelled test file (optional)'],
    ],
    defaults: { metric: 'accuracy' },
  });
  if (!o) return 0;
  if (!o.raw.train || !o.raw.validation) throw new UsageError('--train and --validation are required');
  const label = (e) => [String(e.label)];
  const train = sampleKeepingClasses(await readSwag(o.raw.train), o.limit, o.seed, label);
  const evalLimit = o.limit && Math.ceil(o.limit / 4);
  const validation = sampleKeepingClasses(await readSwag(o.raw.validation), evalLimit, o.seed, label);
  const test = o.raw.test ? sampleKeepingClasses(await readSwag(o.raw.test), evalLimit, o.seed, label) : undefined;
  console.log(`data: ${train.length} training, ${validation.length} validation${test ? `, ${test.length} test` : ''} examples`);
  const model = await BertMultipleChoice.fromPretrained(o.model, { ...modelOptions(o), numChoices: train[0]?.endings.length });
  return fitAndReport(model, o, { train, validation, test });
}

runCli(main);
