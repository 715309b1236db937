#!/usr/bin/env node
// The attention core alone, composed (head split, Q K^T, softmax, dropout, P V, merge; and its backward) against the
// fused op, on the same inputs in one process: CPU seconds (all threads) and wall seconds per call of each part,
// through the test addon's attentionPaths (build it first: node native/test-addon/build.js, or any jest run).
// Usage: node scripts/bench/attention-core.js [--batch 8] [--heads 12] [--seq 256] [--head-size 64] [--p 0.1]
//          [--precision fp32|bf16] [--repeats 3] [--threads 2]
'use strict';
const common = require('./common');

const opt = common.option;
process.env.BERTNODE_NUM_THREADS = opt('threads', '2');
const { buildAddons } = require('../../native/test-addon/build');

function randomFloats(n, seed, scale) {
  let state = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state / 2 ** 32 * 2 - 1) * scale;
  });
}

(async () => {
  const addon = require((await buildAddons()).test);
  const B = Number(opt('batch', '8')), NH = Number(opt('heads', '12')), T = Number(opt('seq', '256'));
  const D = Number(opt('head-size', '64')), n = B * T * NH * D;
  const result = addon.attentionPaths({ B, NH, T, D, q: randomFloats(n, 1, 2), k: randomFloats(n, 2, 2),
    v: randomFloats(n, 3, 1), dContext: randomFloats(n, 4, 1), mask: new Int32Array(B * T).fill(1),
    p: Number(opt('p', '0.1')), seed: 1, step: 1, site: 1, precision: opt('precision', 'fp32'),
    repeats: Number(opt('repeats', '3')) });
  const s = result.seconds;
  common.emit({ case: `attention.B${B}.NH${NH}.T${T}.D${D}.${opt('precision', 'fp32')}`, seconds: s,
    forwardRatio: common.round(s.fusedForward.cpu / s.composedForward.cpu),
    backwardRatio: common.round(s.fusedBackward.cpu / s.composedBackward.cpu), load: require('os').loadavg()[0] });
})();
