// A tiny random-initialised BERT written as a hub model folder (config.json, model.safetensors without a
// classifier head, vocab.txt), and review-like texts with a learnable signal, for tests that must not touch the
// network. Deterministic from the seed.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { mulberry32 } from '../../lib/data/random';
import { writeSafetensors } from '../../lib/weights';
import { canonicalShapes } from '../../lib/weights/names';

export const POSITIVE = ['great', 'wonderful', 'superb', 'moving'];
export const NEGATIVE = ['awful', 'boring', 'dreadful', 'dull'];
const FILLER = ['the', 'a', 'movie', 'film', 'plot', 'acting', 'was', 'is', 'and', 'but', 'really', 'quite', 'story',
  'cast', 'director', 'scene', 'ending', 'music', 'it', 'this', 'very', 'so', 'of', 'in', 'with', 'characters'];
const PIECES = ['un', '##watch', '##able', '##forget', '##table', '##s', '##ly'];
export const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', '.', ',', '!', '<', '>', '/', ...POSITIVE, ...NEGATIVE, ...FILLER, ...PIECES];

export interface TinyModelOptions {
  seed?: number;
  layers?: number;
  hidden?: number;
  heads?: number;
}

export async function writeTinyModel(dir: string, o: TinyModelOptions = {}): Promise<void> {
  const hidden = o.hidden ?? 32;
  const layers = o.layers ?? 2;
  const hf = {
    architectures: ['BertForMaskedLM'], model_type: 'bert', vocab_size: VOCAB.length, hidden_size: hidden,
    num_hidden_layers: layers, num_attention_heads: o.heads ?? 4, intermediate_size: hidden * 2, hidden_act: 'gelu',
    max_position_embeddings: 128, type_vocab_size: 2, layer_norm_eps: 1e-12, hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1, initializer_range: 0.02, pad_token_id: 0,
  };
  const config = {
    vocabSize: VOCAB.length, hiddenSize: hidden, numHiddenLayers: layers, numAttentionHeads: hf.num_attention_heads,
    intermediateSize: hidden * 2, maxPositionEmbeddings: 128, typeVocabSize: 2, layerNormEps: 1e-12,
    hiddenDropoutProb: 0.1, attentionProbsDropoutProb: 0.1, classifierDropout: null, numLabels: 2,
  };
  const random = mulberry32(o.seed ?? 3);
  const normal = () => Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random());
  const tensors = [];
  for (const [name, shape] of canonicalShapes(config)) {
    if (name.startsWith('classifier.')) continue; // a base model: the classifier initialises its own head
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (name.endsWith('LayerNorm.weight')) data.fill(1);
    // Embeddings larger than the 0.02 initialiser so the random encoder carries which word is which.
    else if (!name.endsWith('.bias')) for (let i = 0; i < n; i++) data[i] = normal() * (name.includes('embeddings') ? 0.5 : 0.08);
    tensors.push({ name, shape, data });
  }
  await fsp.mkdir(dir, { recursive: true });
  await writeSafetensors(path.join(dir, 'model.safetensors'), tensors);
  await fsp.writeFile(path.join(dir, 'config.json'), JSON.stringify(hf, null, 2));
  await fsp.writeFile(path.join(dir, 'vocab.txt'), VOCAB.join('\n') + '\n');
  await fsp.writeFile(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true }));
}

// Reviews of 6..14 filler words with one or two sentiment words of their class; label 1 = positive.
export function syntheticReviews(n: number, seed = 11): { text: string; label: number }[] {
  const random = mulberry32(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
  const out = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    const words = Array.from({ length: 6 + Math.floor(random() * 9) }, () => pick(FILLER));
    for (let k = 0; k < 1 + Math.floor(random() * 2); k++) {
      words.splice(Math.floor(random() * words.length), 0, pick(label ? POSITIVE : NEGATIVE));
    }
    const text = words.join(' ') + pick(['.', '!', '. <br /><br />']);
    out.push({ text: text[0].toUpperCase() + text.slice(1), label });
  }
  return out;
}
