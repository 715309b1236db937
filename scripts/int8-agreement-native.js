#!/usr/bin/env node
// node scripts/int8-agreement-native.js <fine-tuned model folder> <aclImdb archive> [--limit N] [--eval-limit N]
//   [--seed N] [--reviews N] [--chunk N] [--max-length N] [--no-bf16]
// How far precision 'int8' (the encoder's Linear layers on int8, native/cpu/gemm_int8.h) moves a fine-tuned classifier
// on real reviews: the held-out reviews of the fine-tune run that made the model (loadImdb with that run's --limit,
// --eval-limit and --seed, so none of them was trained on; the first --reviews of them), predicted by the same
// folder loaded with precision 'fp32', 'int8' and (where the CPU has bf16 products, unless --no-bf16) 'bf16'. Prints
// each precision's accuracy, its label agreement with fp32 and the largest probability difference, and the CPU time
// of its predict calls: the precisions take turns on each chunk of --chunk reviews, so load on a shared machine
// falls on all of them alike. Needs `npx tsc -p tsconfig.build.json` (dist/).
'use strict';
const { parseArgs } = require('node:util');
const { BertClassifier, loadImdb } = require('../dist');
const { cpuKernelFamily } = require('../dist/native');

const { values, positionals } = parseArgs({ allowPositionals: true, options: {
  limit: { type: 'string', default: '4000' }, 'eval-limit': { type: 'string', default: '2000' },
  seed: { type: 'string', default: '1234' }, reviews: { type: 'string', default: '1000' },
  chunk: { type: 'string', default: '64' }, 'max-length': { type: 'string' }, 'no-bf16': { type: 'boolean', default: false } } });
const [modelDir, archive] = positionals;
if (!modelDir || !archive) {
  console.error('usage: node scripts/int8-agreement-native.js <fine-tuned model folder> <aclImdb archive> [--limit N] ' +
    '[--eval-limit N] [--seed N] [--reviews N] [--chunk N] [--max-length N] [--no-bf16]');
  process.exit(2);
}

async function main() {
  const precisions = ['fp32', 'int8', ...(values['no-bf16'] || cpuKernelFamily('bf16') === 'none' ? [] : ['bf16'])];
  const maxLength = values['max-length'] === undefined ? {} : { maxLength: Number(values['max-length']) };
  const runs = [];
  for (const precision of precisions) {
    const clf = await BertClassifier.fromPretrained(modelDir, { device: 'cpu', precision, ...maxLength });
    runs.push({ precision, clf, probabilities: [], predicted: [], cpuSeconds: 0, wallSeconds: 0 });
  }
  const labels = runs[0].clf.labels;
  const { validation } = await loadImdb({ source: archive, labels, limit: Number(values.limit),
    evalLimit: Number(values['eval-limit']), seed: Number(values.seed) });
  const reviews = validation.slice(0, Number(values.reviews));
  // Warm-up: thread pool, tokenizer, and the int8 weights quantised on the first forward.
  for (const run of runs) await run.clf.predict([reviews[0].text]);
  const chunk = Number(values.chunk);
  for (let i = 0; i < reviews.length; i += chunk) {
    const texts = reviews.slice(i, i + chunk).map((r) => r.text);
    for (const run of runs) {
      const cpu = process.cpuUsage();
      const wall = process.hrtime.bigint();
      const predictions = await run.clf.predict(texts);
      const used = process.cpuUsage(cpu);
      run.cpuSeconds += (used.user + used.system) / 1e6;
      run.wallSeconds += Number(process.hrtime.bigint() - wall) / 1e9;
      for (const p of predictions) {
        run.predicted.push(p.labelIndex);
        run.probabilities.push(p.probabilities[labels[labels.length - 1]]);
      }
    }
  }
  const [fp32] = runs;
  console.log(`${reviews.length} held-out reviews (limit ${values.limit}, eval-limit ${values['eval-limit']}, seed ${values.seed}); ` +
    `CPU kernels: fp32 ${cpuKernelFamily('fp32')}, int8 ${cpuKernelFamily('int8')}, bf16 ${cpuKernelFamily('bf16')}`);
  for (const run of runs) {
    const correct = run.predicted.filter((p, i) => p === reviews[i].label).length;
    const agree = run.predicted.filter((p, i) => p === fp32.predicted[i]).length;
    const maxProbDiff = Math.max(...run.probabilities.map((p, i) => Math.abs(p - fp32.probabilities[i])));
    console.log(JSON.stringify({ precision: run.precision, reviews: reviews.length, accuracy: +(correct / reviews.length).toFixed(4),
      agree_with_fp32: `${agree}/${reviews.length}`, agreement: +(agree / reviews.length).toFixed(4),
      max_prob_diff: +maxProbDiff.toPrecision(3), predict_cpu_s: +run.cpuSeconds.toFixed(2),
      predict_wall_s: +run.wallSeconds.toFixed(2), cpu_vs_fp32: +(run.cpuSeconds / fp32.cpuSeconds).toFixed(3) }));
    run.clf.dispose();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
