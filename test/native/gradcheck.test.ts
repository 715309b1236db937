// Finite-difference checks of the backward passes: every backward op on tiny shapes (the engine's own checks,
// native/model/gradcheck.h, run through the test addon) and the whole model, through nothing but forward(loss), for the
// largest-gradient entry of one parameter of every kind.
import { NativeBert } from '../../lib/native';
import { loadTestAddon } from '../test-addon/load';
import { expectFiniteDifferenceAgrees } from './helpers/finite-difference';
import { Golden } from './helpers/golden';

test('every backward op agrees with central differences of its forward', async () => {
  const results = await loadTestAddon().gradcheckOps();
  const names = results.map((r) => r.name);
  for (const op of ['layerNorm', 'gelu', 'geluDerivative', 'tanh', 'attentionSoftmax', 'crossEntropy', 'crossEntropyIgnored',
    'bceWithLogits', 'squaredError', 'linear', 'embeddings', 'dropout', 'encoderLayer', 'head',
    'encoderLayerFused', 'encoderLayerFirstToken', 'encoderLayerFirstTokenFused']) {
    expect(names).toContain(op);
  }
  for (const r of results) {
    // The tolerance is the engine's (5e-3 of each check's gradient scale: O(step²) truncation + fp32 rounding /
    // step), returned with each result; a wrong formula is off by O(1).
    expect([r.name, r.maxRelErr <= r.tolerance, r.passed]).toEqual([r.name, true, true]);
  }
});

describe('whole model: analytic gradient vs finite differences of forward(loss)', () => {
  const golden = new Golden();
  // One tensor of every kind of parameter, in every position of the network.
  const probes = [
    'bert.embeddings.word_embeddings.weight', 'bert.embeddings.position_embeddings.weight',
    'bert.embeddings.token_type_embeddings.weight', 'bert.embeddings.LayerNorm.weight',
    'bert.encoder.layer.0.attention.self.query.weight', 'bert.encoder.layer.0.attention.self.key.weight',
    'bert.encoder.layer.0.attention.self.value.bias', 'bert.encoder.layer.0.attention.output.dense.weight',
    'bert.encoder.layer.0.attention.output.LayerNorm.bias', 'bert.encoder.layer.1.intermediate.dense.weight',
    'bert.encoder.layer.1.output.dense.bias', 'bert.encoder.layer.1.output.LayerNorm.weight',
    'bert.pooler.dense.weight', 'classifier.weight',
  ];

  test.each(probes)('%s', async (name) => {
    const { config } = golden.manifest;
    const model = NativeBert.create(config, { head: 'pooler' });
    try {
      for (const p of Object.keys(golden.manifest.parameters)) model.setParameter(p, golden.initialParameter(p));
      const { batch, labels } = golden.batch(0);
      await expectFiniteDifferenceAgrees(model, name, batch, labels);
    } finally {
      model.dispose();
    }
  });
});
