// The fused (flash-style) attention of the CPU backend against the composed one it replaces in the model (both
// through the test addon's attentionPaths, on the same inputs): the context and the gradients of q, k and v, with
// padding (including a batch row whose keys are all masked: uniform 1/T), with attention dropout (the same Philox
// mask regenerated inside the fused kernels), odd lengths that leave partial strips and partial Philox blocks, T up
// to 512, head sizes 32 and 64, in fp32 and with bf16 GEMMs. The whole layer's fused backward is also checked
// against central differences (gradcheck.test.ts: 'encoderLayerFused').
import { BertConfig, NativeBert } from '../../lib/native';
import { AttentionPathsArgs, AttentionResults, loadTestAddon } from '../test-addon/load';
import { roundBf16 } from './helpers/bf16';
import { compareArrays } from './helpers/compare';

// Deterministic uniform floats in [-scale, scale) (a small LCG: reproducible without a dependency).
function randomFloats(n: number, seed: number, scale: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state / 2 ** 32 * 2 - 1) * scale;
  });
}

// Batch row b keeps its first T - 3b keys (at least one), except the last row of a batch of 3+, which is fully
// masked (Hugging Face then gives every key 1/T).
function paddingMask(B: number, T: number): Int32Array {
  return Int32Array.from({ length: B * T }, (_, i) => {
    const b = Math.floor(i / T), t = i % T;
    if (B >= 3 && b === B - 1) return 0;
    return t < Math.max(1, T - 3 * b) ? 1 : 0;
  });
}

function args(B: number, NH: number, T: number, D: number, p: number, precision: 'fp32' | 'bf16'): AttentionPathsArgs {
  const n = B * T * NH * D;
  // Scores of a few units (q.k over D terms of ~1 each, scaled by 1/sqrt(D)): a softmax far from uniform.
  return { B, NH, T, D, q: randomFloats(n, 1 + T, 2), k: randomFloats(n, 2 + T, 2), v: randomFloats(n, 3 + T, 1),
    dContext: randomFloats(n, 4 + T, 1), mask: paddingMask(B, T), p, seed: 1234, step: 7, site: 4, precision };
}

function worstError(fused: AttentionResults, composed: AttentionResults): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of ['context', 'dq', 'dk', 'dv'] as const) {
    out[name] = compareArrays(fused[name], composed[name]).relError;
  }
  return out;
}

const addon = loadTestAddon();
const shapes: Array<[number, number, number, number]> = [
  [3, 2, 1, 32], [3, 2, 7, 64], [3, 2, 77, 32], [3, 2, 130, 64], [1, 2, 512, 64], [2, 3, 256, 32]];

describe('fused attention == composed attention (fp32)', () => {
  // fp32, tolerance 1e-5 of each tensor's scale: the two paths run the same GEMM kernels on the same operands and
  // the same softmax rows; they differ in how dk and dv are summed (strip by strip of 128 queries, against one GEMM
  // over all T), a few ulp of the largest element. A wrong mask, dropout element or formula is off by O(1).
  for (const [B, NH, T, D] of shapes) {
    for (const p of [0, 0.1]) {
      test(`B${B} NH${NH} T${T} D${D} dropout ${p}`, () => {
        const { fused, composed } = addon.attentionPaths(args(B, NH, T, D, p, 'fp32'));
        const errors = worstError(fused, composed);
        for (const [name, error] of Object.entries(errors)) expect([name, error <= 1e-5]).toEqual([name, true]);
      });
    }
  }
});

describe('fused attention == composed attention (bf16 GEMMs)', () => {
  const bf16 = addon.kernels.gemmBf16Available();
  // bf16, the same 1e-5 bound: the probabilities, dP and dS are the same fp32 numbers in both paths (same S GEMM,
  // same softmax rows, same mask), so every GEMM operand rounds to the same bf16 value; again only dk and dv's fp32
  // sums are grouped differently. (A looser bound would hide a wrong rounding: one operand off by 2^-8 shows.)
  for (const [B, NH, T, D] of [[3, 2, 77, 64], [1, 2, 512, 64]]) {
    (bf16 ? test : test.skip)(`B${B} NH${NH} T${T} D${D} dropout 0.1`, () => {
      const { fused, composed } = addon.attentionPaths(args(B, NH, T, D, 0.1, 'bf16'));
      const errors = worstError(fused, composed);
      for (const [name, error] of Object.entries(errors)) expect([name, error <= 1e-5]).toEqual([name, true]);
    });
  }
});

