// Inference with bf16 activations between ops (precision 'bf16' on AMX: native/cpu/linear_bf16.h,
// native/model/bf16_activations.h). Two levels:
// - the Linear kernel against a float64 reference of its contract: x and W rounded to bf16 (nearest even), exact
//   products summed in float64, then bias, GELU (exact erf), residual, and a bf16 output rounded from that value;
// - the model: a forward whose layers take the bf16 path (no attention maps asked for) against the same model's
//   bf16 forward through the composed ops (attention maps asked for every layer: the fp32-activation path, whose
//   GEMMs round the same values to bf16) — the same bits —, against the PyTorch fp32 fixtures, and after the weights
//   change (setParameter, an optimizer step) so that no stale packed weight is read.
// On a CPU without AMX the path does not exist: the kernel binding says so and the model tests check the forward still
// matches the composed one exactly (it is the same code there); without any bf16 family the model tests skip.
import { Batch, BertConfig, NativeBert } from '../../lib/native';
import { loadKernels, randomFloats } from '../gemm/kernels';
import { LinearBf16Args, loadTestAddon } from '../test-addon/load';
import { roundBf16 } from './helpers/bf16';
import { compareArrays, expectClose } from './helpers/compare';
import { FixtureRecord, Golden } from './helpers/golden';

const linearBf16 = loadTestAddon().linearBf16;
const supported = linearBf16.supported();


// erf by Abramowitz-Stegun 7.1.26 is too coarse here; this series/continued-fraction pair is good to ~1e-15.
function erf(x: number): number {
  const a = Math.abs(x);
  let r: number;
  if (a < 3) {
    let term = a, sum = a;
    for (let n = 1; n < 200; n++) {
      term *= -a * a / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // erfc continued fraction (Lentz), converges fast for a >= 3.
    let f = a, c = a, d = 0;
    for (let n = 1; n < 200; n++) {
      const an = n / 2;
      d = a + an * d;
      d = 1 / d;
      c = a + an / c;
      const delta = c * d;
      f *= delta;
      if (Math.abs(delta - 1) < 1e-16) break;
    }
    r = 1 - Math.exp(-a * a) / (Math.sqrt(Math.PI) * f);
  }
  return x < 0 ? -r : r;
}
const gelu = (v: number): number => 0.5 * v * (1 + erf(v / Math.SQRT2));

interface Reference {
  y: Float64Array;
  bound: Float64Array;  // per element: what fp32 sums and fp32 epilogue rounding can move y by
}

function reference(a: LinearBf16Args): Reference {
  const { m, k, n } = a;
  const xr = Float64Array.from(a.x, roundBf16), wr = Float64Array.from(a.w, roundBf16);
  const y = new Float64Array(m * n), bound = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0, magnitude = 0;
      for (let p = 0; p < k; p++) {
        const prod = xr[i * k + p] * wr[j * k + p];
        sum += prod;
        magnitude += Math.abs(prod);
      }
      let v = sum + (a.bias ? a.bias[j] : 0);
      // fp32 sums: each partial sum rounds once (<= k * 2^-24 * sum|products|), the bias add once more.
      let err = (k + 1) * 2 ** -24 * (magnitude + Math.abs(v));
      if (a.gelu) {
        // |gelu'| <= 1.13; the kernel's GELU is within ~3e-7 relative (+ a tiny absolute term near 0).
        err = 1.13 * err + 4e-7 * Math.abs(gelu(v)) + 1e-30;
        v = gelu(v);
      }
      if (a.residual) {
        v += a.residual[i * n + j];
        err += 2 ** -24 * Math.abs(v);
      }
      y[i * n + j] = v;
      bound[i * n + j] = err + 2 ** -24 * Math.abs(v);
    }
  }
  return { y, bound };
}

function args(m: number, k: number, n: number, seed: number, extra: Partial<LinearBf16Args> = {}): LinearBf16Args {
  return {
    x: randomFloats(m * k, seed).map((v) => v * 2),
    m, k, n,
    w: randomFloats(n * k, seed + 1).map((v) => v * 0.2),
    bias: randomFloats(n, seed + 2),
    ...extra,
  };
}

