// The shared frame of the task CLIs (finetune-glue/ner/squad/swag.js, pretrain-mlm.js), thin wrappers over lib/tasks
// like transformers' run_glue / run_ner / run_qa / run_swag / run_mlm: finetune-imdb.js's common flags (./options.js)
// with the example scripts' defaults, the --output folder rules, progress, and metrics.json written as
// { "validation": {...}, "test": {...} } under Hugging Face's metric names.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { FLAGS, UsageError, describeResumeRefusal, every, number, oneOf } = require('./options');
const { prepareOutput } = require('./output-folder');
const { ProgressPrinter, formatDuration } = require('./progress');
const { mulberry32, shuffleInPlace } = require('../../dist/data/random');

// finetune-imdb.js's flags that every task CLI takes, with transformers' example-script defaults where they differ.
const COMMON = {
  model: 'bert-base-uncased', epochs: '3', 'max-steps': undefined, 'max-length': '128', 'batch-size': '8', 'grad-accum': '1',
  lr: '5e-5', schedule: 'linear', 'warmup-ratio': '0', 'weight-decay': '0', 'max-grad-norm': '1', 'trainable-layers': 'all',
  device: 'auto', precision: 'fp32', output: undefined, resume: false, overwrite: false, limit: undefined, seed: '42',
  'eval-every': 'epoch', 'checkpoint-every': 'epoch', patience: undefined, metric: undefined, 'cache-dir': undefined,
  revision: undefined, offline: false, 'no-progress': false, help: false,
};

function flagTable(extra, defaults) {
  const common = FLAGS.filter(([name]) => name in COMMON).map(([name, type, , help]) => [name, type, defaults[name] ?? COMMON[name], help]);
  return [...extra, ...common];
}

// Parses argv; returns null after printing --help.
function parseTaskArgs({ script, description, extraFlags, defaults = {} }) {
  const table = flagTable(extraFlags, defaults);
  const { values } = parseArgs({ options: Object.fromEntries(table.map(([name, type]) => [name, { type }])), strict: true, allowPositionals: false });
  if (values.help) {
    process.stdout.write([`Usage: node scripts/${script} [flags]`, '', description, '', 'Flags:',
      ...table.map(([name, type, dflt, help]) => `${`  --${name}${type === 'string' ? ' <value>' : ''}`.padEnd(30)} ${help}${dflt !== undefined && type === 'string' ? ` [${dflt}]` : ''}`), ''].join('\n'));
    return null;
  }
  const v = Object.fromEntries(table.map(([name, , dflt]) => [name, values[name] ?? dflt]));
  if (!v.output) throw new UsageError('--output is required');
  return {
    raw: v,
    model: v.model,
    epochs: number('epochs', v.epochs, { integer: true, min: 1 }),
    maxSteps: number('max-steps', v['max-steps'], { integer: true, min: 1 }),
    maxLength: number('max-length', v['max-length'], { integer: true, min: 2 }),
    batchSize: number('batch-size', v['batch-size'], { integer: true, min: 1 }),
    gradientAccumulation: number('grad-accum', v['grad-accum'], { integer: true, min: 1 }),
    lr: number('lr', v.lr, { min: 0 }),
    schedule: oneOf('schedule', v.schedule, ['linear', 'constant']),
    warmupRatio: number('warmup-ratio', v['warmup-ratio'], { min: 0 }),
    weightDecay: number('weight-decay', v['weight-decay'], { min: 0 }),
    maxGradNorm: number('max-grad-norm', v['max-grad-norm'], { min: 0 }),
    trainableLayers: v['trainable-layers'] === 'all' ? 'all' : number('trainable-layers', v['trainable-layers'], { integer: true, min: 0 }),
    device: oneOf('device', v.device, ['cpu', 'cuda', 'auto']),
    precision: oneOf('precision', v.precision, ['fp32', 'tf32', 'bf16']),
    output: v.output,
    resume: v.resume,
    overwrite: v.overwrite,
    limit: number('limit', v.limit, { integer: true, min: 1 }),
    seed: number('seed', v.seed, { integer: true, min: 0 }),
    evaluateEvery: every('eval-every', v['eval-every']),
    checkpointEvery: every('checkpoint-every', v['checkpoint-every']),
    patience: number('patience', v.patience, { integer: true, min: 1 }),
    metric: v.metric,
    hub: { cacheDir: v['cache-dir'], offline: v.offline || undefined, revision: v.revision },
    progress: !v['no-progress'],
  };
}

// The task classes' constructor options from the common flags.
function modelOptions(o) {
  return { maxLength: o.maxLength, batchSize: o.batchSize, lr: o.lr, epochs: o.epochs, trainableLayers: o.trainableLayers,
    device: o.device, precision: o.precision, seed: o.seed, hub: o.hub };
}

