// Flags of scripts/finetune-imdb.js: their defaults (the classic recipe), the --help text, and their checking.
'use strict';

const FLAGS = [
  // [name, type, default, help]
  ['model', 'string', 'bert-base-uncased', 'hub model id or local model folder'],
  ['data', 'string', undefined, 'IMDb data: aclImdb folder, .tar.gz archive, or .tsv/.csv/.jsonl (default: download the archive)'],
  ['data-url', 'string', undefined, 'URL of the aclImdb_v1.tar.gz archive (default: $BERTNODE_IMDB_URL, else the Stanford original)'],
  ['test-data', 'string', undefined, 'separate test reviews (folder, archive or flat file) when --data has no test/ split'],
  ['labels', 'string', undefined, "comma-separated class names, matched to the data's and the model's by name (default: the model's, else neg,pos)"],
  ['epochs', 'string', '2', 'training epochs'],
  ['max-steps', 'string', undefined, 'stop after this many optimizer steps (overrides --epochs)'],
  ['max-length', 'string', '256', 'tokens per review, [CLS]/[SEP] included'],
  ['batch-size', 'string', '32', 'examples per batch'],
  ['grad-accum', 'string', '1', 'batches per optimizer step (gradient accumulation)'],
  ['bucket', 'string', '0', 'sort by length within chunks of N batches so short reviews pad less (0 = off)'],
  ['lr', 'string', '5e-5', 'peak learning rate (AdamW)'],
  ['schedule', 'string', 'linear', 'learning-rate schedule: linear (decay to 0) | constant'],
  ['warmup-ratio', 'string', '0', 'share of the steps spent warming the learning rate up'],
  ['weight-decay', 'string', '0.01', 'AdamW weight decay (never on biases and LayerNorm)'],
  ['max-grad-norm', 'string', '1', 'global gradient-norm clipping (0 = off)'],
  ['trainable-layers', 'string', '1', "last K encoder layers trained, or 'all' for a full fine-tune (embeddings included)"],
  ['cache-frozen', 'boolean', false, 'compute the frozen layers once per review and train the last K layers from them (no dropout in frozen layers)'],
  ['cache-storage', 'string', 'auto', 'with --cache-frozen: memory | disk (<output>/frozen-cache, reused by --resume) | auto (disk when large)'],
  ['cache-dtype', 'string', 'bf16', 'with --cache-frozen: bf16 | fp16 | fp32 storage of the cached hidden states'],
  ['head', 'string', undefined, "classifier head: cls (linear on [CLS], the classic recipe; default for a base model) | pooler"],
  ['device', 'string', 'auto', 'cpu | cuda | auto'],
  ['threads', 'string', undefined, 'CPU threads (default: $BERTNODE_NUM_THREADS, else the CPUs this process may use, cgroup quota included)'],
  ['precision', 'string', 'fp32', 'fp32 | tf32 (CUDA) | bf16 (CUDA, or CPUs with AVX-512 BF16); fp32 master weights'],
  ['output', 'string', 'runs/imdb', 'output folder: model/, checkpoints/, attention-report.html, run-report.html, metrics.json'],
  ['resume', 'boolean', false, 'resume from <output>/checkpoints (same flags as the interrupted run)'],
  ['overwrite', 'boolean', false, "start over in an --output folder that holds another run's checkpoints (they are deleted)"],
  ['export-onnx', 'boolean', false, 'also write <output>/model/onnx/model.onnx (fp32) and model_quantized.onnx (int8), as transformers.js loads'],
  ['limit', 'string', undefined, 'train on a seeded sample of N training reviews, each class keeping its share (quick runs; only those are read)'],
  ['eval-limit', 'string', undefined, 'validate and test on seeded samples of N reviews each, classes keeping their shares (default: N/4 with --limit)'],
  ['validation-size', 'string', undefined, 'reviews held out of train for validation (default 5000, or 20% of small sets)'],
  ['seed', 'string', '1234', 'seed of the split, head initialisation, dropout and data order'],
  ['eval-every', 'string', 'epoch', "evaluate on validation every 'epoch' or every N steps"],
  ['checkpoint-every', 'string', 'epoch', "write a checkpoint every 'epoch' or every N steps"],
  ['patience', 'string', undefined, 'early stopping: evaluations without improvement before stopping'],
  ['metric', 'string', 'accuracy', 'metric for the best model and early stopping: accuracy | f1 | precision | recall | loss'],
  ['explain', 'string', '6', 'test reviews shown in the attention report'],
  ['cache-dir', 'string', undefined, 'download cache (default: $BERTNODE_CACHE, else ~/.cache/bertnode)'],
  ['revision', 'string', undefined, 'model revision on the hub (default main)'],
  ['offline', 'boolean', false, 'use the cache only, never the network'],
  ['no-progress', 'boolean', false, 'plain progress lines instead of a progress bar'],
  ['help', 'boolean', false, 'show this help'],
];

