#!/usr/bin/env node
// Plain-node op parity for a GPU machine (no npm needed): every case of op-cases.js on the CUDA backend against the
// CPU backend, then the GEMM in fp32, TF32 and bf16, through runBackendOp of the test-only CUDA addon
// (bertnode_cuda_test.node, built by `node scripts/build-cuda.js --tests`). One JSON line per comparison
// {check, output, error, tolerance, passed}, a summary line, exit status 1 when any comparison fails.
// Without a usable GPU it prints one line saying why and exits 0. `--device cpu` compares the CPU backend with
// itself, which checks this script and the cases on a machine without a GPU (every error must then be 0).
'use strict';
const { loadCudaOrExit, loadCudaTestAddon, probeCuda } = require('./load-cuda');
const { cases } = require('./op-cases');
const { normalizedMaxError, randomFloats } = require('./data');

const device = process.argv.includes('--device') ? process.argv[process.argv.indexOf('--device') + 1] : 'cuda';

// The CUDA build also carries the CPU backend: for `--device cpu` the CUDA addon only has to load.
function loadAddon() {
  if (device === 'cuda') {
    loadCudaOrExit('op-parity');
  } else if (!probeCuda().probe) {
    console.log(JSON.stringify({ metric: 'op-parity', status: 'skipped', reason: probeCuda().reason }));
    process.exit(0);
  }
  return loadCudaTestAddon();
}

// TF32 and bf16 round the GEMM inputs (10- and 8-bit mantissas): see test/cuda/precision.test.ts for the bounds.
// Each precision runs twice: on whole matrices, and on column slices (row strides wider than the rows, as a view
// into a bigger matrix) whose tensors end at their last used element, so an operand read past that element (as
// gemm.cu's bf16 staging copy once did, converting rows * ld elements) reads past its device allocation — which
// compute-sanitizer reports, and the emulated device's guard pages catch.
function precisionCases() {
  const M = 128;
  const N = 768;
  const K = 768;
  const pad = 5;
  const whole = {
    label: '',
    tensors: { A: randomFloats(M * K, 101), B: randomFloats(N * K, 102), C: new Float32Array(M * N) },
    params: { transA: 0, transB: 1, M, N, K, alpha: 1, lda: K, ldb: K, beta: 0, ldc: N },
  };
  const sliced = {
    label: ', column slices (ld = width + 5)',
    tensors: { A: randomFloats((M - 1) * (K + pad) + K, 103), B: randomFloats((N - 1) * (K + pad) + K, 104),
      C: new Float32Array((M - 1) * (N + pad) + N) },
    params: { transA: 0, transB: 1, M, N, K, alpha: 1, lda: K + pad, ldb: K + pad, beta: 0, ldc: N + pad },
  };
  return [['fp32', 1e-5], ['tf32', 2e-3], ['bf16', 1e-2]].flatMap(([precision, tolerance]) => [whole, sliced].map(
    ({ label, tensors, params }) => ({ name: `gemm ${M}x${N}x${K} in ${precision}${label}`, op: 'gemm', precision,
      tensors, params, tolerances: { C: tolerance } })));
}

function main() {
  const addon = loadAddon();
  let failed = 0;
  let total = 0;
  // The CPU has no TF32, and bf16 only on some CPUs: a CPU self-check runs the fp32 GEMM cases.
  for (const c of [...cases, ...precisionCases().filter((p) => device === 'cuda' || p.precision === 'fp32')]) {
    const reference = addon.runBackendOp('cpu', 'fp32', c.op, c.tensors, c.params);
    const actual = addon.runBackendOp(device, c.precision || 'fp32', c.op, c.tensors, c.params);
    for (const [output, tolerance] of Object.entries(c.tolerances)) {
      const error = normalizedMaxError(actual[output], reference[output]);
      const passed = error <= tolerance;
      total += 1;
      if (!passed) failed += 1;
      console.log(JSON.stringify({ check: c.name, output, error, tolerance, passed }));
    }
  }
  console.log(JSON.stringify({ metric: 'op-parity', device, comparisons: total, failed }));
  process.exitCode = failed === 0 ? 0 : 1;
}

main();
