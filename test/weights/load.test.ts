// Every checkpoint layout of the fixtures (written by scripts/golden/generate_weights_fixtures.py from one tiny
// random BERT) loads to the same canonical tensors. Values are compared exactly, through the sha256 of each
// tensor's float32 bytes: f16/bf16/f64 -> f32 conversions are exact, so no tolerance is needed.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { TensorMismatchError } from '../../lib/errors';
import { canonicalShapes, loadModel, mapName, readCheckpoint } from '../../lib/weights';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'weights');

interface VariantManifest {
  tensors: Record<string, { shape: number[]; sha256: string; first: number[] }>;
  missing: string[];
  unused: string[];
}
const manifest = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'manifest.json'), 'utf8')) as {
  labels: string[];
  variants: Record<string, VariantManifest>;
};

function sha256(data: Float32Array): string {
  return createHash('sha256').update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)).digest('hex');
}

const HEAD_OPTIONS: Record<string, { headPrefixes?: string[] }> = {
  'pytorch-classic-fc': { headPrefixes: ['fc'] },
};

describe.each(Object.keys(manifest.variants))('loadModel(%s)', (variant) => {
  const expected = manifest.variants[variant];

  test('gives the canonical tensors, reports missing and unused ones', async () => {
    const loaded = await loadModel(path.join(FIXTURES, variant), HEAD_OPTIONS[variant]);
    expect(loaded.config.hiddenSize).toBe(16);
    expect(loaded.config.numHiddenLayers).toBe(2);
    expect(loaded.labels).toEqual(manifest.labels);
    expect([...loaded.tensors.keys()].sort()).toEqual(Object.keys(expected.tensors).sort());
    for (const [name, want] of Object.entries(expected.tensors)) {
      const got = loaded.tensors.get(name)!;
      expect([name, Array.from(got.subarray(0, 4))]).toEqual([name, want.first.map(Math.fround)]);
      expect([name, sha256(got)]).toEqual([name, want.sha256]);
    }
    expect(loaded.missing.sort()).toEqual(expected.missing);
    expect(loaded.unused.map((u) => u.name).sort()).toEqual(expected.unused);
  });
});

describe('the config decides what is required', () => {
  test('a tensor missing from the checkpoint is named', async () => {
    const dir = path.join(FIXTURES, 'safetensors-f32');
    const loaded = await loadModel(dir);
    const config = { ...loaded.config, numHiddenLayers: 3 };
    const { loadTensors } = await import('../../lib/weights');
    const refs = await readCheckpoint(loaded.weightsFile);
    const err = await loadTensors(refs, config, dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TensorMismatchError);
    expect((err as TensorMismatchError).code).toBe('ERR_BERTNODE_TENSOR_MISSING');
    expect((err as TensorMismatchError).tensor).toBe('bert.encoder.layer.2.attention.self.query.weight');
  });

  test('a mis-shaped tensor is named with both shapes', async () => {
    const dir = path.join(FIXTURES, 'pytorch-zip');
    const err = await loadModel(dir, { labels: ['a', 'b'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TensorMismatchError);
    expect((err as TensorMismatchError).code).toBe('ERR_BERTNODE_TENSOR_SHAPE');
    expect((err as TensorMismatchError).tensor).toBe('classifier.weight');
    expect((err as Error).message).toContain('[3, 16]');
    expect((err as Error).message).toContain('[2, 16]');
  });

  test('requireHead turns a missing classifier into an error', async () => {
    await expect(loadModel(path.join(FIXTURES, 'safetensors-bertmodel'), { requireHead: true }))
      .rejects.toThrow(/classifier\.(weight|bias)' .* is missing/);
  });

  test('canonicalShapes lists every parameter of BertForSequenceClassification', () => {
    const shapes = canonicalShapes({
      vocabSize: 50, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 32,
      maxPositionEmbeddings: 24, typeVocabSize: 2, layerNormEps: 1e-12, hiddenDropoutProb: 0.1,
      attentionProbsDropoutProb: 0.1, classifierDropout: null, numLabels: 3,
    });
    expect([...shapes.keys()].sort()).toEqual(Object.keys(manifest.variants['safetensors-f32'].tensors).sort());
    expect(shapes.get('bert.encoder.layer.1.output.dense.weight')).toEqual([16, 32]);
  });
});

describe('name mapping', () => {
  test.each([
    ['embeddings.LayerNorm.gamma', 'bert.embeddings.LayerNorm.weight', false],
    ['bert.encoder.layer.0.output.LayerNorm.beta', 'bert.encoder.layer.0.output.LayerNorm.bias', false],
    ['module.bert.pooler.dense.weight', 'bert.pooler.dense.weight', false],
    ['cls.weight', 'classifier.weight', false],
    ['bert/encoder/layer_11/attention/self/query/kernel', 'bert.encoder.layer.11.attention.self.query.weight', true],
    ['bert/embeddings/word_embeddings', 'bert.embeddings.word_embeddings.weight', false],
    ['bert/embeddings/LayerNorm/gamma:0', 'bert.embeddings.LayerNorm.weight', false],
    ['output_weights', 'classifier.weight', false],
  ])('%s -> %s', (source, name, transpose) => {
    expect(mapName(source)).toEqual({ kind: 'param', name, transpose });
  });

  test.each([
    ['cls.predictions.transform.dense.weight', 'pre-training head'],
    ['cls/predictions/output_bias', 'pre-training head'],
    ['bert/encoder/layer_0/output/dense/kernel/adam_v', 'optimizer state'],
    ['bert.embeddings.position_ids', 'buffer (position ids are implicit)'],
  ])('%s is reported unused', (source, reason) => {
    expect(mapName(source)).toEqual({ kind: 'unused', reason });
  });

  test('rename and headPrefixes are applied', () => {
    expect(mapName('encoder_model.emb.w', { rename: { 'encoder_model.emb.w': 'bert.embeddings.word_embeddings.weight' } }))
      .toEqual({ kind: 'param', name: 'bert.embeddings.word_embeddings.weight', transpose: false });
    expect(mapName('out.bias', { headPrefixes: ['out'] })).toEqual({ kind: 'param', name: 'classifier.bias', transpose: false });
    expect(mapName('out.bias')).toEqual({ kind: 'param', name: 'out.bias', transpose: false });
  });
});
