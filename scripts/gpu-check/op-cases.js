// The Backend ops (native/model/backend.h) with inputs, parameters and per-output tolerances, for comparing the CUDA
// backend with the CPU backend through the test-only CUDA addon's runBackendOp: used by test/cuda/ops.test.ts (jest)
// and by scripts/gpu-check/op-parity.js (plain node on a GPU machine). Shapes are small and deliberately not
// multiples of the kernels' tile sizes (32-wide warps, 8-row blocks), so the edge handling is exercised too.
//
// Tolerances (normalizedMaxError: max abs difference / max abs reference), each with its reason:
//   0      the GPU does the CPU's arithmetic in the CPU's order (copies, permutes, dropout masks, the position
//          gradient, bias add) — any difference is a bug, and for dropout it would mean different masks;
//   1e-6   same formula, different rounding of a math function (erff, expf, tanhf: CUDA's are within 2 ulp, glibc's
//          within 1) or a double-precision sum in another order;
//   1e-5   fp32 sums in another order (warp-shuffle reductions, cuBLAS's blocking vs the CPU GEMM's): the error grows
//          like K * 2^-24 relative to the result's scale, about 4e-6 for K = 70.
'use strict';
const { randomFloats, randomInts } = require('./data');

const N = 37; // rows (B*T-like)
const C = 70; // row width
const B = 3;
const T = 13;
const H = 40;
const NH = 4;
const D = 10;
const V = 11; // a small vocabulary, so ids repeat and the scatter-add has collisions

function mask() {
  // Example 0: 9 real tokens then padding; example 1: no padding; example 2: everything masked, which must give
  // the uniform 1/T row that Hugging Face's finfo.min mask produces.
  const m = new Int32Array(B * T);
  for (let t = 0; t < T; ++t) {
    m[t] = t < 9 ? 1 : 0;
    m[T + t] = 1;
    m[2 * T + t] = 0;
  }
  return m;
}

// [B,T] ids: rows of 64, 40, 20 and 10 tokens (random ids >= 1), then [PAD] (0): 122 [PAD] rows, four chunks
// of the embedding backward's scatter plan (32 rows each).
function paddedIds(rows, T) {
  const ids = randomInts(rows * T, V - 1, 20).map((id) => id + 1);
  [64, 40, 20, 10].slice(0, rows).forEach((length, b) => ids.fill(0, b * T + length, (b + 1) * T));
  return ids;
}

// [B,T] token types: the first half of every row type 0, the second type 1.
function halves(rows, T) {
  return Int32Array.from({ length: rows * T }, (_, i) => (i % T < T / 2 ? 0 : 1));
}

function softmaxProbs(rows = B * NH * T, width = T) {
  // Rows of a valid softmax (positive, sum to 1) for the backward.
  const p = randomFloats(rows * width, 41, 1).map((x) => Math.abs(x) + 0.01);
  for (let r = 0; r < rows; ++r) {
    let sum = 0;
    for (let s = 0; s < width; ++s) sum += p[r * width + s];
    for (let s = 0; s < width; ++s) p[r * width + s] /= sum;
  }
  return p;
}

// [lengths.length, width] attention mask: example b has lengths[b] real tokens, then padding (0: fully masked).
function paddedMask(lengths, width) {
  const m = new Int32Array(lengths.length * width);
  lengths.forEach((length, b) => m.fill(1, b * width, b * width + length));
  return m;
}