const parseArgsOptions = Object.fromEntries(FLAGS.map(([name, type]) => [name, { type }]));

const text = [
  'Usage: node scripts/finetune-imdb.js [flags]',
  '',
  'Fine-tunes BERT on IMDb sentiment (defaults: the classic recipe), prints validation and test accuracy, and writes',
  'the model (Hugging Face layout), an attention report and a run report into --output.',
  '',
  'Flags:',
  ...FLAGS.map(([name, type, dflt, help]) => {
    const flag = `  --${name}${type === 'string' ? ' <value>' : ''}`;
    return `${flag.padEnd(30)} ${help}${dflt !== undefined && type === 'string' ? ` [${dflt}]` : ''}`;
  }),
  '',
  'Environment: BERTNODE_HF_ENDPOINT (hub mirror), BERTNODE_CACHE, BERTNODE_OFFLINE, BERTNODE_IMDB_URL, HF_TOKEN, BERTNODE_NUM_THREADS.',
  '',
].join('\n');

class UsageError extends Error {}

function number(name, raw, { integer = false, min = -Infinity } = {}) {
  if (raw === undefined) return undefined;
  const x = Number(raw);
  if (!Number.isFinite(x) || (integer && !Number.isInteger(x)) || x < min) {
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'}${min > -Infinity ? ` >= ${min}` : ''}, got '${raw}'`);
  }
  return x;
}

// The flag behind each setting a checkpoint records (lib/train/run-settings.ts), so a refused --resume names what
// the user typed. The data's digest covers the reviews and their tokens, which --max-length also changes.
const SETTING_FLAGS = {
  lr: '--lr', schedule: '--schedule', warmupSteps: '--warmup-ratio', weightDecay: '--weight-decay', maxGradNorm: '--max-grad-norm',
  beta1: null, beta2: null, eps: null, seed: '--seed', gradientAccumulation: '--grad-accum', frozenCache: '--cache-frozen',
  frozenCacheBuildBatchSize: '--batch-size', precision: '--precision', head: '--head', trainableLayers: '--trainable-layers',
  trainEmbeddings: '--trainable-layers', modelConfig: '--model', paddedLength: '--max-length', batchSize: '--batch-size',
  bucketBatches: '--bucket', examplesSha256: '--data/--limit/--max-length', numExamples: '--data/--limit/--eval-limit', batchesPerEpoch: '--batch-size/--limit',
  evaluation: '--validation-size', evaluateEvery: '--eval-every', bestMetric: '--metric', earlyStopping: '--patience',
  totalSteps: '--epochs/--max-steps', epochs: '--epochs', maxSteps: '--max-steps',
};

// "--max-length was 64 in the interrupted run, now 32" for each flag behind the refused settings, most telling first.
function describeResumeRefusal(settings) {
  const byFlag = new Map();
  for (const s of settings) {
    const key = s.name.replace(/^(data|evaluation)\./, '');
    const flag = SETTING_FLAGS[key] ?? `setting ${s.name}`;
    const digest = key === 'examplesSha256' || key === 'modelConfig';
    const text = digest ? `${flag} (other ${key === 'modelConfig' ? 'model' : 'reviews or tokens'})` : `${flag} was ${show(s.checkpoint)} in the interrupted run, now ${show(s.current)}`;
    if (!byFlag.has(flag)) byFlag.set(flag, { text, digest });
  }
  const entries = [...byFlag.values()].sort((a, b) => a.digest - b.digest);
  return `--resume refused: ${entries.map((e) => e.text).join('; ')}. Resume with the interrupted run's flags, or start over with --overwrite`;
}

