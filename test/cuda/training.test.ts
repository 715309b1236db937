// A whole model on CUDA against the same model on the CPU: forward with dropout on (same Philox masks, so the
// outputs agree to rounding — a different mask would change them at the 1e-1 level), every gradient, three AdamW
// steps; the same step with TF32 and bf16 GEMMs; determinism of repeated runs; device memory returned on dispose.
//
// Tolerances, each with its reason:
//   loss, logits 1e-5 (relative / normalizedMaxError): fp32 everywhere, only summation orders differ (cuBLAS and
//                     warp reductions vs the CPU's blocked GEMM and loops), through 2 layers;
//   gradients    1e-4 (normalizedMaxError per tensor): the same, accumulated through the whole backward — the bound
//                     the golden PyTorch comparison uses for gradients;
//   key biases   exact gradient 0 (softmax ignores the per-row shift q.b_k), so both devices hold only rounding
//                     noise: checked to be below 1e-6 instead of compared (as test/native/golden.test.ts does);
//   parameters   1e-3 after 3 AdamW steps at lr 1e-4, eps 1e-6: AdamW's first steps move each weight by about
//                     lr * g / (|g| + eps), so a gradient element near 0 whose rounding differs between the devices
//                     can move by up to 2 * lr per step: 6e-4 after 3 steps, against weights of scale ~1.
import { NativeBert } from '../../lib/native/native-bert';
import type { CudaAddon } from '../../lib/native/cuda';
import { batch, config, initialise, isKeyBias, labels } from './bert-fixture';
import { describeCuda, maxAbs, normalizedMaxError, relativeError } from './cuda-env';

const hyper = { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-6, weightDecay: 0.01, maxGradNorm: 1.0 };
const KEY_BIAS_NOISE = 1e-6;
const SEED = 1234;

function pair(options: { head: 'cls' | 'pooler'; trainableLayers: number; trainEmbeddings: boolean },
  precision: 'fp32' | 'tf32' | 'bf16' = 'fp32') {
  const cpu = NativeBert.create(config, { ...options, device: 'cpu' });
  const gpu = NativeBert.create(config, { ...options, device: 'cuda', precision });
  initialise(cpu);
  initialise(gpu);
  return { cpu, gpu };
}

async function lossesOfThreeSteps(model: NativeBert): Promise<number[]> {
  const losses: number[] = [];
  for (let step = 1; step <= 3; ++step) {
    losses.push((await model.trainStep(batch(), labels, { ...hyper, seed: SEED, step })).loss);
  }
  return losses;
}

