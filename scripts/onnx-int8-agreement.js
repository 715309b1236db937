#!/usr/bin/env node
// node scripts/onnx-int8-agreement.js <base model folder> <aclImdb archive> [--train N] [--eval N] [--epochs N] [--lr X] [--out dir]
// How close the int8 ONNX export is to the model on real text: fine-tunes the last encoder layer + head on N
// training reviews (seeded, both classes), exports with clf.exportOnnx, and runs the fp32 and int8 files in
// onnxruntime-node on held-out reviews against bertnode's own logits: the largest logit difference, how many
// predicted labels agree, the largest probability difference, and each side's accuracy. --out keeps the exported
// folder (for scripts/onnx-reference-check.py). Needs `npm run build:ts`.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const ort = require('onnxruntime-node');
const { BertClassifier, BertTokenizer, readImdbArchive } = require('../dist');

const { values, positionals } = parseArgs({ allowPositionals: true, options: { train: { type: 'string', default: '600' },
  eval: { type: 'string', default: '300' }, 'max-length': { type: 'string', default: '128' },
  epochs: { type: 'string', default: '3' }, lr: { type: 'string', default: '1e-3' }, out: { type: 'string' } } });
const [modelDir, archive] = positionals;
if (!modelDir || !archive) {
  console.error('usage: node scripts/onnx-int8-agreement.js <base model folder> <aclImdb archive> [--train N] [--eval N] [--epochs N] [--lr X] [--out dir]');
  process.exit(2);
}

// A seeded, class-balanced sample: the archive lists negatives then positives.
function sample(examples, n, seed) {
  let s = seed;
  const random = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const byLabel = [0, 1].map((l) => examples.filter((e) => e.label === l).sort(() => random() - 0.5));
  return byLabel.flatMap((group) => group.slice(0, n / 2));
}

async function onnxLogits(file, tokenizer, texts, maxLength) {
  const session = await ort.InferenceSession.create(file);
  const out = [];
  for (let i = 0; i < texts.length; i += 16) {
    const batch = tokenizer.encodeBatch(texts.slice(i, i + 16), { maxLength, truncation: 'longest_first', padding: 'longest' });
    const B = Math.min(16, texts.length - i);
    const T = batch.inputIds.length / B;
    const tensor = (a) => new ort.Tensor('int64', BigInt64Array.from(a, BigInt), [B, T]);
    const { logits } = await session.run({ input_ids: tensor(batch.inputIds), attention_mask: tensor(batch.attentionMask),
      token_type_ids: tensor(batch.tokenTypeIds) });
    for (let b = 0; b < B; b++) out.push(Array.from(logits.data.subarray(b * 2, b * 2 + 2)));
  }
  return out;
}

const softmax = (row) => { const m = Math.max(...row); const e = row.map((v) => Math.exp(v - m)); const z = e[0] + e[1]; return e.map((v) => v / z); };
const argmax = (row) => row.indexOf(Math.max(...row));

async function main() {
  const maxLength = Number(values['max-length']);
  const all = await readImdbArchive(archive, { splits: ['train'], clean: true });
  const picked = sample(all, Number(values.train) + Number(values.eval), 1234);
  const evalSet = picked.filter((_, i) => i % ((Number(values.train) + Number(values.eval)) / Number(values.eval)) === 0);
  const train = picked.filter((e) => !evalSet.includes(e));
  const clf = await BertClassifier.fromPretrained(modelDir, { device: 'cpu', maxLength, seed: 1 });
  await clf.fit(train, { epochs: Number(values.epochs), lr: Number(values.lr), cacheFrozenLayers: true });
  const out = values.out ?? fs.mkdtempSync(path.join(os.tmpdir(), 'bertnode-onnx-agreement-'));
  try {
    const files = await clf.exportOnnx(out);
    const texts = evalSet.map((e) => e.text);
    const ours = (await clf.predict(texts)).map((p) => p.logits);
    const tokenizer = BertTokenizer.fromPretrained(out);
    for (const [name, file] of [['fp32', files.model], ['int8', files.quantized]]) {
      const theirs = await onnxLogits(file, tokenizer, texts, maxLength);
      const maxLogit = Math.max(...theirs.flatMap((r, i) => r.map((v, j) => Math.abs(v - ours[i][j]))));
      const maxProb = Math.max(...theirs.map((r, i) => Math.abs(softmax(r)[1] - softmax(ours[i])[1])));
      const agree = theirs.filter((r, i) => argmax(r) === argmax(ours[i])).length;
      const accuracy = (rows) => rows.filter((r, i) => argmax(r) === evalSet[i].label).length / rows.length;
      console.log(JSON.stringify({ file: name, reviews: texts.length, max_logit_diff: +maxLogit.toPrecision(3),
        max_prob_diff: +maxProb.toPrecision(3), labels_agree: `${agree}/${texts.length}`, accuracy: accuracy(theirs),
        ours_accuracy: accuracy(ours), size_mb: +(fs.statSync(file).size / 1e6).toFixed(1) }));
    }
  } finally {
    clf.dispose();
    if (values.out === undefined) fs.rmSync(out, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
