#!/usr/bin/env node
// node scripts/finetune-imdb.js [flags]: the classic IMDb fine-tuning job, a thin command line over BertClassifier.
// Defaults reproduce the classic recipe (bert-base-uncased, max length 256, batch 32, lr 5e-5, last encoder layer +
// linear head on [CLS], 2 epochs, 20,000 / 5,000 split with seed 1234, test on the test reviews). See --help.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { parseOptions, describeResumeRefusal, UsageError, HELP } = require('./cli/options');
const { prepareOutput } = require('./cli/output-folder');
const { ProgressPrinter, formatDuration } = require('./cli/progress');

let bertnode;
try {
  bertnode = require('../dist');
} catch (e) {
  console.error(`bertnode is not built (${e.message}); run \`npm install\` or \`npm run build:ts\` first.`);
  process.exit(1);
}
const { BertClassifier, loadImdb, missingClasses, renderRunReport } = bertnode;

async function main() {
  const { values } = parseArgs({ options: HELP.parseArgsOptions, strict: true, allowPositionals: false });
  if (values.help) {
    process.stdout.write(HELP.text);
    return 0;
  }
  const o = parseOptions(values);
  const checkpointDir = prepareOutput(o.output, { resume: o.resume, overwrite: o.overwrite });
  const hub = { cacheDir: o.cacheDir, offline: o.offline, revision: o.revision };

  const clf = new BertClassifier({
    model: o.model, labels: o.labels, maxLength: o.maxLength, batchSize: o.batchSize, lr: o.lr, epochs: o.epochs,
    trainableLayers: o.trainableLayers, head: o.head, device: o.device, precision: o.precision, seed: o.seed, hub,
    bucketBatches: o.bucketBatches, threads: o.threads,
  });
  console.log(`model ${o.model}: loading${fs.existsSync(o.model) ? '' : ' (through the cache, downloading on first use)'}...`);
  await clf.ready();
  const cfg = clf.config;
  const trainable = o.trainableLayers === 'all' ? 'all layers (full fine-tune)' : `last ${o.trainableLayers} encoder layer(s) + head`;
  console.log(`model: ${cfg.numHiddenLayers} layers, hidden ${cfg.hiddenSize}, ${cfg.numAttentionHeads} heads; head '${clf.head}'; ` +
    `training ${trainable}; device ${clf.device}`);

  console.log(`data: ${o.data ?? `IMDb archive ${o.dataUrl ?? process.env.BERTNODE_IMDB_URL ?? '(Stanford)'} through the cache`}`);
  // Labels by name: the reviews' classes are matched to the classifier's labels; limited sets are seeded samples in
  // which each class keeps its share, and only the sampled reviews are read.
  const imdb = await loadImdb({
    source: o.data, url: o.dataUrl, testSource: o.testData, validationSize: o.validationSize, seed: o.seed, hub,
    labels: clf.labels, limit: o.limit, evalLimit: o.evalLimit,
  });
  const { train, validation, test } = imdb;
  console.log(`data: ${train.length} training, ${validation.length} validation, ${test ? `${test.length} test` : 'no test'} reviews` +
    (o.limit || o.evalLimit ? ' (limited: seeded samples keeping the class shares)' : ''));
  for (const [name, set] of [['training', train], ['validation', validation], ['test', test]]) {
    if (!set || set.length === 0) continue;
    const counts = clf.labels.map((label, i) => `${label} ${set.filter((e) => e.label === i).length}`).join(', ');
    const missing = missingClasses(set, clf.labels);
    console.log(`  ${name}: ${counts}`);
    if (missing.length) console.log(`note: the ${name} set has no ${missing.map((l) => `'${l}'`).join(' or ')} review; its metrics cannot measure that class.`);
  }
  if (imdb.testMissing) console.log(`note: ${imdb.testMissing}; evaluating on validation only.`);

  if (clf.device === 'cpu' && cfg.hiddenSize >= 768 && cfg.numHiddenLayers >= 12) {
    console.log('advice: this is a BERT-base-sized model on the CPU. Every step runs the whole 12-layer forward pass, so a full ' +
      'run takes hours (a measured estimate follows after the first steps). For a quick look use --limit 2000 --epochs 1, ' +
      'or a smaller model such as --model google/bert_uncased_L-4_H-256_A-4 (BERT-mini) or google/bert_uncased_L-2_H-128_A-2 (BERT-tiny).');
  }

  const controller = new AbortController();
  let interrupts = 0;
  process.on('SIGINT', () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    console.log('\nstopping after the current step and writing a checkpoint (Ctrl-C again to quit at once)...');
    controller.abort();
  });

  const printer = new ProgressPrinter({ bar: o.progress && process.stdout.isTTY, largeCpuModel: clf.device === 'cpu' && cfg.hiddenSize >= 768 });
  const started = Date.now();
  const result = await clf.fit(train, {
    validation, epochs: o.epochs, maxSteps: o.maxSteps, lr: o.lr, batchSize: o.batchSize, gradientAccumulation: o.gradientAccumulation,
    schedule: o.schedule, warmupRatio: o.warmupRatio, weightDecay: o.weightDecay, maxGradNorm: o.maxGradNorm, seed: o.seed,
    evaluateEvery: o.evaluateEvery, checkpointEvery: o.checkpointEvery, checkpointDir, resume: o.resume,
    earlyStopping: o.patience ? { patience: o.patience, metric: o.metric } : undefined, bestMetric: o.metric,
    cacheFrozenLayers: o.cacheFrozen && {
      ...o.cacheFrozen, dir: o.cacheFrozen.storage === 'disk' ? path.join(o.output, 'frozen-cache') : undefined, batchSize: o.batchSize,
      onProgress: (done, total) => printer.evaluating('caching frozen layers', Math.ceil(done / o.batchSize), Math.ceil(total / o.batchSize)),
    },
    signal: controller.signal, onProgress: (e) => printer.step(e),
    onEvaluation: (r) => printer.evaluation(r),
    onEvaluationProgress: (done, total) => printer.evaluating('validating', done, total),
  });
  printer.done();
  if (result.stopReason === 'aborted') {
    console.log(`stopped at step ${result.steps}/${result.totalSteps}; checkpoint in ${checkpointDir}. Resume with the same flags plus --resume.`);
    clf.dispose();
    return 130;
  }
  console.log(`training: ${result.stopReason} after ${result.steps} steps in ${formatDuration((Date.now() - started) / 1000)}` +
    (result.best ? `; best ${result.best.metric} ${result.best.value.toFixed(4)} at step ${result.best.step}${result.restoredBest ? ' (kept)' : ''}` : ''));

  const results = {};
  if (result.validation) {
    results.validation = result.validation;
    console.log(`validation accuracy: ${result.validation.accuracy.toFixed(4)} (F1 ${result.validation.f1.toFixed(4)}, ${result.validation.count} reviews)`);
  }
  if (test) {
    console.log(`testing on ${test.length} reviews...`);
    results.test = await clf.evaluate(test, { onProgress: (done, total) => printer.evaluating('testing', done, total) });
    console.log(`test accuracy: ${results.test.accuracy.toFixed(4)} (F1 ${results.test.f1.toFixed(4)}, ${results.test.count} reviews)`);
  } else {
    console.log('test accuracy: not measured (no test set); see the validation accuracy above.');
  }

  const modelDir = path.join(o.output, 'model');
  await (o.exportOnnx ? clf.exportOnnx(modelDir) : clf.save(modelDir));
  // Reviews of every class in turn, so the report shows what the model leaned on for each.
  const pool = test ?? validation;
  const byLabel = clf.labels.map((_, l) => pool.filter((e) => e.label === l));
  const shown = [];
  for (let rank = 0; shown.length < Math.min(o.explain, pool.length); rank++) {
    for (const group of byLabel) if (group[rank] && shown.length < o.explain) shown.push(group[rank]);
  }
  const attentionFile = path.join(o.output, 'attention-report.html');
  fs.writeFileSync(attentionFile, await clf.attentionReport(shown.map((e) => ({ text: e.text, textPair: e.textPair, label: e.label })), {
    title: 'bertnode: which words the [CLS] token attended to',
    subtitle: `${o.model} fine-tuned on IMDb; ${test ? 'test' : 'validation'} reviews`,
  }));
  const stepsPerEpoch = Math.ceil(Math.ceil(train.length / o.batchSize) / o.gradientAccumulation);
  const runFile = path.join(o.output, 'run-report.html');
  fs.writeFileSync(runFile, renderRunReport({
    title: `bertnode: ${o.model} on IMDb`, history: result.history, stepsPerEpoch, results,
    settings: { model: o.model, device: clf.device, 'trainable layers': String(o.trainableLayers), head: clf.head, 'max length': clf.maxLength,
      'batch size': o.batchSize, lr: o.lr, epochs: o.epochs, seed: o.seed, 'training examples': train.length },
  }));
  // With the history (every step's loss and lr, every evaluation), two runs can be compared number for number.
  fs.writeFileSync(path.join(o.output, 'metrics.json'),
    JSON.stringify({ stopReason: result.stopReason, steps: result.steps, best: result.best, results, history: result.history }, null, 2));
  console.log(`model (Hugging Face layout): ${modelDir}`);
  console.log(`attention report: ${attentionFile}`);
  console.log(`run report: ${runFile}`);
  clf.dispose();
  return 0;
}

// Exit on the next turn of the event loop: process warnings (the 'cls' head at save time) are printed from the
// next-tick queue, which a process.exit() inside the promise chain would cut off.
const exit = (code) => setImmediate(() => process.exit(code));
main().then(
  exit,
  (e) => {
    const usage = e instanceof UsageError || (e && e.code && String(e.code).startsWith('ERR_PARSE_ARGS'));
    // A refused resume names the flags that differ, not the library's setting names.
    const message = e && e.code === 'ERR_BERTNODE_CHECKPOINT_MISMATCH' && Array.isArray(e.settings) ? describeResumeRefusal(e.settings) : e && e.message ? e.message : e;
    console.error(`error: ${e && e.code ? `[${e.code}] ` : ''}${message}${usage ? ' (see --help)' : ''}`);
    exit(usage ? 2 : 1);
  },
);