// Every element within its bound: a wrong panel, a dropped k block, a tail row or column read from the wrong place,
// or a missed epilogue step all move elements by O(1) at these scales.
function expectWithinBounds(label: string, actual: Float32Array, ref: Reference): void {
  let worst = 0, at = -1;
  for (let i = 0; i < ref.y.length; i++) {
    const excess = Math.abs(actual[i] - ref.y[i]) / ref.bound[i];
    if (!(excess <= worst)) {
      worst = excess;
      at = i;
    }
  }
  if (!(worst <= 1)) {
    throw new Error(`${label}: element ${at} is ${actual[at]}, reference ${ref.y[at]} (bound ${ref.bound[at]}; ` +
      `${worst.toFixed(2)}x the bound)`);
  }
}

// The bf16 output is the fp32 value rounded once: within one bf16 rounding (2^-9 relative) of the reference, plus the
// fp32 bound (the value being rounded may sit on the other side of a rounding boundary).
function expectBf16Rounded(label: string, actual: Float32Array, ref: Reference): void {
  for (let i = 0; i < ref.y.length; i++) {
    const allowed = 2 ** -8 * Math.abs(ref.y[i]) + ref.bound[i];
    if (!(Math.abs(actual[i] - ref.y[i]) <= allowed)) {
      throw new Error(`${label}: element ${i} is ${actual[i]}, reference ${ref.y[i]} (allowed ${allowed})`);
    }
    expect(roundBf16(actual[i])).toBe(actual[i]);  // a bf16 value, widened
  }
}

const describeAmx = supported ? describe : describe.skip;

describeAmx('linearBf16 kernel (AMX) against a float64 reference', () => {
  // Shapes: whole tiles; row tails (1, 31, 33, 70 rows); column tails (1, 17, 33, 100); k not a multiple of 32 (copied
  // strips) and k spanning several 256-step passes (partial sums stored and reloaded: 768, 3072 would be slow here,
  // 544 = 2 passes + a tail block); n wide enough for several panel groups (k = 1088: 34 blocks, 68 KiB panels, so a
  // group holds 15 panels and n = 1024 needs three groups).
  test.each([
    [32, 64, 32], [1, 32, 1], [31, 48, 17], [33, 64, 33], [70, 96, 100], [64, 544, 64], [5, 13, 7], [8, 1088, 1024],
  ])('m %i, k %i, n %i: fp32 output with bias', (m, k, n) => {
    const a = args(m, k, n, m * 131 + k * 7 + n);
    const { y } = linearBf16.run(a);
    expectWithinBounds(`${m}x${k}x${n}`, y as Float32Array, reference(a));
  });

  test('GELU epilogue, fp32 and bf16 outputs together', () => {
    const a = args(45, 96, 70, 9, { gelu: true, outputs: 'both' });
    const ref = reference(a);
    const { y, yBf16 } = linearBf16.run(a);
    expectWithinBounds('gelu fp32', y as Float32Array, ref);
    expectBf16Rounded('gelu bf16', yBf16 as Float32Array, ref);
    // The bf16 output is exactly the fp32 output rounded.
    expect(Array.from(yBf16 as Float32Array)).toEqual(Array.from(y as Float32Array, roundBf16));
  });

  test('GELU over a wide input range (tails of erf, exact zero, large values)', () => {
    const m = 32, k = 32, n = 32;
    // x = identity-like rows, w scaled so that the sums span [-12, 12]; no bias.
    const x = new Float32Array(m * k), w = new Float32Array(n * k);
    for (let i = 0; i < m; i++) x[i * k + i] = 1;
    for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) w[j * k + p] = roundBf16(((p * 32 + j) / (m * n) - 0.5) * 24);
    const a: LinearBf16Args = { x, m, k, w, n, gelu: true };
    expectWithinBounds('gelu range', linearBf16.run(a).y as Float32Array, reference(a));
  });

  test('residual epilogue', () => {
    const a = args(50, 160, 40, 21, { residual: randomFloats(50 * 40, 22) });
    expectWithinBounds('residual', linearBf16.run(a).y as Float32Array, reference(a));
  });

  test('no bias, bf16 output only', () => {
    const a = args(33, 64, 65, 31, { bias: undefined, outputs: 'bf16' });
    expectBf16Rounded('bf16 only', linearBf16.run(a).yBf16 as Float32Array, reference(a));
  });

  test('the same bits with 1, 2 and 3 threads (split by strips and by panels)', () => {
    for (const [m, k, n] of [[200, 96, 70], [20, 96, 300]]) {
      const a = args(m, k, n, m + n, { gelu: true, outputs: 'both' });
      const one = linearBf16.run({ ...a, threads: 1 });
      for (const threads of [2, 3]) {
        const other = linearBf16.run({ ...a, threads });
        expect(Buffer.from((other.y as Float32Array).buffer).equals(Buffer.from((one.y as Float32Array).buffer))).toBe(true);
        expect(Buffer.from((other.yBf16 as Float32Array).buffer).equals(Buffer.from((one.yBf16 as Float32Array).buffer))).toBe(true);
      }
    }
  });

  test('bad arguments are typed errors', () => {
    const a = args(4, 32, 4, 1);
    const invalid = expect.objectContaining({ code: 'ERR_BERTNODE_INVALID_ARGUMENT' });
    expect(() => linearBf16.run({ ...a, m: 5 })).toThrow(invalid);
    expect(() => linearBf16.run({ ...a, outputs: 'fp16' as 'fp32' })).toThrow(invalid);
    expect(() => linearBf16.run({ ...a, bias: new Float32Array(3) })).toThrow(invalid);
  });
});

