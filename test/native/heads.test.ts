// Every task head against PyTorch + transformers (fixtures from scripts/golden/generate_heads.py): the parameter
// catalogue (names, shapes), the head's outputs and loss as transformers computes them from the same labels, every
// parameter gradient (the masked-LM decoder tied to the word embeddings included), and the parameters after 3
// clipped AdamW steps; the embedding head against sentence-transformers' pooling + normalisation.
import { NativeBert, parameterCatalogue } from '../../lib/native';
import { expectFiniteDifferenceAgrees } from './helpers/finite-difference';
import { expectClose, expectScalarClose } from './helpers/compare';
import {
  HeadFixture, HeadsGolden, isZeroBySymmetry, withinNoiseSteps, ZERO_GRADIENT_NOISE,
} from './helpers/heads-golden';

// Tolerances (relative to each tensor's largest magnitude, helpers/compare.ts) as in golden.test.ts: fp32 on both
// sides, differing only in summation order and exp/erf implementations.
const FORWARD_TOL = 1e-5; // outputs and loss
const GRADIENT_TOL = 1e-4; // gradients chain more ops
// After 3 AdamW steps: m/(sqrt(v)+eps) turns the rounding noise of gradients that are ~0 in exact arithmetic (the key
// bias) into updates of up to lr*noise/eps per step (see golden.test.ts): 2e-4.
const ADAMW_TOL = 2e-4;
const STEP_SCALAR_TOL = 1e-4;
const golden = new HeadsGolden();
const { hyper } = golden.manifest;
const trained = golden.manifest.fixtures.filter((f) => f.gradients !== undefined);
const inference = golden.manifest.fixtures.filter((f) => f.gradients === undefined);

function createModel(fixture: HeadFixture): NativeBert {
  const model = NativeBert.create(fixture.config, fixture.options);
  for (const [name, key] of Object.entries(fixture.parameters)) model.setParameter(name, golden.f32(key));
  return model;
}

test('the fixtures cover every head and problem type', () => {
  const kinds = golden.manifest.fixtures.map((f) => `${f.options.head}/${f.options.problemType ?? ''}`);
  expect(kinds.sort()).toEqual([
    'embedding/', 'embedding/', 'masked-lm/', 'multiple-choice/', 'pooler/multi_label_classification',
    'pooler/regression', 'pretraining/', 'question-answering/', 'token-classification/',
  ]);
});

describe.each(trained.map((f) => [f.name, f] as const))('head fixture %s', (_name, fixture) => {
  let model: NativeBert;
  beforeAll(() => {
    model = createModel(fixture);
  });
  afterAll(() => model.dispose());

  test('the catalogue holds exactly the PyTorch model\'s parameters, with its shapes', () => {
    const names = Object.keys(fixture.parameters);
    expect(model.parameterNames().sort()).toEqual([...names].sort());
    for (const name of names) expect([name, model.parameterShape(name)]).toEqual([name, golden.shape(fixture.parameters[name])]);
    const catalogue = parameterCatalogue(fixture.config, fixture.options).map((p) => p.name);
    expect(catalogue).toEqual(model.parameterNames());
  });

  test('outputs and loss', async () => {
    const { batch, labels } = golden.batch(fixture, 0);
    const out = await model.forward(batch, { labels });
    for (const [name, key] of Object.entries(fixture.outputs)) {
      expectClose(name, (out as unknown as Record<string, Float32Array>)[name], golden.f32(key), FORWARD_TOL);
    }
    expectScalarClose('loss', out.loss as number, fixture.loss as number, FORWARD_TOL);
  });

  test('every parameter gradient', async () => {
    const { batch, labels } = golden.batch(fixture, 0);
    const { loss } = await model.accumulateGradients(batch, labels as NonNullable<typeof labels>, { scale: 1 });
    expectScalarClose('loss', loss, fixture.loss as number, FORWARD_TOL);
    for (const name of model.parameterNames()) {
      const grad = model.getGradient(name) as Float32Array;
      const expected = golden.f32((fixture.gradients as Record<string, string>)[name]);
      if (isZeroBySymmetry(fixture, name)) {
        const noise = Math.max(...Array.from(grad, Math.abs), ...Array.from(expected, Math.abs));
        expect([name, noise <= ZERO_GRADIENT_NOISE]).toEqual([name, true]);
      } else {
        expectClose(`grad ${name}`, grad, expected, GRADIENT_TOL);
      }
    }
  });

  test('3 clipped AdamW steps (the first applies the gradients above)', async () => {
    const steps = fixture.steps as { loss: number; gradNorm: number }[];
    const { gradNorm } = await model.applyOptimizer(hyper);
    expectScalarClose('step 1 grad norm', gradNorm, steps[0].gradNorm, STEP_SCALAR_TOL);
    for (let s = 1; s < steps.length; s++) {
      const { batch, labels } = golden.batch(fixture, s);
      const r = await model.trainStep(batch, labels as NonNullable<typeof labels>, { ...hyper, seed: 0, step: s });
      expectScalarClose(`step ${s + 1} loss`, r.loss, steps[s].loss, STEP_SCALAR_TOL);
      expectScalarClose(`step ${s + 1} grad norm`, r.gradNorm, steps[s].gradNorm, STEP_SCALAR_TOL);
    }
    for (const name of model.parameterNames()) {
      const after = golden.f32((fixture.paramsAfterSteps as Record<string, string>)[name]);
      if (isZeroBySymmetry(fixture, name) && !name.endsWith('key.bias')) {
        // Noise-driven updates (helpers/heads-golden.ts): both sides stay within 3 steps of lr of the start.
        const initial = golden.f32(fixture.parameters[name]);
        const ok = withinNoiseSteps(model.getParameter(name), initial, steps.length, hyper.lr)
          && withinNoiseSteps(after, initial, steps.length, hyper.lr);
        expect([name, ok]).toEqual([name, true]);
      } else {
        expectClose(`${name} after ${steps.length} steps`, model.getParameter(name), after, ADAMW_TOL);
      }
    }
  });
});

