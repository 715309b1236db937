#!/usr/bin/env node
// Writes, for scripts/golden/check_task_models.py, one saved model per task class: each class is loaded from
// <out>/base (a tiny random BertForPreTraining that the Python script writes), fitted for a few steps on generated
// data (so the saved heads are trained ones, not initial values), saved to <out>/<task>, then read back from that
// folder by the engine and run on fixed inputs; inputs and outputs go to <out>/<task>/bertnode-outputs.json.
// Needs the compiled library: npx tsc -p tsconfig.build.json.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const tasks = require('../../dist/tasks');
const { BertClassifier } = require('../../dist');
const { loadTask } = require('../../dist/tasks/task-model');
const { padTaskRows } = require('../../dist/data/task-collators');

const WORDS = ['good', 'bad', 'movie', 'plot', 'the', 'was', 'is', 'a', 'great', 'awful'];
const pick = (i, k) => WORDS[(i * 7 + k * 3) % WORDS.length];
const sentence = (i) => Array.from({ length: 5 }, (_, k) => pick(i, k));
const FIT = { maxSteps: 3, lr: 1e-3 };
const MULTI_LABEL_DATA = Array.from({ length: 8 }, (_, i) => ({ text: sentence(i).join(' '), label: sentence(i).filter((w) => ['good', 'bad', 'plot'].includes(w)).map((w) => ({ good: 'pos', bad: 'neg', plot: 'plot' })[w]) }));
const REGRESSION_DATA = Array.from({ length: 8 }, (_, i) => ({ text: sentence(i).join(' '), textPair: 'the movie', label: i / 2 }));

// BertClassifier (lib/classifier.ts) with transformers' head (the pooler), every layer trained.
const classifier = (base, options) => new BertClassifier({ model: base, head: 'pooler', trainableLayers: 'all', maxLength: 16, device: 'cpu', ...options });

// A saved BertClassifier read back by BertClassifier itself: the problem type from config.json, and predict's
// logits (regression: values) equal to the engine's on the same pairs. 1e-5: the same weights and inputs, but
// predict pads each batch to its own longest row, and padding changes the GEMMs' shapes (observed ~1e-7).
async function checkClassifierReload(dir, problemType, pairs, logits) {
  const clf = await BertClassifier.fromPretrained(dir, { device: 'cpu' });
  try {
    if (clf.problemType !== problemType) throw new Error(`${dir}: read back as ${clf.problemType}, saved as ${problemType}`);
    const predicted = (await clf.predict(pairs)).flatMap((p) => p.logits ?? p.values);
    const worst = Math.max(...predicted.map((x, i) => Math.abs(x - logits[i])));
    if (predicted.length !== logits.length || !(worst <= 1e-5)) throw new Error(`${dir}: BertClassifier.predict differs from the engine by ${worst}`);
  } finally {
    clf.dispose();
  }
}