// A seeded sample of n items in which every class (classesOf(item): the item's class names) appears: first one item
// of each class in a seeded order, then the rest of that order; returned in file order. Never the first n of a file.
function sampleKeepingClasses(items, n, seed, classesOf) {
  if (n === undefined || n >= items.length) return items;
  const order = shuffleInPlace([...items.keys()], mulberry32(seed));
  const chosen = new Set();
  const covered = new Set();
  for (const i of order) {
    if (chosen.size >= n) break;
    const classes = classesOf(items[i]);
    if (classes.some((c) => !covered.has(c))) {
      chosen.add(i);
      classes.forEach((c) => covered.add(c));
    }
  }
  for (const i of order) {
    if (chosen.size >= n) break;
    chosen.add(i);
  }
  return [...chosen].sort((a, b) => a - b).map((i) => items[i]);
}

function formatMetrics(m) {
  return Object.entries(m).filter(([, v]) => typeof v === 'number').map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`).join(', ');
}

// Fits `model` on `train` (validating on `validation`), evaluates `test`, saves to <output>/model and writes
// metrics.json. Returns the exit code.
async function fitAndReport(model, o, { train, validation, test }) {
  const checkpointDir = prepareOutput(o.output, { resume: o.resume, overwrite: o.overwrite });
  const controller = new AbortController();
  process.once('SIGINT', () => {
    console.log('\nstopping after the current step and writing a checkpoint...');
    controller.abort();
  });
  const printer = new ProgressPrinter({ bar: o.progress && process.stdout.isTTY, largeCpuModel: false });
  const started = Date.now();
  const result = await model.fit(train, {
    validation, epochs: o.epochs, maxSteps: o.maxSteps, lr: o.lr, gradientAccumulation: o.gradientAccumulation, schedule: o.schedule,
    warmupRatio: o.warmupRatio, weightDecay: o.weightDecay, maxGradNorm: o.maxGradNorm, seed: o.seed, evaluateEvery: o.evaluateEvery,
    checkpointEvery: o.checkpointEvery, checkpointDir, resume: o.resume, bestMetric: o.metric,
    earlyStopping: o.patience ? { patience: o.patience, metric: o.metric } : undefined,
    signal: controller.signal, onProgress: (e) => printer.step(e),
    onEvaluation: (r) => printer.write(`evaluation at step ${r.step} (epoch ${r.epoch.toFixed(2)}): ${formatMetrics(r.metrics)}`),
    onEvaluationProgress: (done, total) => printer.evaluating('validating', done, total),
  });
  printer.done();
  if (result.stopReason === 'aborted') {
    console.log(`stopped at step ${result.steps}/${result.totalSteps}; checkpoint in ${checkpointDir}. Resume with the same flags plus --resume.`);
    model.dispose();
    return 130;
  }
  console.log(`training: ${result.stopReason} after ${result.steps} steps in ${formatDuration((Date.now() - started) / 1000)}` +
    (result.best ? `; best ${result.best.metric} ${result.best.value.toFixed(4)} at step ${result.best.step}` : ''));
  const metrics = {};
  if (result.validation) {
    metrics.validation = result.validation;
    console.log(`validation: ${formatMetrics(result.validation)}`);
  }
  if (test !== undefined) {
    metrics.test = await model.evaluate(test);
    console.log(`test: ${formatMetrics(metrics.test)}`);
  }
  const modelDir = path.join(o.output, 'model');
  await model.save(modelDir);
  fs.writeFileSync(path.join(o.output, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
  console.log(`model (Hugging Face layout): ${modelDir}`);
  console.log(`metrics: ${path.join(o.output, 'metrics.json')}`);
  model.dispose();
  return 0;
}

// Runs a CLI's main and exits with its code; usage errors exit 2 with a pointer to --help.
function runCli(main) {
  const exit = (code) => setImmediate(() => process.exit(code));
  main().then(exit, (e) => {
    const usage = e instanceof UsageError || (e && e.code && String(e.code).startsWith('ERR_PARSE_ARGS'));
    const message = e && e.code === 'ERR_BERTNODE_CHECKPOINT_MISMATCH' && Array.isArray(e.settings) ? describeResumeRefusal(e.settings) : e && e.message ? e.message : e;
    console.error(`error: ${e && e.code ? `[${e.code}] ` : ''}${message}${usage ? ' (see --help)' : ''}`);
    exit(usage ? 2 : 1);
  });
}

module.exports = { parseTaskArgs, modelOptions, sampleKeepingClasses, fitAndReport, runCli, UsageError };