function show(v) {
  return v === undefined ? 'not set' : JSON.stringify(v);
}

function every(name, raw) {
  return raw === 'epoch' ? 'epoch' : number(name, raw, { integer: true, min: 1 });
}

function oneOf(name, raw, choices) {
  if (raw !== undefined && !choices.includes(raw)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got '${raw}'`);
  return raw;
}

// Flag values (strings) → typed options, defaults filled in.
function parseOptions(values) {
  const v = Object.fromEntries(FLAGS.map(([name, , dflt]) => [name, values[name] ?? dflt]));
  const limit = number('limit', v.limit, { integer: true, min: 1 });
  const trainableLayers = v['trainable-layers'] === 'all' ? 'all' : number('trainable-layers', v['trainable-layers'], { integer: true, min: 0 });
  const labels = v.labels === undefined ? undefined : v.labels.split(',').map((s) => s.trim()).filter(Boolean);
  return {
    model: v.model,
    data: v.data,
    dataUrl: v['data-url'],
    testData: v['test-data'],
    labels,
    epochs: number('epochs', v.epochs, { integer: true, min: 1 }),
    maxSteps: number('max-steps', v['max-steps'], { integer: true, min: 1 }),
    maxLength: number('max-length', v['max-length'], { integer: true, min: 2 }),
    batchSize: number('batch-size', v['batch-size'], { integer: true, min: 1 }),
    gradientAccumulation: number('grad-accum', v['grad-accum'], { integer: true, min: 1 }),
    bucketBatches: number('bucket', v.bucket, { integer: true, min: 0 }),
    lr: number('lr', v.lr, { min: 0 }),
    schedule: oneOf('schedule', v.schedule, ['linear', 'constant']),
    warmupRatio: number('warmup-ratio', v['warmup-ratio'], { min: 0 }),
    weightDecay: number('weight-decay', v['weight-decay'], { min: 0 }),
    maxGradNorm: number('max-grad-norm', v['max-grad-norm'], { min: 0 }),
    trainableLayers,
    cacheFrozen: v['cache-frozen']
      ? { storage: oneOf('cache-storage', v['cache-storage'], ['auto', 'memory', 'disk']), dtype: oneOf('cache-dtype', v['cache-dtype'], ['bf16', 'fp16', 'fp32']) }
      : undefined,
    head: oneOf('head', v.head, ['cls', 'pooler']),
    device: oneOf('device', v.device, ['cpu', 'cuda', 'auto']),
    threads: number('threads', v.threads, { integer: true, min: 1 }),
    precision: oneOf('precision', v.precision, ['fp32', 'tf32', 'bf16']),
    output: v.output,
    resume: v.resume,
    overwrite: v.overwrite,
    exportOnnx: v['export-onnx'],
    limit,
    evalLimit: number('eval-limit', v['eval-limit'], { integer: true, min: 1 }) ?? (limit ? Math.ceil(limit / 4) : undefined),
    validationSize: number('validation-size', v['validation-size'], { min: 0 }),
    seed: number('seed', v.seed, { integer: true, min: 0 }),
    evaluateEvery: every('eval-every', v['eval-every']),
    checkpointEvery: every('checkpoint-every', v['checkpoint-every']),
    patience: number('patience', v.patience, { integer: true, min: 1 }),
    metric: oneOf('metric', v.metric, ['accuracy', 'f1', 'precision', 'recall', 'loss']),
    explain: number('explain', v.explain, { integer: true, min: 0 }),
    cacheDir: v['cache-dir'],
    revision: v.revision,
    offline: v.offline || undefined,
    progress: !v['no-progress'],
  };
}

// FLAGS and the value checks are shared with the task CLIs (./task-cli.js).
module.exports = { parseOptions, describeResumeRefusal, UsageError, HELP: { text, parseArgsOptions }, FLAGS, number, oneOf, every };