const cases = [
  ...[[false, false], [false, true], [true, false], [true, true]].map(([transA, transB]) => ({
    name: `gemm transA=${transA} transB=${transB}, beta = 0.5 accumulates`,
    op: 'gemm',
    tensors: { A: randomFloats(37 * 70, 1), B: randomFloats(70 * 45, 2), C: randomFloats(37 * 45, 3) },
    params: { transA: Number(transA), transB: Number(transB), M: 37, N: 45, K: 70, alpha: 0.75,
      lda: transA ? 37 : 70, ldb: transB ? 70 : 45, beta: 0.5, ldc: 45 },
    tolerances: { C: 1e-5 },
  })),
  // Column slices of wider matrices (row strides ld = width + 3, views into bigger matrices), each tensor ending at
  // its last used element: nothing may be read past it (on the GPU: past the end of its allocation). The two forms
  // the model uses, a linear layer's forward (transB) and its weight gradient (transA).
  ...[[false, true], [true, false]].map(([transA, transB]) => {
    const pad = 3;
    const [rowsA, widthA] = transA ? [70, 37] : [37, 70];
    const [rowsB, widthB] = transB ? [45, 70] : [70, 45];
    return {
      name: `gemm transA=${transA} transB=${transB} on column slices (ld = width + ${pad})`,
      op: 'gemm',
      tensors: { A: randomFloats((rowsA - 1) * (widthA + pad) + widthA, 53),
        B: randomFloats((rowsB - 1) * (widthB + pad) + widthB, 54), C: randomFloats(36 * (45 + pad) + 45, 55) },
      params: { transA: Number(transA), transB: Number(transB), M: 37, N: 45, K: 70, alpha: 0.75, lda: widthA + pad,
        ldb: widthB + pad, beta: 0.5, ldc: 45 + pad },
      tolerances: { C: 1e-5 },
    };
  }),
  {
    name: 'gemmStridedBatched, the attention scores Q K^T per (batch, head)',
    op: 'gemmStridedBatched',
    tensors: { A: randomFloats(B * NH * T * D, 4), B: randomFloats(B * NH * T * D, 5), C: new Float32Array(B * NH * T * T) },
    params: { transA: 0, transB: 1, M: T, N: T, K: D, alpha: 1 / Math.sqrt(D), lda: D, strideA: T * D, ldb: D,
      strideB: T * D, beta: 0, ldc: T, strideC: T * T, batch: B * NH },
    tolerances: { C: 1e-5 },
  },
  {
    name: 'gemmStridedBatched, the context P V per (batch, head)',
    op: 'gemmStridedBatched',
    tensors: { A: softmaxProbs(), B: randomFloats(B * NH * T * D, 6), C: new Float32Array(B * NH * T * D) },
    params: { transA: 0, transB: 0, M: T, N: D, K: T, alpha: 1, lda: T, strideA: T * T, ldb: D, strideB: T * D,
      beta: 0, ldc: D, strideC: T * D, batch: B * NH },
    tolerances: { C: 1e-5 },
  },
  {
    name: 'embeddingsForward',
    op: 'embeddingsForward',
    tensors: { out: new Float32Array(B * T * H), ids: randomInts(B * T, V, 7), typeIds: randomInts(B * T, 2, 8),
      word: randomFloats(V * H, 9), position: randomFloats(T * H, 10), tokenType: randomFloats(2 * H, 11) },
    params: { B, T, H },
    tolerances: { out: 0 },
  },
  {
    name: 'embeddingsBackward accumulates into existing gradients (scatter in the ScatterPlan order)',
    op: 'embeddingsBackward',
    tensors: { dWord: randomFloats(V * H, 12), dPosition: randomFloats(T * H, 13), dTokenType: randomFloats(2 * H, 14),
      dOut: randomFloats(B * T * H, 15), ids: randomInts(B * T, V, 7), typeIds: randomInts(B * T, 2, 8) },
    params: { B, T, H },
    // Both backends sum the word and type rows in the order of the plan built from the ids (model/backend.h) and
    // the position rows in batch order: the CPU's arithmetic in the CPU's order.
    tolerances: { dWord: 0, dTokenType: 0, dPosition: 0 },
  },
  {
    name: 'embeddingsBackward with a [PAD] run and token types over several plan chunks (partial sums)',
    op: 'embeddingsBackward',
    tensors: { dWord: randomFloats(V * H, 16), dPosition: randomFloats(64 * H, 17), dTokenType: randomFloats(2 * H, 18),
      dOut: randomFloats(4 * 64 * H, 19), ids: paddedIds(4, 64), typeIds: halves(4, 64) },
    params: { B: 4, T: 64, H },
    // As above: the same order on both backends, also for the keys whose chunks are summed into partials first.
    tolerances: { dWord: 0, dTokenType: 0, dPosition: 0 },
  },
  ...[C, 768].map((width) => ({
    name: `layerNormForward, C = ${width}`,
    op: 'layerNormForward',
    tensors: { out: new Float32Array(N * width), mean: new Float32Array(N), rstd: new Float32Array(N),
      in: randomFloats(N * width, 16, 3).map((x, i) => x + (i % 5)), gamma: randomFloats(width, 17),
      beta: randomFloats(width, 18) },
    params: { N, C: width, eps: 1e-12 },
    tolerances: { out: 1e-6, mean: 1e-6, rstd: 1e-6 },
  })),
  ...[0, 0.1].map((p) => ({
    name: `dropoutAddLayerNorm, p = ${p}`,
    op: 'dropoutAddLayerNorm',
    tensors: { out: new Float32Array(N * C), residual: new Float32Array(N * C), mean: new Float32Array(N),
      rstd: new Float32Array(N), branch: randomFloats(N * C, 46, 2), in: randomFloats(N * C, 47, 3),
      gamma: randomFloats(C, 48), beta: randomFloats(C, 49) },
    params: { N, C, eps: 1e-12, p, seed: 2 ** 40 + 9, step: 3, site: 5 },
    tolerances: { residual: 0, out: 1e-6, mean: 1e-6, rstd: 1e-6 },
  })),
  {
    name: 'layerNormBackward',
    op: 'layerNormBackward',
    tensors: { dIn: new Float32Array(N * C), dGamma: randomFloats(C, 19), dBeta: randomFloats(C, 20),
      dOut: randomFloats(N * C, 21), in: randomFloats(N * C, 22, 2), gamma: randomFloats(C, 23),
      mean: randomFloats(N, 24, 0.1), rstd: randomFloats(N, 25).map((x) => 1 + Math.abs(x)) },
    params: { N, C },
    tolerances: { dIn: 1e-5, dGamma: 1e-6, dBeta: 1e-6 },
  },
  {
    name: 'addBias',
    op: 'addBias',
    tensors: { x: randomFloats(N * C, 26), bias: randomFloats(C, 27) },
    params: { N, C },
    tolerances: { x: 0 },
  },
  {
    name: 'biasBackward (double column sums, deterministic two-pass reduction)',
    op: 'biasBackward',
    tensors: { dBias: randomFloats(C, 28), dOut: randomFloats(4099 * C, 29) },
    params: { N: 4099, C },
    tolerances: { dBias: 1e-6 },
  },
  {
    name: 'add',
    op: 'add',
    tensors: { out: new Float32Array(1001), a: randomFloats(1001, 30), b: randomFloats(1001, 31) },
    params: { n: 1001 },
    tolerances: { out: 0 },
  },
  {
    name: 'multiply',
    op: 'multiply',
    tensors: { out: new Float32Array(1001), a: randomFloats(1001, 30), b: randomFloats(1001, 31) },
    params: { n: 1001 },
    tolerances: { out: 0 },
  },
  {
    name: 'scale',
    op: 'scale',
    tensors: { x: randomFloats(1001, 32) },
    params: { alpha: 0.3, n: 1001 },
    tolerances: { x: 0 },
  },
  {
    name: 'geluForward',
    op: 'geluForward',
    tensors: { out: new Float32Array(4001), in: randomFloats(4001, 33, 6) },
    params: { n: 4001 },
    tolerances: { out: 1e-6 },
  },
  {
    name: 'geluBackward',
    op: 'geluBackward',
    tensors: { dIn: new Float32Array(4001), dOut: randomFloats(4001, 34), in: randomFloats(4001, 33, 6) },
    params: { n: 4001 },
    tolerances: { dIn: 1e-6 },
  },
  {
    name: 'geluForwardWithDerivative',
    op: 'geluForwardWithDerivative',
    tensors: { out: new Float32Array(4001), derivative: new Float32Array(4001), in: randomFloats(4001, 33, 6) },
    params: { n: 4001 },
    tolerances: { out: 1e-6, derivative: 1e-6 },
  },
  {
    name: 'tanhForward',
    op: 'tanhForward',
    tensors: { out: new Float32Array(4001), in: randomFloats(4001, 35, 4) },
    params: { n: 4001 },
    tolerances: { out: 1e-6 },
  },
  {
    name: 'tanhBackward',
    op: 'tanhBackward',
    tensors: { dIn: new Float32Array(4001), dOut: randomFloats(4001, 36), out: randomFloats(4001, 37) },
    params: { n: 4001 },
    tolerances: { dIn: 0 },
  },
  {
    name: 'sumOfSquares accumulates into its result (double partial sums)',
    op: 'sumOfSquares',
    tensors: { result: new Float32Array([1.5]), x: randomFloats(100003, 38) },
    params: { n: 100003 },
    tolerances: { result: 1e-6 },
  },
  {
    name: 'splitHeads',
    op: 'splitHeads',
    tensors: { out: new Float32Array(B * T * NH * D), in: randomFloats(B * T * NH * D, 39) },
    params: { B, T, NH, D },
    tolerances: { out: 0 },
  },
  {
    name: 'mergeHeads',
    op: 'mergeHeads',
    tensors: { out: new Float32Array(B * T * NH * D), in: randomFloats(B * T * NH * D, 40) },
    params: { B, T, NH, D },
    tolerances: { out: 0 },
  },
  {
    name: 'attentionSoftmaxForward with padding and a fully masked example',
    op: 'attentionSoftmaxForward',
    tensors: { probs: new Float32Array(B * NH * T * T), scores: randomFloats(B * NH * T * T, 42, 8), mask: mask() },
    params: { scale: 1 / Math.sqrt(D), B, NH, Q: T, T },
    tolerances: { probs: 1e-6 },
  },
  {
    name: 'attentionSoftmaxBackward',
    op: 'attentionSoftmaxBackward',
    tensors: { dScores: new Float32Array(B * NH * T * T), dProbs: randomFloats(B * NH * T * T, 43), probs: softmaxProbs() },
    params: { scale: 1 / Math.sqrt(D), B, NH, Q: T, T },
    tolerances: { dScores: 1e-5 },
  },
  // Rows longer than a warp, as BERT's T = 128..512 are: at T = 77 each lane of a row's warp walks 2 or 3 keys and
  // the last stride is partial (at T = 13 above most lanes sit idle). fp32 sums of 77 terms: 77 * 2^-24 = 4.6e-6.
  {
    name: 'attentionSoftmaxForward, T = 77 (rows longer than a warp), padding and a fully masked example',
    op: 'attentionSoftmaxForward',
    tensors: { probs: new Float32Array(3 * 2 * 77 * 77), scores: randomFloats(3 * 2 * 77 * 77, 56, 8),
      mask: paddedMask([50, 77, 0], 77) },
    params: { scale: 1 / Math.sqrt(D), B: 3, NH: 2, Q: 77, T: 77 },
    tolerances: { probs: 1e-6 },
  },
  {
    name: 'attentionSoftmaxBackward, T = 77 (rows longer than a warp)',
    op: 'attentionSoftmaxBackward',
    tensors: { dScores: new Float32Array(3 * 2 * 77 * 77), dProbs: randomFloats(3 * 2 * 77 * 77, 57),
      probs: softmaxProbs(3 * 2 * 77, 77) },
    params: { scale: 1 / Math.sqrt(D), B: 3, NH: 2, Q: 77, T: 77 },
    tolerances: { dScores: 1e-5 },
  },
  // The first-token layer's composed attention: one query row per head over T = 77 keys.
  {
    name: 'attentionSoftmaxForward, one query per head (the first-token layer), T = 77, a fully masked example',
    op: 'attentionSoftmaxForward',
    tensors: { probs: new Float32Array(3 * 2 * 77), scores: randomFloats(3 * 2 * 77, 59, 8),
      mask: paddedMask([50, 77, 0], 77) },
    params: { scale: 1 / Math.sqrt(D), B: 3, NH: 2, Q: 1, T: 77 },
    tolerances: { probs: 1e-6 },
  },
  {
    name: 'attentionSoftmaxBackward, one query per head, T = 77',
    op: 'attentionSoftmaxBackward',
    tensors: { dScores: new Float32Array(3 * 2 * 77), dProbs: randomFloats(3 * 2 * 77, 60),
      probs: softmaxProbs(3 * 2, 77) },
    params: { scale: 1 / Math.sqrt(D), B: 3, NH: 2, Q: 1, T: 77 },
    tolerances: { dScores: 1e-5 },
  },
  {
    name: 'dropout draws the same Philox masks as the CPU (n not a multiple of 4, 64-bit seed)',
    op: 'dropout',
    tensors: { out: new Float32Array(10007), in: randomFloats(10007, 44) },
    params: { n: 10007, p: 0.1, seed: 2 ** 40 + 5, step: 7, site: 3 },
    tolerances: { out: 0 },
  },
  {
    name: 'dropoutRows draws the same masks as the CPU for rows off the Philox block grid',
    op: 'dropoutRows',
    tensors: { out: new Float32Array(5 * 37), in: randomFloats(5 * 37, 58) },
    params: { rows: 5, C: 37, counterRowStride: 4 * 29 + 2, p: 0.1, seed: 2 ** 40 + 5, step: 7, site: 3 },
    tolerances: { out: 0 },
  },
  {
    name: 'gatherClsRows',
    op: 'gatherClsRows',
    tensors: { out: new Float32Array(B * H), in: randomFloats(B * T * H, 45) },
    params: { B, T, H },
    tolerances: { out: 0 },
  },
  {
    name: 'scatterClsRows accumulates into row 0 only',
    op: 'scatterClsRows',
    tensors: { dIn: randomFloats(B * T * H, 46), dOut: randomFloats(B * H, 47) },
    params: { B, T, H },
    tolerances: { dIn: 0 },
  },
  {
    name: 'crossEntropyForward',
    op: 'crossEntropyForward',
    tensors: { losses: new Float32Array(5), probs: new Float32Array(5 * 3), logits: randomFloats(5 * 3, 48, 5),
      labels: new Int32Array([0, 2, 1, 1, 0]) },
    params: { B: 5, C: 3 },
    tolerances: { losses: 1e-6, probs: 1e-6 },
  },
  {
    name: 'crossEntropyBackward',
    op: 'crossEntropyBackward',
    tensors: { dLogits: new Float32Array(5 * 3), probs: softmaxProbs().slice(0, 15), labels: new Int32Array([0, 2, 1, 1, 0]) },
    params: { scale: 0.2, B: 5, C: 3 },
    tolerances: { dLogits: 0 },
  },
  {
    name: 'crossEntropyForward (ignored rows: -100 and C)',
    op: 'crossEntropyForward',
    tensors: { losses: new Float32Array(5), probs: new Float32Array(5 * 3), logits: randomFloats(5 * 3, 48, 5),
      labels: new Int32Array([0, -100, 1, 3, 0]) },
    params: { B: 5, C: 3 },
    tolerances: { losses: 1e-6, probs: 1e-6 },
  },
  {
    name: 'crossEntropyBackward (ignored rows: -100 and C)',
    op: 'crossEntropyBackward',
    tensors: { dLogits: new Float32Array(5 * 3), probs: softmaxProbs().slice(0, 15),
      labels: new Int32Array([0, -100, 1, 3, 0]) },
    params: { scale: 0.2, B: 5, C: 3 },
    tolerances: { dLogits: 0 },
  },
  // The task heads' ops; 1e-6 where CUDA's expf/log1pf stand against libm, 0 where both sides sum in one order.
  {
    name: 'bceWithLogitsForward',
    op: 'bceWithLogitsForward',
    tensors: { losses: new Float32Array(1001), logits: randomFloats(1001, 60, 6),
      targets: Float32Array.from(randomFloats(1001, 61), (v) => (v > 0 ? 1 : 0)) },
    params: { n: 1001 },
    tolerances: { losses: 1e-6 },
  },
  {
    name: 'bceWithLogitsBackward',
    op: 'bceWithLogitsBackward',
    tensors: { dLogits: new Float32Array(1001), logits: randomFloats(1001, 62, 6),
      targets: Float32Array.from(randomFloats(1001, 63), (v) => (v > 0 ? 1 : 0)) },
    params: { scale: 0.3, n: 1001 },
    tolerances: { dLogits: 1e-6 },
  },
  {
    name: 'squaredErrorForward',
    op: 'squaredErrorForward',
    tensors: { losses: new Float32Array(1001), x: randomFloats(1001, 64), y: randomFloats(1001, 65) },
    params: { n: 1001 },
    tolerances: { losses: 0 },
  },
  {
    name: 'squaredErrorBackward',
    op: 'squaredErrorBackward',
    tensors: { dX: new Float32Array(1001), x: randomFloats(1001, 66), y: randomFloats(1001, 67) },
    params: { scale: 0.3, n: 1001 },
    tolerances: { dX: 0 },
  },
  {
    name: 'maskedMeanPool (a padded row and an all-padding row)',
    op: 'maskedMeanPool',
    tensors: { out: new Float32Array(3 * 37), in: randomFloats(3 * 7 * 37, 68),
      mask: Int32Array.from({ length: 21 }, (_, i) => (i < 10 ? 1 : 0)) },
    params: { B: 3, T: 7, H: 37 },
    tolerances: { out: 0 },
  },
  {
    name: 'l2NormalizeRows',
    op: 'l2NormalizeRows',
    tensors: { x: randomFloats(3 * 37, 69) },
    params: { N: 3, C: 37 },
    tolerances: { x: 0 },
  },
  {
    name: 'adamwUpdate (decay, clipping factor, bias correction at step 3)',
    op: 'adamwUpdate',
    tensors: { param: randomFloats(5003, 49), grad: randomFloats(5003, 50, 0.01), m: randomFloats(5003, 51, 0.001),
      v: randomFloats(5003, 52, 1e-6).map(Math.abs) },
    params: { n: 5003, lr: 2e-5, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, gradScale: 0.7,
      biasCorrection1: 1 - 0.9 ** 3, biasCorrection2: 1 - 0.999 ** 3 },
    // The same IEEE operations in the same order (sqrtf and division are correctly rounded on both devices, and
    // the CUDA build has --fmad=false), so the update should agree to the last bit; 1e-6 leaves room for a
    // compiler that vectorises the CPU loop differently.
    tolerances: { param: 1e-6, m: 1e-6, v: 1e-6 },
  },
];

module.exports = { cases };
