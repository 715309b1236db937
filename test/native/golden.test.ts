// The native engine against PyTorch + transformers (fixtures from scripts/golden/generate_golden.py): embeddings,
// every layer's hidden states and attention probabilities, logits, loss, every parameter gradient, and the
// parameters after 3 AdamW steps with clipping and weight decay, for the 'pooler' head, the 'cls' head, and the
// classic recipe's freezing (last layer + head).
import { NativeBert } from '../../lib/native';
import { Golden, FixtureRecord } from './helpers/golden';
import { expectClose, expectScalarClose } from './helpers/compare';

// Tolerances (relative to each tensor's largest magnitude, see helpers/compare.ts). fp32 on both sides; the only
// differences are summation order (blocked GEMM vs MKL/ATen) and erf/exp implementations.
const FORWARD_TOL = 1e-5; // embeddings, hidden states, attention probabilities, logits, loss
const GRADIENT_TOL = 1e-4; // every parameter gradient: the backward chains more ops, each adding rounding
// Parameters after 3 AdamW steps. Adam divides by sqrt(v): where a gradient is ~0 in exact arithmetic (the key
// bias, whose gradient cancels because softmax ignores a per-row shift) both sides hold rounding noise of ~1e-9,
// and m/(sqrt(v)+eps) turns that noise into an update of up to lr*noise/eps per step. With lr 1e-2 and eps 1e-6
// that is ≲1e-5 per step, 3e-5 after 3 steps, on tensors of scale ~0.1-1 (3.4e-5 measured): hence 2e-4, not 1e-4.
const ADAMW_TOL = 2e-4;
const STEP_SCALAR_TOL = 1e-4; // per-step loss and gradient norm (a sum over every gradient)
// The key bias adds q·b_k to every score of a query row, a shift softmax ignores: its exact gradient is 0 and both
// sides hold only rounding noise (~1e-9), so it is checked to be that small instead of compared.
const KEY_BIAS_NOISE = 1e-7;
const isKeyBias = (name: string): boolean => name.endsWith('attention.self.key.bias');

const golden = new Golden();
const { config, hyper } = golden.manifest;

function createModel(fixture: FixtureRecord): NativeBert {
  const model = NativeBert.create(config, {
    head: fixture.head, trainableLayers: fixture.trainableLayers, trainEmbeddings: fixture.trainEmbeddings,
  });
  for (const name of Object.keys(golden.manifest.parameters)) model.setParameter(name, golden.initialParameter(name));
  return model;
}

