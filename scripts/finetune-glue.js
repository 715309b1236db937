#!/usr/bin/env node
// node scripts/finetune-glue.js --task <cola|sst2|mrpc|stsb|qqp|mnli|qnli|rte|wnli> --data <folder> --output D: GLUE as
// transformers' run_glue does it (the task's TSV layout, STS-B as regression, run_glue's metrics per task), over
// BertSequenceClassifier.
'use strict';

const path = require('node:path');
const { parseTaskArgs, modelOptions, sampleKeepingClasses, fitAndReport, runCli, UsageError } = require('./cli/task-cli');

const { BertSequenceClassifier } = require('../dist/tasks');
const { GLUE_TASKS, isGlueTask, readGlue } = require('../dist/data');

const DEFAULT_METRIC = { cola: 'matthews_correlation', stsb: 'pearson' };

async function main() {
  const o = parseTaskArgs({
    script: 'finetune-glue.js',
    description: 'Fine-tunes BERT on a GLUE task from its folder (train.tsv and dev.tsv; MNLI dev_matched.tsv) and reports run_glue\'s\n' +
      'metrics: matthews_correlation (CoLA), pearson/spearmanr (STS-B), accuracy/f1 (MRPC, QQP), accuracy (the others).',
    extraFlags: [
      ['task', 'string', undefined, 'cola | sst2 | mrpc | stsb | qqp | mnli | qnli | rte | wnli'],
      ['data', 'string', undefined, 'the task folder, with train.tsv and dev.tsv (MNLI: dev_matched.tsv)'],
      ['test', 'string', undefined, 'a labelled file in the dev layout to test on (optional; GLUE test files have no labels)'],
    ],
  });
  if (!o) return 0;
  const task = o.raw.task;
  if (!task || !isGlueTask(task)) throw new UsageError(`--task must be one of ${Object.keys(GLUE_TASKS).join(', ')}`);
  if (!o.raw.data) throw new UsageError('--data (the task folder) is required');
  const layout = GLUE_TASKS[task];
  const regression = layout.labels === null;
  // Class names as the model's labels (regression: the score itself).
  const named = (examples) => examples.map((e) => ({ text: e.text, textPair: e.textPair, label: regression ? e.label : layout.labels[e.label] }));
  const classOf = (e) => [regression ? String(Math.round(e.label)) : e.label];
  const read = async (file, split, n) => sampleKeepingClasses(named(await readGlue(file, task, { split })), n, o.seed, classOf);
  const evalLimit = o.limit && Math.ceil(o.limit / 4);
  const train = await read(path.join(o.raw.data, 'train.tsv'), 'train', o.limit);
  const validation = await read(path.join(o.raw.data, layout.devFiles[0]), 'dev', evalLimit);
  const test = o.raw.test ? await read(o.raw.test, 'dev', evalLimit) : undefined;
  console.log(`data: GLUE ${task}: ${train.length} training, ${validation.length} validation${test ? `, ${test.length} test` : ''} examples`);
  const model = await BertSequenceClassifier.fromPretrained(o.model, {
    ...modelOptions(o), glueTask: task, problemType: regression ? 'regression' : 'single_label', labels: layout.labels ?? undefined,
  });
  return fitAndReport(model, { ...o, metric: o.metric ?? DEFAULT_METRIC[task] ?? 'accuracy' }, { train, validation, test });
}

runCli(main);
