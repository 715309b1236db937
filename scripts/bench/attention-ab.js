#!/usr/bin/env node
// A/B of two builds of the addon (e.g. main's and this branch's build/Release/bertnode.node) on one case, run
// alternately in fresh processes so both see the same machine load: CPU time (user + system, all threads) and wall
// time per call, and the process's peak resident memory (which the activation arena dominates).
//
// Usage: node scripts/bench/attention-ab.js --a <addon.node> --b <addon.node> [--case forward|classic|full]
//          [--precision fp32|bf16] [--batch 8] [--seq 256] [--model bert-base] [--rounds 2] [--repeats 1]
//          [--threads 2]
// Prints one JSON line per round and side, then one summary line: {case, a, b, ratio (b / a CPU seconds, best)}.
'use strict';
const path = require('path');
const { spawnSync } = require('child_process');
const common = require('./common');

const CHILD = `
const common = require(${JSON.stringify(path.join(__dirname, 'common.js'))});
const c = JSON.parse(process.env.AB_CASE);
const addon = require(c.addon);
const config = common.MODELS[c.model];
const rec = common.recipe(c.kase === 'forward' ? 'classic' : c.kase, config);
const model = new addon.BertModel(config, { ...rec, device: 'cpu', precision: c.precision });
common.initialise(model);
const { batch, labels } = common.makeBatch(c.batch, c.seq, config.vocabSize);
const hyper = { lr: 5e-5, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1, seed: 1 };
const call = c.kase === 'forward' ? () => model.forward(batch, { training: false })
  : (i) => model.trainStep(batch, labels, { ...hyper, step: i + 1 });
(async () => {
  await call(0);  // warm-up: the arena, packed weights, thread pool
  const cpu0 = process.cpuUsage(), wall0 = process.hrtime.bigint();
  for (let i = 0; i < c.repeats; i++) await call(i + 1);
  const cpu = process.cpuUsage(cpu0), wall = Number(process.hrtime.bigint() - wall0) / 1e9;
  console.log(JSON.stringify({ cpuSeconds: (cpu.user + cpu.system) / 1e6 / c.repeats, wallSeconds: wall / c.repeats,
    maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) }));
  model.dispose();
})();`;

function runSide(addon, c, threads) {
  const child = spawnSync(process.execPath, ['-e', CHILD], { encoding: 'utf8', maxBuffer: 1 << 20,
    env: { ...process.env, BERTNODE_NUM_THREADS: String(threads), AB_CASE: JSON.stringify({ ...c, addon }) } });
  if (child.status !== 0) throw new Error(`${addon}: ${child.stderr.trim().split('\n').slice(-3).join(' ')}`);
  return JSON.parse(child.stdout.trim().split('\n').pop());
}

const opt = common.option;
const sides = { a: path.resolve(opt('a', '')), b: path.resolve(opt('b', '')) };
const c = { kase: opt('case', 'forward'), precision: opt('precision', 'fp32'), batch: Number(opt('batch', '8')),
  seq: Number(opt('seq', '256')), model: opt('model', 'bert-base'), repeats: Number(opt('repeats', '1')) };
const threads = Number(opt('threads', '2'));
const best = { a: null, b: null };
for (let round = 0; round < Number(opt('rounds', '2')); round++) {
  for (const side of ['a', 'b']) {
    const r = runSide(sides[side], c, threads);
    common.emit({ round, side, ...r, load: require('os').loadavg()[0] });
    if (!best[side] || r.cpuSeconds < best[side].cpuSeconds) best[side] = r;
  }
}
common.emit({ case: `${c.kase}.${c.model}.B${c.batch}.T${c.seq}.${c.precision}`, a: best.a, b: best.b,
  ratio: common.round(best.b.cpuSeconds / best.a.cpuSeconds) });
