#!/usr/bin/env node
// node scripts/pretrain-mlm.js --train F [--validation F] [--nsp] --output D: masked-language-model pre-training as
// transformers' run_mlm does it (text lines, 15 % masked 80/10/10, perplexity), optionally with next-sentence
// prediction (BertForPreTraining), over BertMaskedLM.
'use strict';

const fs = require('node:fs');
const { parseTaskArgs, modelOptions, sampleKeepingClasses, fitAndReport, runCli, UsageError } = require('./cli/task-cli');
const { number } = require('./cli/options');

const { BertMaskedLM } = require('../dist/tasks');

// Lines of a text file, kept whole (blank lines separate documents for --nsp).
const readText = (file) => fs.readFileSync(file, 'utf8').split(/\r?\n/);

async function main() {
  const o = parseTaskArgs({
    script: 'pretrain-mlm.js',
    description: 'Pre-trains (or adapts) BERT with masked language modelling on text files, one example per line, and reports loss and\n' +
      'perplexity; --nsp adds next-sentence prediction (one sentence per line, a blank line between documents).',
    extraFlags: [
      ['train', 'string', undefined, 'training text file'],
      ['validation', 'string', undefined, 'validation text file (optional)'],
      ['nsp', 'boolean', false, 'also train next-sentence prediction (BertForPreTraining)'],
      ['mlm-probability', 'string', '0.15', 'share of tokens masked'],
      ['whole-word-mask', 'boolean', false, 'mask whole words'],
      ['group-texts', 'boolean', false, 'concatenate lines into blocks of --max-length tokens (run_mlm without --line_by_line)'],
    ],
    defaults: { metric: 'loss' },
  });
  if (!o) return 0;
  if (!o.raw.train) throw new UsageError('--train is required');
  // --limit keeps a seeded sample of lines (a text file has no classes); with --nsp, whole documents stay in order.
  const lines = (file, n) => (o.raw.nsp ? readText(file) : sampleKeepingClasses(readText(file).filter((l) => l.trim()), n, o.seed, () => []));
  const train = lines(o.raw.train, o.limit);
  const validation = o.raw.validation ? lines(o.raw.validation, o.limit && Math.ceil(o.limit / 4)) : undefined;
  console.log(`data: ${train.length} training${validation ? `, ${validation.length} validation` : ''} lines`);
  const model = await BertMaskedLM.fromPretrained(o.model, {
    ...modelOptions(o), nsp: o.raw.nsp, wholeWordMask: o.raw['whole-word-mask'], groupTexts: o.raw['group-texts'],
    mlmProbability: number('mlm-probability', o.raw['mlm-probability'], { min: 0 }),
  });
  return fitAndReport(model, o, { train, validation });
}

runCli(main);
