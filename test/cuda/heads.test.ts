// Every task head on CUDA against PyTorch + transformers (the fixtures of scripts/golden/generate_heads.py, which
// test/native/heads.test.ts checks on the CPU): outputs, loss, every parameter gradient (the masked-LM decoder tied
// to the word embeddings included) and the parameters after 3 clipped AdamW steps; the embedding head's pooled,
// normalised vectors. Runs on the emulated device in CI (jest project cuda-emulated) and on a real GPU when there
// is one.
//
// Tolerances (normalizedMaxError, relative for scalars): 1e-5 for outputs and losses, 1e-4 for gradients, 2e-4
// for parameters after 3 steps — the CPU's (heads.test.ts says why); cuBLAS and the kernels differ from PyTorch
// only in summation order and math-library rounding, as the CPU does. Gradients that are 0 by symmetry hold
// rounding noise only and are checked as such (helpers/heads-golden.ts), as are the updates that noise drives.
import { NativeBert } from '../../lib/native/native-bert';
import type { Labels } from '../../lib/native/native-bert';
import {
  HeadsGolden, isZeroBySymmetry, withinNoiseSteps, ZERO_GRADIENT_NOISE,
} from '../native/helpers/heads-golden';
import { describeCuda, normalizedMaxError, relativeError, maxAbs } from './cuda-env';

const FORWARD_TOL = 1e-5;
const GRADIENT_TOL = 1e-4;
const ADAMW_TOL = 2e-4;

const golden = new HeadsGolden();
const { hyper } = golden.manifest;

describeCuda('task heads on CUDA against the PyTorch fixtures', () => {
  test.each(golden.manifest.fixtures.map((f) => [f.name, f] as const))('%s', async (_name, fixture) => {
    const model = NativeBert.create(fixture.config, { ...fixture.options, device: 'cuda' });
    try {
      for (const [name, key] of Object.entries(fixture.parameters)) model.setParameter(name, golden.f32(key));
      const { batch, labels } = golden.batch(fixture, 0);
      const out = await model.forward(batch, labels ? { labels } : {}) as unknown as Record<string, Float32Array>;
      for (const [name, key] of Object.entries(fixture.outputs)) {
        expect([name, normalizedMaxError(out[name], golden.f32(key)) <= FORWARD_TOL]).toEqual([name, true]);
      }
      if (fixture.gradients === undefined) return; // the embedding head: inference only
      expect(relativeError(out.loss as unknown as number, fixture.loss as number)).toBeLessThanOrEqual(FORWARD_TOL);

      await model.accumulateGradients(batch, labels as Labels, { scale: 1 });
      for (const name of model.parameterNames()) {
        const grad = model.getGradient(name) as Float32Array;
        const expected = golden.f32(fixture.gradients[name]);
        const ok = isZeroBySymmetry(fixture, name)
          ? Math.max(maxAbs(grad), maxAbs(expected)) <= ZERO_GRADIENT_NOISE
          : normalizedMaxError(grad, expected) <= GRADIENT_TOL;
        expect([name, ok]).toEqual([name, true]);
      }
      await model.applyOptimizer(hyper);
      for (let s = 1; s < fixture.batches.length; s++) {
        const step = golden.batch(fixture, s);
        await model.trainStep(step.batch, step.labels as Labels, { ...hyper, seed: 0, step: s });
      }
      for (const name of model.parameterNames()) {
        const after = golden.f32((fixture.paramsAfterSteps as Record<string, string>)[name]);
        const ok = isZeroBySymmetry(fixture, name) && !name.endsWith('key.bias')
          ? withinNoiseSteps(model.getParameter(name), golden.f32(fixture.parameters[name]), fixture.batches.length,
            hyper.lr)
          : normalizedMaxError(model.getParameter(name), after) <= ADAMW_TOL;
        expect([name, ok]).toEqual([name, true]);
      }
    } finally {
      model.dispose();
    }
  });
});