describeCuda('a BERT training step on CUDA matches the CPU', (addon: CudaAddon) => {
  test('forward with dropout on: same masks, same logits and loss', async () => {
    const { cpu, gpu } = pair({ head: 'pooler', trainableLayers: 2, trainEmbeddings: true });
    try {
      const options = { labels, training: true, seed: SEED, step: 5 };
      const [a, b] = [await cpu.forward(batch(), options), await gpu.forward(batch(), options)];
      expect(normalizedMaxError(b.logits, a.logits)).toBeLessThanOrEqual(1e-5);
      expect(relativeError(b.loss as number, a.loss as number)).toBeLessThanOrEqual(1e-5);
      // Dropout really ran: without it the logits differ by far more than the tolerance above.
      const plain = await gpu.forward(batch(), { labels });
      expect(normalizedMaxError(plain.logits, b.logits)).toBeGreaterThan(1e-3);
    } finally {
      cpu.dispose();
      gpu.dispose();
    }
  });

  test.each([
    ['full fine-tune with the pooler head and embeddings', { head: 'pooler', trainableLayers: 2, trainEmbeddings: true }],
    ['classic recipe: last layer + [CLS] head', { head: 'cls', trainableLayers: 1, trainEmbeddings: false }],
  ] as const)('%s: every gradient, then 3 AdamW steps', async (_name, options) => {
    const { cpu, gpu } = pair(options);
    try {
      const [a, b] = [
        await cpu.accumulateGradients(batch(), labels, { scale: 1, seed: SEED, step: 1 }),
        await gpu.accumulateGradients(batch(), labels, { scale: 1, seed: SEED, step: 1 }),
      ];
      expect(relativeError(b.loss, a.loss)).toBeLessThanOrEqual(1e-5);
      const errors: Record<string, number> = {};
      for (const name of cpu.parameterNames()) {
        const expected = cpu.getGradient(name);
        const actual = gpu.getGradient(name);
        expect(actual === null).toBe(expected === null); // the same parameters are frozen on both devices
        if (expected === null || actual === null) continue;
        if (isKeyBias(name)) {
          expect([name, Math.max(maxAbs(actual), maxAbs(expected)) <= KEY_BIAS_NOISE]).toEqual([name, true]);
        } else {
          errors[name] = normalizedMaxError(actual, expected);
        }
      }
      const tooLarge = Object.entries(errors).filter(([, e]) => !(e <= 1e-4));
      expect(tooLarge).toEqual([]);

      const [na, nb] = [(await cpu.applyOptimizer(hyper)).gradNorm, (await gpu.applyOptimizer(hyper)).gradNorm];
      expect(relativeError(nb, na)).toBeLessThanOrEqual(1e-5);
      for (let step = 2; step <= 3; ++step) {
        const [sa, sb] = [
          await cpu.trainStep(batch(), labels, { ...hyper, seed: SEED, step }),
          await gpu.trainStep(batch(), labels, { ...hyper, seed: SEED, step }),
        ];
        expect(relativeError(sb.loss, sa.loss)).toBeLessThanOrEqual(1e-5);
      }
      const paramErrors = cpu.parameterNames()
        .map((name) => [name, normalizedMaxError(gpu.getParameter(name), cpu.getParameter(name))] as const)
        .filter(([, e]) => !(e <= 1e-3));
      expect(paramErrors).toEqual([]);
    } finally {
      cpu.dispose();
      gpu.dispose();
    }
  });

  // TF32 and bf16 GEMMs (fp32 master weights; every other op fp32) against the CPU's fp32, full fine-tuning with
  // the pooler head. TF32 rounds each GEMM operand to 11 significant bits, bf16 to 8 (8x coarser), and the errors of
  // the layers' GEMMs add up. The emulated device (test/cuda-emulation: exact TF32/bf16 operand rounding, fp32
  // sums) measures logits 4.2e-4 / 4.3e-3, loss 4.4e-6 / 4.1e-5, gradients 9.7e-4 / 9.3e-3 (worst tensor); cuBLAS's
  // own summation order changes only the ~1e-6 part. Bounds ~5x those: logits 2e-3 / 2e-2 (the loss, an average
  // over them, shares the bound), gradients 5e-3 / 5e-2. Key biases hold only rounding noise (exact gradient 0) and are left to the fp32 test; parameters
  // after AdamW steps are not compared: an update's size does not shrink with the rounding (see "parameters" above).
  test.each([['tf32', 2e-3, 5e-3], ['bf16', 2e-2, 5e-2]] as const)(
    '%s GEMMs: logits, loss and every gradient near the CPU fp32', async (precision, forwardTol, gradientTol) => {
      const { cpu, gpu } = pair({ head: 'pooler', trainableLayers: 2, trainEmbeddings: true }, precision);
      try {
        const options = { labels, training: true, seed: SEED, step: 5 };
        const [a, b] = [await cpu.forward(batch(), options), await gpu.forward(batch(), options)];
        expect(normalizedMaxError(b.logits, a.logits)).toBeLessThanOrEqual(forwardTol);
        expect(relativeError(b.loss as number, a.loss as number)).toBeLessThanOrEqual(forwardTol);
        await cpu.accumulateGradients(batch(), labels, { scale: 1, seed: SEED, step: 1 });
        await gpu.accumulateGradients(batch(), labels, { scale: 1, seed: SEED, step: 1 });
        const tooLarge = cpu.parameterNames().filter((name) => !isKeyBias(name))
          .map((name) => [name, normalizedMaxError(gpu.getGradient(name) as Float32Array,
            cpu.getGradient(name) as Float32Array)] as const)
          .filter(([, e]) => !(e <= gradientTol));
        expect(tooLarge).toEqual([]);
      } finally {
        cpu.dispose();
        gpu.dispose();
      }
    });

  test('the classic recipe is deterministic on CUDA: two runs give bit-identical losses', async () => {
    // Every CUDA reduction has a fixed order (two-pass sums, no float atomics): runs repeat bit for bit.
    const runs: number[][] = [];
    for (let run = 0; run < 2; ++run) {
      const model = NativeBert.create(config, { head: 'cls', trainableLayers: 1, trainEmbeddings: false, device: 'cuda' });
      initialise(model);
      runs.push(await lossesOfThreeSteps(model));
      model.dispose();
    }
    expect(runs[1]).toEqual(runs[0]);
  });

  test('full fine-tuning is deterministic on CUDA: two runs give bit-identical losses and parameters', async () => {
    // The embedding gradients' scatter-add follows the batch's host-built ScatterPlan (no atomics), so every
    // reduction has a fixed order here too; the batch's token type 0 spans two plan chunks (a partial-sum path).
    const runs: { losses: number[]; parameters: Float32Array[] }[] = [];
    for (let run = 0; run < 2; ++run) {
      const model = NativeBert.create(config, { head: 'pooler', trainableLayers: 2, trainEmbeddings: true, device: 'cuda' });
      try {
        initialise(model);
        const losses = await lossesOfThreeSteps(model);
        runs.push({ losses, parameters: model.parameterNames().map((name) => model.getParameter(name)) });
      } finally {
        model.dispose();
      }
    }
    expect(runs[1].losses).toEqual(runs[0].losses);
    expect(runs[1].parameters).toEqual(runs[0].parameters);
  });

  test('dispose returns the device memory', async () => {
    const freeBytes = () => addon.cudaProbe().devices[0].freeBytes;
    const big = { ...config, vocabSize: 8000, hiddenSize: 256, intermediateSize: 1024, numHiddenLayers: 4 };
    const options = { head: 'pooler', trainableLayers: 4, trainEmbeddings: true, device: 'cuda' } as const;
    // A first model pays for what lives as long as the process (CUDA context, loaded kernels).
    const warmup = NativeBert.create(big, options);
    warmup.dispose();
    const before = freeBytes();
    const model = NativeBert.create(big, options);
    // ~5.4M parameters x (weights, gradients, m, v) x 4 bytes = ~86 MB.
    expect(freeBytes()).toBeLessThan(before - 64 * 2 ** 20);
    model.dispose();
    model.dispose(); // safe twice
    // cudaMemGetInfo counts whole 2 MiB pages, and the driver may keep a few for itself.
    expect(freeBytes()).toBeGreaterThan(before - 8 * 2 ** 20);
  });
});
