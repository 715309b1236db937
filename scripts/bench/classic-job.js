#!/usr/bin/env node
// The seed's whole job, timed on a subset and scaled: the classic IMDb recipe with bert-base shapes (random weights:
// the time does not depend on their values), last encoder layer + linear head on [CLS], max length 256, batch 32,
// 2 epochs, frozen-layer cache, then the test reviews evaluated — bertnode (BertClassifier.fit + evaluate, as
// scripts/finetune-imdb.js runs them) and PyTorch (scripts/bench/torch_classic_job.py, fp32 and bf16 autocast) on the
// same reviews, back to back.
//
// The full job is 20,000 training / 5,000 validation reviews (the frozen layers run over 25,000) and 25,000 test
// reviews. The subset keeps those proportions (train : validation = 4 : 1), so fit() time (cache + epochs +
// validation) scales by 20,000 / train and the test time by 25,000 / test; both are printed as measured and scaled.
// The real archive has only the training split, so the "test" reviews are a further sample of it, disjoint from the
// training and validation samples (the time does not depend on which reviews they are).
//
// Usage: node scripts/bench/classic-job.js --data <aclImdb-train.tar.gz> --vocab <bert-base-uncased vocab.txt>
//          [--train 800] [--test 1000] [--threads 2] [--precision fp32|bf16 (default: bf16 where the CPU has it)]
//          [--no-peer]
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { MODELS, randomWeights, loadPackage, ourPrecisions, findPython, threadEnv, option, emit, round, root } = require('./common');

const FULL = { train: 20000, validation: 5000, test: 25000 };

async function writeRandomBertBase(dir, vocab) {
  const { writeSafetensors, canonicalShapes } = require(path.join(root, 'dist', 'weights'));
  const c = MODELS['bert-base'];
  const tensors = [];
  for (const [name, shape] of canonicalShapes(c)) {
    if (name.startsWith('classifier.') || name.startsWith('bert.pooler.')) continue; // a base model without pooler
    tensors.push({ name, shape, data: randomWeights(shape, name) });
  }
  fs.mkdirSync(dir, { recursive: true });
  await writeSafetensors(path.join(dir, 'model.safetensors'), tensors);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({
    architectures: ['BertModel'], model_type: 'bert', vocab_size: c.vocabSize, hidden_size: c.hiddenSize,
    num_hidden_layers: c.numHiddenLayers, num_attention_heads: c.numAttentionHeads,
    intermediate_size: c.intermediateSize, hidden_act: 'gelu', max_position_embeddings: c.maxPositionEmbeddings,
    type_vocab_size: c.typeVocabSize, layer_norm_eps: c.layerNormEps, hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1, initializer_range: 0.02, pad_token_id: 0,
  }));
  fs.copyFileSync(vocab, path.join(dir, 'vocab.txt'));
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true }));
}

async function main() {
  const data = option('data', path.join(root, '..', 'shared', 'data', 'aclImdb-train.tar.gz'));
  const vocab = option('vocab', undefined);
  if (!vocab) throw new Error('--vocab <vocab.txt of bert-base-uncased> is required (any BERT uncased vocab of 30,522 entries)');
  const trainCount = Number(option('train', '800'));
  const testCount = Number(option('test', '1000'));
  const validationCount = trainCount / 4;
  const threads = Number(option('threads', '2'));
  const bertnode = loadPackage();
  const { loadImdb } = bertnode;
  const precision = ourPrecisions().at(-1); // --precision, else bf16 where the CPU has bf16 products, else fp32

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bertnode-classic-job-'));
  try {
    const modelDir = path.join(work, 'bert-base-random');
    await writeRandomBertBase(modelDir, vocab);
    // One seeded stratified sample of train + test reviews (validation drawn beside it), then the test reviews cut
    // off the training sample: three disjoint sets with both classes in each.
    const imdb = await loadImdb({ source: data, limit: trainCount + testCount, evalLimit: validationCount });
    const train = imdb.train.slice(0, trainCount);
    const test = imdb.train.slice(trainCount);
    const validation = imdb.validation;
    emit({ job: 'classic-imdb', cpu: cpuModel(), threads, reviews: { train: train.length, validation: validation.length, test: test.length },
      scale: { fit: FULL.train / train.length, test: FULL.test / test.length }, load: os.loadavg()[0] });

    const clf = new bertnode.BertClassifier({ model: modelDir, maxLength: 256, batchSize: 32, epochs: 2, trainableLayers: 1,
      head: 'cls', precision, threads, seed: 1234 });
    await clf.ready();
    let start = process.hrtime.bigint();
    const fit = await clf.fit(train, { validation, cacheFrozenLayers: { storage: 'memory' } });
    const fitSeconds = Number(process.hrtime.bigint() - start) / 1e9;
    start = process.hrtime.bigint();
    const tested = await clf.evaluate(test);
    const testSeconds = Number(process.hrtime.bigint() - start) / 1e9;
    clf.dispose();
    emitScaled('bertnode', precision, { fit: fitSeconds, test: testSeconds }, train.length, test.length,
      { validation: fit.validation && fit.validation.accuracy, test: tested.accuracy });

    if (process.argv.includes('--no-peer')) return;
    const found = findPython(['torch', 'transformers']);
    if (found.error) return emit({ peer: 'pytorch', error: found.error });
    const dataFile = path.join(work, 'reviews.json');
    const pairs = (set) => set.map((e) => [e.text, e.label]);
    fs.writeFileSync(dataFile, JSON.stringify({ train: pairs(train), validation: pairs(validation), test: pairs(test) }));
    for (const setting of ['fp32', 'bf16']) {
      const child = spawnSync(found.python, [path.join(__dirname, 'torch_classic_job.py'), modelDir, dataFile, String(threads), setting],
        { encoding: 'utf8', env: threadEnv(threads), maxBuffer: 1 << 20 });
      if (child.status !== 0) {
        emit({ peer: 'pytorch', setting, error: (child.stderr || String(child.error)).trim().split('\n').slice(-3).join(' ') });
        continue;
      }
      const r = JSON.parse(child.stdout.trim().split('\n').pop());
      const s = r.seconds;
      emitScaled('pytorch', setting, { fit: s.tokenize * (train.length + validation.length) / (train.length + validation.length + test.length) + s.cache + s.train,
        test: s.tokenize * test.length / (train.length + validation.length + test.length) + s.test }, train.length, test.length, r.accuracy,
      { phases: s, versions: r.versions, attention: r.attention });
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

// Measured seconds of fit (tokenising, frozen-layer cache, 2 epochs, validation) and test, and the full job's
// estimate: each phase scaled by how many more reviews the full job has.
function emitScaled(who, setting, seconds, trainCount, testCount, accuracy, extra = {}) {
  const fitFull = seconds.fit * FULL.train / trainCount;
  const testFull = seconds.test * FULL.test / testCount;
  emit({ who, setting, measured: { fit: round(seconds.fit, 1), test: round(seconds.test, 1) },
    fullJobEstimate: { fit: round(fitFull, 0), test: round(testFull, 0), total: round(fitFull + testFull, 0),
      minutes: round((fitFull + testFull) / 60, 1) },
    accuracy, load: round(os.loadavg()[0], 2), ...extra });
}

function cpuModel() {
  const info = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
  const m = /model name\s*:\s*(.*)/.exec(info);
  return `${m ? m[1] : os.cpus()[0].model}${/\bamx_bf16\b/.test(info) ? ' (AMX-BF16)' : ''}`;
}

main().catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exit(1);
});