describe('q, k, v and the context stored as bf16 (FusedAttention\'s Bf16 pair, AMX): the fp32 storage\'s bits', () => {
  // Every product rounds q, k and v to bf16 anyway, and the context's only readers (the attention output dense and its
  // weight gradient) round it too: storing them rounded must change no bit of dq, dk, dv, and the context must be the
  // fp32 context rounded to nearest even. Partial strips (T = 77, 130), T = 512 (four strips), padding and dropout.
  const amx = addon.kernels.gemmBf16Isas().includes('amx');
  for (const [B, NH, T, D] of [[3, 2, 77, 64], [3, 2, 130, 64], [1, 2, 512, 64], [2, 3, 256, 32]]) {
    (amx ? test : test.skip)(`B${B} NH${NH} T${T} D${D} dropout 0.1`, () => {
      const { fused, fusedBf16 } = addon.attentionPaths(args(B, NH, T, D, 0.1, 'bf16'));
      expect(fusedBf16).toBeDefined();
      const same = (x: Float32Array, y: Float32Array) => Buffer.from(x.buffer).equals(Buffer.from(y.buffer));
      for (const name of ['dq', 'dk', 'dv'] as const) expect([name, same(fusedBf16![name], fused[name])]).toEqual([name, true]);
      expect(same(fusedBf16!.context, Float32Array.from(fused.context, roundBf16))).toBe(true);
    });
  }
  test('absent where the bf16 GEMMs do not read bf16 operands (fp32 precision)', () => {
    expect(addon.attentionPaths(args(1, 1, 4, 8, 0, 'fp32')).fusedBf16).toBeUndefined();
  });
});

test('dropout is live in both paths: the context with p = 0.1 differs from p = 0 by O(1)', () => {
  const off = addon.attentionPaths(args(3, 2, 77, 32, 0, 'fp32')).fused.context;
  const on = addon.attentionPaths(args(3, 2, 77, 32, 0.1, 'fp32')).fused.context;
  expect(compareArrays(on, off).relError).toBeGreaterThan(0.05);
});

test('a fully masked batch row attends uniformly: its context is the mean of v over all keys', () => {
  const a = args(3, 2, 7, 32, 0, 'fp32');
  const { context } = addon.attentionPaths(a).fused;
  const H = a.NH * a.D, b = 2;
  for (let c = 0; c < H; c++) {
    let mean = 0;
    for (let s = 0; s < a.T; s++) mean += a.v[(b * a.T + s) * H + c] / a.T;
    for (let t = 0; t < a.T; t++) expect(Math.abs(context[(b * a.T + t) * H + c] - mean)).toBeLessThan(1e-6);
  }
});

test('bad arguments are typed errors', () => {
  const good = args(1, 1, 4, 8, 0, 'fp32');
  // The addon's errors come from another realm than jest's globals, so their class is checked by name.
  const errorOf = (call: () => unknown): { name?: string; code?: string } => {
    try {
      call();
    } catch (e) {
      return { name: (e as Error).name, code: (e as { code?: string }).code };
    }
    return {};
  };
  const invalid = (name: string) => ({ name, code: 'ERR_BERTNODE_INVALID_ARGUMENT' });
  expect(errorOf(() => addon.attentionPaths({ ...good, q: new Float32Array(3) }))).toEqual(invalid('RangeError'));
  expect(errorOf(() => addon.attentionPaths({ ...good, mask: new Float32Array(4) as unknown as Int32Array })))
    .toEqual(invalid('TypeError'));
  expect(errorOf(() => addon.attentionPaths({ ...good, p: 1 }))).toEqual(invalid('RangeError'));
  expect(errorOf(() => addon.attentionPaths({ ...good, T: 0 }))).toEqual(invalid('RangeError'));
});

test('in the model, a layer whose probabilities are asked for (composed) and one that runs fused agree', async () => {
  // Two layers with dropout on: asking for layer 0's probabilities runs it composed and layer 1 fused; asking for
  // both runs both composed; asking for none runs both fused. Logits and every hidden state agree to 1e-5 of their
  // scale (the attention paths' fp32 bound above), and layer 0's probabilities are the same bits either way.
  const config: BertConfig = {
    vocabSize: 60, hiddenSize: 64, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 128,
    maxPositionEmbeddings: 64, typeVocabSize: 2, layerNormEps: 1e-12, hiddenDropoutProb: 0.1,
    attentionProbsDropoutProb: 0.2, classifierDropout: null, numLabels: 3,
  };
  const model = NativeBert.create(config, { head: 'pooler' });
  try {
    model.parameterNames().forEach((name, i) => {
      const n = model.parameterShape(name).reduce((a, b) => a * b, 1);
      model.setParameter(name, name.includes('LayerNorm.weight') ? new Float32Array(n).fill(1)
        : randomFloats(n, 50 + i, 0.2));
    });
    const B = 3, T = 37;
    const batch = { inputIds: Int32Array.from({ length: B * T }, (_, i) => 1 + (i * 7) % 59),
      attentionMask: Int32Array.from({ length: B * T }, (_, i) => (i % T < T - 5 * Math.floor(i / T) ? 1 : 0)),
      tokenTypeIds: new Int32Array(B * T), batchSize: B, seqLen: T };
    const run = (attentionLayers: number[]) => model.forward(batch,
      { attentionLayers, outputHiddenStates: true, training: true, seed: 99, step: 3 });
    const fused = await run([]), first = await run([0]), both = await run([0, 1]);
    for (const other of [first, both]) {
      expect(compareArrays(other.logits, fused.logits).relError).toBeLessThanOrEqual(1e-5);
      expect(other.hiddenStates.length).toBe(3);
      other.hiddenStates.forEach((h, l) =>
        expect([l, compareArrays(h, fused.hiddenStates[l]).relError <= 1e-5]).toEqual([l, true]));
    }
    expect(Buffer.from(first.attentions[0].buffer).equals(Buffer.from(both.attentions[0].buffer))).toBe(true);
  } finally {
    model.dispose();
  }
});