if (!supported) {
  test('linearBf16 reports itself unavailable here (no AMX bf16 family active)', () => {
    expect(() => linearBf16.run(args(4, 32, 4, 1))).toThrow(/AMX/);
  });
}

// precision 'bf16' itself needs a bf16 GEMM family (AMX or AVX-512 BF16); test/native/bf16.test.ts checks the refusal.
const describeBf16 = loadKernels().gemmBf16Available() ? describe : describe.skip;

// bf16 path vs the composed bf16 path: the same bf16 operands, the same fp32 sums in the same order (k blocks in
// order in AMX tiles on both), the same softmax and the same GELU function (native/cpu/gelu_avx512.h on both), so the
// same bits. expectSame says where they differ, if they do.
function expectSame(label: string, actual: Float32Array, expected: Float32Array): void {
  const c = compareArrays(actual, expected);
  if (c.maxAbsError !== 0) {
    throw new Error(`${label}: differs from the composed path by ${c.maxAbsError.toExponential(3)} at [${c.worstIndex}] ` +
      `(relative to the tensor's scale ${c.relError.toExponential(3)})`);
  }
}

describeBf16('a bf16 model forward with bf16 activations', () => {
  const golden = new Golden();
  const { config } = golden.manifest;
  const L = config.numHiddenLayers;
  const fixture = golden.manifest.fixtures.find((f) => f.name === 'pooler_full') as FixtureRecord;
  const allLayers = [...Array(L).keys()];
  let model: NativeBert;

  function create(trainableLayers = fixture.trainableLayers): NativeBert {
    const m = NativeBert.create(config, { head: fixture.head, trainableLayers, trainEmbeddings: false, precision: 'bf16' });
    for (const name of Object.keys(golden.manifest.parameters)) m.setParameter(name, golden.initialParameter(name));
    return m;
  }
  beforeAll(() => {
    model = create();
  });
  afterAll(() => model.dispose());

  const FIXTURE_TOL = 1e-2;  // as test/native/bf16.test.ts: bf16 against the PyTorch fp32 fixtures

  async function bothPaths(m: NativeBert) {
    const { batch } = golden.batch(0);
    const composed = await m.forward(batch, { attentionLayers: allLayers, outputHiddenStates: true });
    const viaBf16 = await m.forward(batch, { outputHiddenStates: true });
    return { composed, viaBf16 };
  }

  test('agrees with the composed bf16 forward and with the PyTorch fp32 fixtures', async () => {
    const { composed, viaBf16 } = await bothPaths(model);
    for (let i = 1; i <= L; i++) {
      expectSame(`hidden state ${i}`, viaBf16.hiddenStates[i], composed.hiddenStates[i]);
      expectClose(`hidden state ${i} vs fixture`, viaBf16.hiddenStates[i], golden.f32(fixture.hiddenStates[i - 1]), FIXTURE_TOL);
    }
    expectSame('logits', viaBf16.logits, composed.logits);
    expectClose('logits vs fixture', viaBf16.logits, golden.f32(fixture.logits), FIXTURE_TOL);
  });

  // Which path ran shows in the memory the model holds: the bf16 path packs every layer's six weights (kept for the
  // next calls) and needs no fp32 [N, I] buffers; the composed forward with attention maps packs nothing. The last
  // layer, under this [CLS]-reading head, runs as the first-token layer (first-token-layer.test.ts) and packs nothing.
  test('the bf16 path ran: the packed weights appear in nativeBytes exactly where AMX is active', async () => {
    const m = create();
    const { batch } = golden.batch(0);
    await m.forward(batch, { attentionLayers: allLayers });
    const before = m.nativeBytes();
    await m.forward(batch);
    const packed = (out: number, inSize: number) => Math.ceil(out / 32) * Math.ceil(inSize / 32) * 2048;
    const H = config.hiddenSize, I = config.intermediateSize;
    const perLayer = 4 * packed(H, H) + packed(I, H) + packed(H, I);
    expect(m.nativeBytes() - before).toBe(supported ? (L - 1) * perLayer : 0);
    m.dispose();
  });

  test('a weight written by setParameter after a forward is what the next forward uses', async () => {
    const m = create();
    await m.forward(golden.batch(0).batch);  // packs every layer
    const name = 'bert.encoder.layer.1.intermediate.dense.weight';
    const changed = golden.initialParameter(name).map((v) => -v);
    m.setParameter(name, changed);
    const after = await bothPaths(m);
    expectSame('logits after setParameter', after.viaBf16.logits, after.composed.logits);
    // and the change mattered
    expect(compareArrays(after.viaBf16.logits, (await model.forward(golden.batch(0).batch)).logits).relError).toBeGreaterThan(1e-2);
    m.dispose();
  });

  test('weights updated by an optimizer step are what the next forward uses', async () => {
    const m = create(1);
    const { batch, labels } = golden.batch(0);
    await m.forward(batch);  // packs every layer
    const hyper = { lr: 0.05, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, maxGradNorm: 0, seed: 1, step: 0 };
    for (let s = 0; s < 3; s++) await m.trainStep(batch, labels, { ...hyper, step: s });
    const after = await bothPaths(m);
    expectSame('logits after training', after.viaBf16.logits, after.composed.logits);
    expect(compareArrays(after.viaBf16.logits, (await model.forward(batch)).logits).relError).toBeGreaterThan(1e-2);
    m.dispose();
  });

  test('frozenPrefix runs the bf16 path too and matches the hidden state of a forward', async () => {
    const m = create(1);
    const { batch } = golden.batch(0);
    const prefix = await m.frozenPrefix(batch);
    const { composed, viaBf16 } = await bothPaths(m);
    expect(prefix).toEqual(viaBf16.hiddenStates[L - 1]);
    expectSame('prefix vs composed', prefix, composed.hiddenStates[L - 1]);
    m.dispose();
  });
});