const TASKS = {
  'token-classification': {
    head: { head: 'token-classification' },
    make: (base) => tasks.BertTokenClassifier.fromPretrained(base, { labels: ['O', 'B-POS', 'B-NEG'], maxLength: 16 }),
    data: Array.from({ length: 8 }, (_, i) => { const tokens = sentence(i); return { tokens, tags: tokens.map((w) => (w === 'good' ? 'B-POS' : w === 'bad' ? 'B-NEG' : 'O')) }; }),
  },
  'question-answering': {
    head: { head: 'question-answering' },
    make: (base) => tasks.BertQuestionAnswerer.fromPretrained(base, { maxLength: 24 }),
    data: Array.from({ length: 8 }, (_, i) => ({ question: 'what was it', context: `the movie was ${pick(i, 0)}`, answers: { text: [pick(i, 0)], answerStart: [14] } })),
  },
  'multiple-choice': {
    head: { head: 'multiple-choice', numChoices: 4 },
    rows: 4,
    make: (base) => tasks.BertMultipleChoice.fromPretrained(base, { maxLength: 16 }),
    data: Array.from({ length: 8 }, (_, i) => ({ context: sentence(i).join(' '), endings: [0, 1, 2, 3].map((k) => pick(i, k)), label: i % 4 })),
  },
  'masked-lm': {
    head: { head: 'masked-lm' },
    make: (base) => tasks.BertMaskedLM.fromPretrained(base, { maxLength: 16 }),
    data: Array.from({ length: 16 }, (_, i) => sentence(i).join(' ')),
  },
  pretraining: {
    head: { head: 'pretraining' },
    make: (base) => tasks.BertMaskedLM.fromPretrained(base, { maxLength: 24, nsp: true }),
    data: Array.from({ length: 24 }, (_, i) => (i % 4 === 3 ? '' : sentence(i).join(' '))),
  },
  'sequence-multi-label': {
    head: { head: 'pooler', problemType: 'multi_label_classification' },
    make: (base) => tasks.BertSequenceClassifier.fromPretrained(base, { problemType: 'multi_label', labels: ['pos', 'neg', 'plot'], maxLength: 16 }),
    data: MULTI_LABEL_DATA,
  },
  'classifier-multi-label': {
    head: { head: 'pooler', problemType: 'multi_label_classification' },
    make: (base) => classifier(base, { problemType: 'multi_label', labels: ['pos', 'neg', 'plot'] }),
    data: MULTI_LABEL_DATA,
    reload: 'multi_label',
  },
  'sequence-regression': {
    head: { head: 'pooler', problemType: 'regression' },
    make: (base) => tasks.BertSequenceClassifier.fromPretrained(base, { problemType: 'regression', maxLength: 16 }),
    data: REGRESSION_DATA,
  },
  'classifier-regression': {
    head: { head: 'pooler', problemType: 'regression' },
    make: (base) => classifier(base, { problemType: 'regression' }),
    data: REGRESSION_DATA,
    reload: 'regression',
  },
  embedding: {
    head: { head: 'embedding', pooling: 'mean', normalize: true },
    make: (base) => tasks.BertEmbedder.fromPretrained(base, { maxLength: 16 }),
  },
};

async function main() {
  const out = process.argv[2];
  if (!out) throw new Error('usage: write_task_models.js <folder with base/>');
  for (const [name, task] of Object.entries(TASKS)) {
    const model = await task.make(path.join(out, 'base'));
    if (task.data) await model.fit(task.data, FIT);
    const dir = path.join(out, name);
    await model.save(dir);
    model.dispose();
    // The saved folder, read back by the engine with the head's catalogue.
    const numLabels = { 'token-classification': 3, 'sequence-multi-label': 3, 'sequence-regression': 1, 'classifier-multi-label': 3, 'classifier-regression': 1 }[name] ?? 2;
    const loaded = await loadTask(dir, { head: task.head, numLabels, labels: (l) => l });
    const texts = [['the movie was good', 'is it'], ['a bad plot', 'the great movie was awful']];
    const pairs = task.rows ? texts.flatMap((t) => Array.from({ length: task.rows }, (_, k) => [t[0], `${t[1]} ${WORDS[k]}`])) : texts;
    const batch = padTaskRows(pairs.map(([a, b]) => loaded.tokenizer.encode(a, b)), { padTokenId: 0 });
    const result = await loaded.model.forward(batch, { training: false });
    const outputs = {};
    for (const key of ['logits', 'startLogits', 'endLogits', 'seqRelationshipLogits']) if (result[key]) outputs[key] = Array.from(result[key]);
    if (task.reload) await checkClassifierReload(dir, task.reload, pairs, outputs.logits);
    fs.writeFileSync(path.join(dir, 'bertnode-outputs.json'), JSON.stringify({
      head: task.head, rows: task.rows ?? 1,
      inputs: { inputIds: Array.from(batch.inputIds), attentionMask: Array.from(batch.attentionMask), tokenTypeIds: Array.from(batch.tokenTypeIds), batchSize: batch.batchSize, seqLen: batch.seqLen },
      outputs,
    }));
    loaded.model.dispose();
    console.log(`${name}: saved to ${dir}`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
