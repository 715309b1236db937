// The model features beyond one training step, on CUDA against the CPU: every hidden state and attention map, the
// frozen-layer cache (frozenPrefix, then a step from prefixHidden), gradient accumulation over batches of two shapes
// (the activation workspace is laid out again between them), and the optimizer state of a checkpoint, read back and
// restored. Each moves data between host and device along its own path through native/model, so each is a place
// where host code could touch device memory.
//
// Tolerances (normalizedMaxError, relative for scalars), as in training.test.ts: 1e-5 for forward outputs and
// losses (fp32, summation orders only), 1e-4 for gradients and first moments (accumulated through the backward),
// 2e-4 for second moments (squares of gradients: twice the relative error), 1e-3 for parameters after AdamW steps
// (a near-zero gradient element whose rounding differs moves by up to 2 * lr per step). A restored checkpoint is
// compared bit for bit: the device repeats its own arithmetic exactly.
import { NativeBert } from '../../lib/native/native-bert';
import type { Batch } from '../../lib/native/native-bert';
import { batch, config, initialise, labels } from './bert-fixture';
import { describeCuda, normalizedMaxError, relativeError } from './cuda-env';

const hyper = { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-6, weightDecay: 0.01, maxGradNorm: 1.0 };
const SEED = 99;

type Options = { head: 'cls' | 'pooler'; trainableLayers: number; trainEmbeddings: boolean };
const FULL: Options = { head: 'pooler', trainableLayers: 2, trainEmbeddings: true };
const CLASSIC: Options = { head: 'cls', trainableLayers: 1, trainEmbeddings: false };

function model(options: Options, device: 'cpu' | 'cuda'): NativeBert {
  const m = NativeBert.create(config, { ...options, device });
  initialise(m);
  return m;
}

// The fixture batch cut to its first `seqLen` tokens.
function shorter(seqLen: number): Batch {
  const full = batch();
  const cut = (a: Int32Array) => Int32Array.from({ length: full.batchSize * seqLen },
    (_, i) => a[Math.floor(i / seqLen) * full.seqLen + (i % seqLen)]);
  return { inputIds: cut(full.inputIds), attentionMask: cut(full.attentionMask), tokenTypeIds: cut(full.tokenTypeIds),
    batchSize: full.batchSize, seqLen };
}

// [name, error] for every tensor pair whose error is above `tolerance` (so a failure names them).
function above(pairs: [string, Float32Array, Float32Array][], tolerance: number): [string, number][] {
  return pairs.map(([name, actual, expected]) => [name, normalizedMaxError(actual, expected)] as [string, number])
    .filter(([, error]) => !(error <= tolerance));
}

async function withPair(options: Options, body: (cpu: NativeBert, gpu: NativeBert) => Promise<void>): Promise<void> {
  const cpu = model(options, 'cpu');
  const gpu = model(options, 'cuda');
  try {
    await body(cpu, gpu);
  } finally {
    cpu.dispose();
    gpu.dispose();
  }
}