// The shapes of real models (head size 64: BERT-base; 32: MiniLM) with query and key counts that are not multiples of
// the 32-row tiles, padded rows, and a row whose keys are all masked.
describeBf16.each([
  ['head size 64', 128, 2, 256],
  ['head size 32', 96, 3, 160],
])('a bf16 model forward with bf16 activations, %s', (_name, hiddenSize, numAttentionHeads, intermediateSize) => {
  const config: BertConfig = {
    vocabSize: 50, hiddenSize, numHiddenLayers: 2, numAttentionHeads, intermediateSize, maxPositionEmbeddings: 96,
    typeVocabSize: 2, layerNormEps: 1e-12, hiddenDropoutProb: 0.1, attentionProbsDropoutProb: 0.1, classifierDropout: null,
    numLabels: 3,
  };
  const lengths = [70, 41, 5, 0];
  const B = lengths.length, T = 70;
  const batch: Batch = {
    inputIds: Int32Array.from({ length: B * T }, (_, i) => (i * 7 + 3) % config.vocabSize),
    attentionMask: Int32Array.from({ length: B * T }, (_, i) => (i % T < lengths[Math.floor(i / T)] ? 1 : 0)),
    tokenTypeIds: Int32Array.from({ length: B * T }, (_, i) => (i % T > 20 ? 1 : 0)),
    batchSize: B, seqLen: T,
  };

  test('the same bits as the composed bf16 forward (every layer, the logits)', async () => {
    const m = NativeBert.create(config, { head: 'pooler', trainableLayers: 1, trainEmbeddings: false, precision: 'bf16' });
    for (const name of m.parameterNames()) {
      const n = m.parameterShape(name).reduce((a, b) => a * b, 1);
      const base = name.includes('LayerNorm.weight') ? 1 : 0;
      m.setParameter(name, randomFloats(n, name.length * 31 + n).map((v) => base + v * 0.2));
    }
    const composed = await m.forward(batch, { attentionLayers: [0, 1], outputHiddenStates: true });
    const viaBf16 = await m.forward(batch, { outputHiddenStates: true });
    for (let i = 1; i <= 2; i++) expectSame(`hidden state ${i}`, viaBf16.hiddenStates[i], composed.hiddenStates[i]);
    expectSame('logits', viaBf16.logits, composed.logits);
    m.dispose();
  });
});
