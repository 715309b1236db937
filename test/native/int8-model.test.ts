// precision 'int8' on the CPU: the encoder's Linear layers on int8 weights and activations (native/cpu/gemm_int8.h,
// bit-exact against the quantised arithmetic in int8-kernels.test.ts), everything else fp32. Here the whole model:
// against the PyTorch fp32 fixtures and the native fp32 model, the freshness of the int8 copies after setParameter,
// and the refusals (training, CUDA).
import { NativeBert, type Precision } from '../../lib/native';
import { Golden, FixtureRecord } from './helpers/golden';
import { compareArrays, expectClose } from './helpers/compare';

// Tolerance (max abs error / max |expected|, helpers/compare.ts). Each int8 product carries up to half a quantisation
// step of each operand, 1/254 of its row's largest value; over K terms of mixed signs the sums err by ~1e-3 of their
// scale, and 2 layers of 6 quantised Linears compound it (LayerNorm renormalises). Measured (see MEASURED) up to
// 1.2e-2 on the hidden states and logits; 4e-2 leaves a margin of ~3.3x, while a Linear that skipped its bias, read a
// wrong weight panel or a stale weight errs by O(1).
const TOL = 4e-2;
// MEASURED on a Sapphire Rapids-class CPU (int8 family amx; the families give the same bits), fixture pooler_full,
// BERTNODE_PRINT_ERRORS=1: hidden states 8.9e-3 / 1.2e-2, logits 1.1e-2 against PyTorch fp32 (1.1e-2 against the
// native fp32 model).

const golden = new Golden();
const { config } = golden.manifest;
const fixture = golden.manifest.fixtures.find((f) => f.name === 'pooler_full') as FixtureRecord;
const QUERY = 'bert.encoder.layer.0.attention.self.query.weight';

function createModel(precision: Precision): NativeBert {
  const model = NativeBert.create(config, {
    head: fixture.head, trainableLayers: fixture.trainableLayers, trainEmbeddings: fixture.trainEmbeddings, precision,
  });
  for (const name of Object.keys(golden.manifest.parameters)) model.setParameter(name, golden.initialParameter(name));
  return model;
}

describe('precision int8 against the PyTorch fp32 fixtures and the native fp32 model (pooler_full)', () => {
  let int8: NativeBert;
  let fp32: NativeBert;
  beforeAll(() => {
    int8 = createModel('int8');
    fp32 = createModel('fp32');
  });
  afterAll(() => {
    int8.dispose();
    fp32.dispose();
  });

  test('forward: hidden states and logits within int8 tolerance, and not fp32 in disguise', async () => {
    const { batch } = golden.batch(0);
    const L = config.numHiddenLayers;
    const out = await int8.forward(batch, { outputHiddenStates: true });
    const reference = await fp32.forward(batch, { outputHiddenStates: true });
    // The embeddings run no Linear: fp32's bits exactly.
    expect(compareArrays(out.hiddenStates[0], reference.hiddenStates[0]).maxAbsError).toBe(0);
    const errors: string[] = [];
    for (let i = 0; i < L; i++) {
      const h = expectClose(`hidden state ${i}`, out.hiddenStates[i + 1], golden.f32(fixture.hiddenStates[i]), TOL);
      errors.push(`hidden ${i} ${h.relError.toExponential(1)}`);
    }
    const l = expectClose('logits', out.logits, golden.f32(fixture.logits), TOL);
    const n = expectClose('logits vs native fp32', out.logits, reference.logits, TOL);
    errors.push(`logits ${l.relError.toExponential(1)} (vs native fp32 ${n.relError.toExponential(1)})`);
    if (process.env.BERTNODE_PRINT_ERRORS) process.stderr.write(`int8 forward errors: ${errors.join('; ')}\n`);
    expect(compareArrays(out.logits, reference.logits).relError).toBeGreaterThan(1e-5);
  });

  test('setParameter re-quantises: after new weights, the same bits as a model built with them', async () => {
    const { batch } = golden.batch(0);
    const before = (await int8.forward(batch)).logits;
    const original = golden.initialParameter(QUERY);
    const changed = original.map((v, i) => (i % 3 === 0 ? -v : v * 1.5));
    int8.setParameter(QUERY, changed);
    const after = (await int8.forward(batch)).logits;
    const fresh = createModel('int8');
    try {
      fresh.setParameter(QUERY, changed);
      expect(compareArrays(after, (await fresh.forward(batch)).logits).maxAbsError).toBe(0);
    } finally {
      fresh.dispose();
      int8.setParameter(QUERY, original);
    }
    expect(compareArrays(after, before).maxAbsError).toBeGreaterThan(1e-4);
    expect(compareArrays((await int8.forward(batch)).logits, before).maxAbsError).toBe(0);
  });

  test('the frozen-layer prefix runs int8 too', async () => {
    const model = NativeBert.create(config, { head: 'pooler', trainableLayers: 1, trainEmbeddings: false, precision: 'int8' });
    try {
      for (const name of Object.keys(golden.manifest.parameters)) model.setParameter(name, golden.initialParameter(name));
      const { batch } = golden.batch(0);
      const prefix = await model.frozenPrefix(batch);
      const full = await int8.forward(batch, { outputHiddenStates: true });
      expect(compareArrays(prefix, full.hiddenStates[config.numHiddenLayers - 1]).maxAbsError).toBe(0);
    } finally {
      model.dispose();
    }
  });

  test('training is refused with ERR_BERTNODE_INVALID_ARGUMENT, and leaves the weights alone', async () => {
    const { batch, labels } = golden.batch(0);
    const refused = expect.objectContaining({ code: 'ERR_BERTNODE_INVALID_ARGUMENT', message: expect.stringMatching(/'int8' is inference-only/) });
    await expect(int8.trainStep(batch, labels, { ...golden.manifest.hyper, seed: 0, step: 0 })).rejects.toEqual(refused);
    await expect(int8.accumulateGradients(batch, labels, { scale: 1 })).rejects.toEqual(refused);
    await expect(int8.forward(batch, { training: true, seed: 0, step: 0 })).rejects.toEqual(refused);
    expect(compareArrays(int8.getParameter(QUERY), golden.initialParameter(QUERY)).maxAbsError).toBe(0);
  });
});

test('int8 on CUDA is refused with ERR_BERTNODE_INVALID_ARGUMENT; device auto means the CPU', () => {
  expect(() => NativeBert.create(config, { device: 'cuda', precision: 'int8' }))
    .toThrow(expect.objectContaining({ code: 'ERR_BERTNODE_INVALID_ARGUMENT', message: expect.stringMatching(/only available on the CPU/) }));
  const model = NativeBert.create(config, { device: 'auto', precision: 'int8' });
  expect([model.device, model.precision]).toEqual(['cpu', 'int8']);
  model.dispose();
});