describeCuda('model features on CUDA match the CPU', () => {
  test('forward returns every hidden state and the asked attention maps', () => withPair(FULL, async (cpu, gpu) => {
    const options = { labels, outputHiddenStates: true, attentionLayers: [1, 0] };
    const [a, b] = [await cpu.forward(batch(), options), await gpu.forward(batch(), options)];
    expect(b.hiddenStates.length).toBe(config.numHiddenLayers + 1);
    expect(b.attentions.length).toBe(2);
    expect(above([
      ...a.hiddenStates.map((h, i): [string, Float32Array, Float32Array] => [`hidden ${i}`, b.hiddenStates[i], h]),
      ...a.attentions.map((p, i): [string, Float32Array, Float32Array] => [`attention ${i}`, b.attentions[i], p]),
      ['logits', b.logits, a.logits],
    ], 1e-5)).toEqual([]);
  }));

  test('the frozen-layer cache: frozenPrefix, then a training step from prefixHidden', () =>
    withPair(CLASSIC, async (cpu, gpu) => {
      const [prefixCpu, prefixGpu] = [await cpu.frozenPrefix(batch()), await gpu.frozenPrefix(batch())];
      expect(normalizedMaxError(prefixGpu, prefixCpu)).toBeLessThanOrEqual(1e-5);
      const { attentionMask, batchSize, seqLen } = batch();
      const maskBatch = { attentionMask, batchSize, seqLen };
      const step = { ...hyper, seed: SEED, step: 1 };
      const [a, b] = [await cpu.trainStep(maskBatch, labels, step, { prefixHidden: prefixCpu }),
        await gpu.trainStep(maskBatch, labels, step, { prefixHidden: prefixGpu })];
      expect(relativeError(b.loss, a.loss)).toBeLessThanOrEqual(1e-5);
      expect(above(cpu.parameterNames().map((n): [string, Float32Array, Float32Array] =>
        [n, gpu.getParameter(n), cpu.getParameter(n)]), 1e-3)).toEqual([]);
    }));

  test('gradient accumulation over batches of two shapes, then one optimizer step', () =>
    withPair(FULL, async (cpu, gpu) => {
      for (const m of [cpu, gpu]) {
        await m.accumulateGradients(batch(), labels, { scale: 0.5, seed: SEED, step: 1 });
        await m.accumulateGradients(shorter(9), labels, { scale: 0.5, seed: SEED, step: 1 });
      }
      // Key biases: exact gradient 0, both devices hold rounding noise (training.test.ts checks its size).
      const names = cpu.parameterNames().filter((n) => !n.endsWith('attention.self.key.bias'));
      expect(above(names.map((n): [string, Float32Array, Float32Array] =>
        [n, gpu.getGradient(n) as Float32Array, cpu.getGradient(n) as Float32Array]), 1e-4)).toEqual([]);
      const [a, b] = [await cpu.applyOptimizer(hyper), await gpu.applyOptimizer(hyper)];
      expect(relativeError(b.gradNorm, a.gradNorm)).toBeLessThanOrEqual(1e-5);
    }));

  test('optimizer state: read back like the CPU, restored into a new model it continues bit for bit', () =>
    withPair(FULL, async (cpu, gpu) => {
      for (const m of [cpu, gpu]) {
        for (let step = 1; step <= 2; ++step) await m.trainStep(batch(), labels, { ...hyper, seed: SEED, step });
      }
      const [sa, sb] = [cpu.getOptimizerState(), gpu.getOptimizerState()];
      expect(sb.step).toBe(sa.step);
      expect(Object.keys(sb.m).sort()).toEqual(Object.keys(sa.m).sort());
      const names = Object.keys(sa.m).filter((n) => !n.endsWith('attention.self.key.bias'));
      expect(above(names.map((n): [string, Float32Array, Float32Array] => [n, sb.m[n], sa.m[n]]), 1e-4)).toEqual([]);
      expect(above(names.map((n): [string, Float32Array, Float32Array] => [n, sb.v[n], sa.v[n]]), 2e-4)).toEqual([]);

      const restored = NativeBert.create(config, { ...FULL, device: 'cuda' });
      try {
        for (const n of gpu.parameterNames()) restored.setParameter(n, gpu.getParameter(n));
        restored.setOptimizerState(sb);
        const next = { ...hyper, seed: SEED, step: 3 };
        const [x, y] = [await gpu.trainStep(batch(), labels, next), await restored.trainStep(batch(), labels, next)];
        expect(y).toEqual(x);
        for (const n of gpu.parameterNames()) expect([n, restored.getParameter(n)]).toEqual([n, gpu.getParameter(n)]);
        expect(restored.nativeBytes()).toBeGreaterThan(0);
      } finally {
        restored.dispose();
      }
      expect(restored.nativeBytes()).toBe(0);
    }));
});