describe.each(golden.manifest.fixtures.map((f) => [f.name, f] as const))('golden fixture %s', (_name, fixture) => {
  let model: NativeBert;
  beforeAll(() => {
    model = createModel(fixture);
  });
  afterAll(() => model.dispose());

  test('parameter names, shapes and trainability match the PyTorch model', () => {
    expect(model.parameterNames().sort()).toEqual(Object.keys(golden.manifest.parameters).sort());
    for (const name of model.parameterNames()) {
      expect(model.parameterShape(name)).toEqual(golden.shape(golden.manifest.parameters[name]));
      expect([name, model.isTrainable(name)]).toEqual([name, fixture.trainable.includes(name)]);
    }
  });

  test('forward: embeddings, hidden states, attention probabilities, logits and loss', async () => {
    const { batch, labels } = golden.batch(0);
    const L = config.numHiddenLayers;
    const layers = Array.from({ length: L }, (_, i) => i);
    const out = await model.forward(batch, { labels, attentionLayers: layers, outputHiddenStates: true });
    expect(out.hiddenStates).toHaveLength(L + 1);
    expect(out.attentions).toHaveLength(L);
    expectClose('embeddings', out.hiddenStates[0], golden.f32(fixture.embeddings), FORWARD_TOL);
    for (let i = 0; i < L; i++) {
      expectClose(`hidden state ${i}`, out.hiddenStates[i + 1], golden.f32(fixture.hiddenStates[i]), FORWARD_TOL);
      expectClose(`attention ${i}`, out.attentions[i], golden.f32(fixture.attentions[i]), FORWARD_TOL);
    }
    expectClose('logits', out.logits, golden.f32(fixture.logits), FORWARD_TOL);
    expectScalarClose('loss', out.loss as number, fixture.loss, FORWARD_TOL);
  });

  test('every parameter gradient; frozen parameters have none', async () => {
    const { batch, labels } = golden.batch(0);
    const { loss } = await model.accumulateGradients(batch, labels, { scale: 1 });
    expectScalarClose('loss', loss, fixture.loss, FORWARD_TOL);
    for (const name of model.parameterNames()) {
      const grad = model.getGradient(name);
      const expected = fixture.gradients[name];
      if (expected === undefined) {
        expect([name, grad]).toEqual([name, null]);
      } else if (isKeyBias(name)) {
        const noise = Math.max(...Array.from(grad as Float32Array, Math.abs), ...Array.from(golden.f32(expected), Math.abs));
        expect([name, noise <= KEY_BIAS_NOISE]).toEqual([name, true]);
      } else {
        expect(grad).not.toBeNull();
        expectClose(`grad ${name}`, grad as Float32Array, golden.f32(expected), GRADIENT_TOL);
      }
    }
  });

  test('3 AdamW steps with clipping and weight decay (the first applies the gradients above)', async () => {
    const { gradNorm: norm0 } = await model.applyOptimizer(hyper);
    expectScalarClose('step 1 grad norm', norm0, fixture.steps[0].gradNorm, STEP_SCALAR_TOL);
    for (let s = 1; s < fixture.steps.length; s++) {
      const { batch, labels } = golden.batch(s);
      const r = await model.trainStep(batch, labels, { ...hyper, seed: 0, step: s });
      expectScalarClose(`step ${s + 1} loss`, r.loss, fixture.steps[s].loss, STEP_SCALAR_TOL);
      expectScalarClose(`step ${s + 1} grad norm`, r.gradNorm, fixture.steps[s].gradNorm, STEP_SCALAR_TOL);
    }
    expect(model.getOptimizerState().step).toBe(fixture.steps.length);
    for (const name of model.parameterNames()) {
      const after = fixture.paramsAfterSteps[name];
      if (after === undefined) {
        // Frozen (or, for the 'cls' head, the unused pooler): bit-for-bit unchanged.
        expect([name, Array.from(model.getParameter(name))]).toEqual([name, Array.from(golden.initialParameter(name))]);
      } else {
        expectClose(`${name} after ${fixture.steps.length} steps`, model.getParameter(name), golden.f32(after), ADAMW_TOL);
      }
    }
  });
});

// Freezing decides which gradients exist, never their values: any combination of frozen layers must give the fully
// trainable model's gradients (pooler_full) for what stays trainable — including embeddings trained under frozen
// encoder layers, whose gradient has to flow back through layers that keep no gradients of their own.
describe.each([
  [0, true], [1, true], [0, false], [2, false],
])('freezing with trainableLayers=%i, trainEmbeddings=%s', (trainableLayers, trainEmbeddings) => {
  test('trainable gradients equal the full model\'s; frozen ones do not exist', async () => {
    const full = golden.manifest.fixtures.find((f) => f.name === 'pooler_full') as FixtureRecord;
    const model = createModel({ ...full, trainableLayers, trainEmbeddings });
    try {
      const { batch, labels } = golden.batch(0);
      await model.accumulateGradients(batch, labels, { scale: 1 });
      const L = config.numHiddenLayers;
      for (const name of model.parameterNames()) {
        const layer = /^bert\.encoder\.layer\.(\d+)\./.exec(name);
        const expectTrainable = name.startsWith('bert.embeddings.') ? trainEmbeddings
          : layer ? Number(layer[1]) >= L - trainableLayers : true; // pooler and classifier: the head
        expect([name, model.isTrainable(name)]).toEqual([name, expectTrainable]);
        const grad = model.getGradient(name);
        if (!expectTrainable) {
          expect([name, grad]).toEqual([name, null]);
        } else if (!isKeyBias(name)) {
          expectClose(`grad ${name}`, grad as Float32Array, golden.f32(full.gradients[name]), GRADIENT_TOL);
        }
      }
    } finally {
      model.dispose();
    }
  });
});