describe.each(inference.map((f) => [f.name, f] as const))('embedding fixture %s', (_name, fixture) => {
  test('pooled (and normalised) embeddings; no labels, no training', async () => {
    const model = createModel(fixture);
    try {
      expect(model.parameterNames().sort()).toEqual(Object.keys(fixture.parameters).sort());
      const { batch } = golden.batch(fixture, 0);
      const out = await model.forward(batch);
      expectClose('embeddings', out.embeddings as Float32Array, golden.f32(fixture.outputs.embeddings), FORWARD_TOL);
      expect(out.logits).toBe(out.embeddings);
      await expect(model.forward(batch, { labels: new Int32Array(0) })).rejects.toThrow(/inference-only/);
      await expect(model.accumulateGradients(batch, new Int32Array(0), { scale: 1 })).rejects.toThrow(/inference-only/);
    } finally {
      model.dispose();
    }
  });
});

// Freezing and the frozen-layer cache work the same under every head: with the embeddings and layer 0 frozen, the
// trainable gradients equal the fully trainable model's (the fixture's), and a call that starts from the cached
// frozen prefix gives the same loss and the same gradient bits as the call from the ids.
describe.each(trained.map((f) => [f.name, f] as const))('frozen prefix under head %s', (_name, fixture) => {
  test('gradients of what trains equal the full model\'s; the cache changes no bit', async () => {
    const model = NativeBert.create(fixture.config, { ...fixture.options, trainableLayers: 1, trainEmbeddings: false });
    try {
      for (const [name, key] of Object.entries(fixture.parameters)) model.setParameter(name, golden.f32(key));
      const { batch, labels } = golden.batch(fixture, 0);
      const fromIds = await model.accumulateGradients(batch, labels as NonNullable<typeof labels>, { scale: 1 });
      const trainable = model.parameterNames().filter((n) => model.isTrainable(n));
      expect(trainable.some((n) => n.startsWith('bert.embeddings.') || n.startsWith('bert.encoder.layer.0.'))).toBe(false);
      const grads = new Map(trainable.map((n) => [n, model.getGradient(n) as Float32Array]));
      for (const [name, grad] of grads) {
        if (!isZeroBySymmetry(fixture, name)) {
          expectClose(`grad ${name}`, grad, golden.f32((fixture.gradients as Record<string, string>)[name]), GRADIENT_TOL);
        }
      }
      await model.applyOptimizer({ ...hyper, lr: 0 }); // consumes (zeroes) the gradients, changes no parameter
      const prefixHidden = await model.frozenPrefix(batch);
      const fromPrefix = await model.accumulateGradients(batch, labels as NonNullable<typeof labels>,
        { scale: 1, prefixHidden });
      expect(fromPrefix.loss).toBe(fromIds.loss);
      for (const [name, grad] of grads) expect([name, model.getGradient(name)]).toEqual([name, grad]);
    } finally {
      model.dispose();
    }
  });
});

// Each head's backward through nothing but forward(loss): central differences at the largest-gradient entry of the
// word table (for the masked-LM heads it is also the tied decoder) and of every head parameter.
describe.each(trained.map((f) => [f.name, f] as const))('finite differences under head %s', (_name, fixture) => {
  const headParameters = Object.keys(fixture.parameters)
    .filter((n) => !n.startsWith('bert.encoder.') && !n.startsWith('bert.embeddings.') && !isZeroBySymmetry(fixture, n));
  test.each(['bert.embeddings.word_embeddings.weight', ...headParameters])('%s', async (name) => {
    const model = createModel(fixture);
    try {
      const { batch, labels } = golden.batch(fixture, 0);
      await expectFiniteDifferenceAgrees(model, name, batch, labels as NonNullable<typeof labels>);
    } finally {
      model.dispose();
    }
  });
});
