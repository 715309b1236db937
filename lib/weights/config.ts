// config.json (Hugging Face layout, snake_case) <-> BertConfig (the team's camelCase contract).
// Defaults are those of transformers' BertConfig, so a terse config.json reads the way Python reads it.
import { promises as fsp } from 'fs';
import { WeightsFormatError } from '../errors';
import { parseJson } from '../util/json';

// The engine's config contract is typed once, beside the addon it feeds.
import type { BertConfig } from '../native/native-bert';
export type { BertConfig };

// What a config.json holds beyond the engine's numbers: class names (index = label id) and every original key,
// kept so that saving a model does not lose fields this package does not use.
export interface ModelConfig {
  config: BertConfig;
  labels: string[];
  raw: Record<string, unknown>;
}

const HF_DEFAULTS = {
  vocab_size: 30522,
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  max_position_embeddings: 512,
  type_vocab_size: 2,
  layer_norm_eps: 1e-12,
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
} as const;

// The engine implements GELU in its erf form and absolute position embeddings only; anything else would give
// silently different numbers, so it is refused here.
const SUPPORTED_ACTIVATIONS = new Set(['gelu', 'gelu_python']);

export async function readConfig(file: string): Promise<ModelConfig> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    throw new WeightsFormatError(file, `cannot read config: ${(e as Error).message}`, 'ERR_BERTNODE_CONFIG', { cause: e });
  }
  let raw: unknown;
  try {
    raw = parseJson(text);
  } catch (e) {
    throw new WeightsFormatError(file, `config is not valid JSON: ${(e as Error).message}`, 'ERR_BERTNODE_CONFIG');
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new WeightsFormatError(file, 'config must be a JSON object', 'ERR_BERTNODE_CONFIG');
  }
  return parseConfig(raw as Record<string, unknown>, file);
}

export function parseConfig(raw: Record<string, unknown>, source = 'config.json'): ModelConfig {
  const fail = (reason: string): never => {
    throw new WeightsFormatError(source, reason, 'ERR_BERTNODE_CONFIG');
  };
  const int = (key: keyof typeof HF_DEFAULTS, min: number): number => {
    const v = raw[key] ?? HF_DEFAULTS[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(`'${key}' must be an integer >= ${min}, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const prob = (key: string, dflt: number | null): number | null => {
    const v = raw[key] === undefined ? dflt : raw[key];
    if (v === null) return null;
    if (typeof v !== 'number' || !(v >= 0 && v < 1)) fail(`'${key}' must be a probability in [0, 1), got ${JSON.stringify(v)}`);
    return v as number;
  };

  const act = raw.hidden_act ?? 'gelu';
  if (typeof act !== 'string' || !SUPPORTED_ACTIVATIONS.has(act)) {
    fail(`hidden_act ${JSON.stringify(act)} is not supported (the engine implements the erf GELU: 'gelu')`);
  }
  const posType = raw.position_embedding_type ?? 'absolute';
  if (posType !== 'absolute') fail(`position_embedding_type ${JSON.stringify(posType)} is not supported (only 'absolute')`);
  if (raw.model_type !== undefined && raw.model_type !== 'bert') fail(`model_type ${JSON.stringify(raw.model_type)} is not 'bert'`);

  const eps = raw.layer_norm_eps ?? HF_DEFAULTS.layer_norm_eps;
  if (typeof eps !== 'number' || !(eps > 0)) fail(`'layer_norm_eps' must be a positive number, got ${JSON.stringify(eps)}`);

  const labels = readLabels(raw, fail);
  const config: BertConfig = {
    vocabSize: int('vocab_size', 1),
    hiddenSize: int('hidden_size', 1),
    numHiddenLayers: int('num_hidden_layers', 0),
    numAttentionHeads: int('num_attention_heads', 1),
    intermediateSize: int('intermediate_size', 1),
    maxPositionEmbeddings: int('max_position_embeddings', 1),
    typeVocabSize: int('type_vocab_size', 1),
    layerNormEps: eps as number,
    hiddenDropoutProb: prob('hidden_dropout_prob', HF_DEFAULTS.hidden_dropout_prob) ?? fail("'hidden_dropout_prob' cannot be null"),
    attentionProbsDropoutProb: prob('attention_probs_dropout_prob', HF_DEFAULTS.attention_probs_dropout_prob)
      ?? fail("'attention_probs_dropout_prob' cannot be null"),
    classifierDropout: prob('classifier_dropout', null),
    numLabels: labels.length,
  };
  if (config.hiddenSize % config.numAttentionHeads !== 0) {
    fail(`hidden_size ${config.hiddenSize} is not a multiple of num_attention_heads ${config.numAttentionHeads}`);
  }
  return { config, labels, raw };
}

// Each class gets a generated name; a config asking for 2^32 of them would end in "Invalid array length" (and 10^8
// in gigabytes of names). No classifier comes near this.
const MAX_LABELS = 100_000;

// transformers derives num_labels from id2label when present, else from num_labels (default 2), and names the
// classes LABEL_0, LABEL_1, ... when no names are given.
function readLabels(raw: Record<string, unknown>, fail: (reason: string) => never): string[] {
  const id2label = raw.id2label;
  if (id2label !== undefined && id2label !== null) {
    if (typeof id2label !== 'object' || Array.isArray(id2label)) fail("'id2label' must be an object");
    const entries = Object.entries(id2label as Record<string, unknown>);
    const labels = new Array<string>(entries.length);
    for (const [k, v] of entries) {
      const id = Number(k);
      if (!Number.isInteger(id) || id < 0 || id >= entries.length || labels[id] !== undefined) {
        fail(`'id2label' keys must be the ids 0..${entries.length - 1}, got ${JSON.stringify(k)}`);
      }
      if (typeof v !== 'string') fail(`'id2label[${k}]' must be a string`);
      labels[id] = v as string;
    }
    if (labels.length === 0) fail("'id2label' is empty");
    if (raw.num_labels !== undefined && raw.num_labels !== labels.length) {
      fail(`num_labels ${JSON.stringify(raw.num_labels)} disagrees with id2label (${labels.length} entries)`);
    }
    return labels;
  }
  const n = raw.num_labels ?? 2;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_LABELS) {
    fail(`'num_labels' must be an integer from 1 to ${MAX_LABELS}, got ${JSON.stringify(n)}`);
  }
  return Array.from({ length: n as number }, (_, i) => `LABEL_${i}`);
}

// The config.json transformers expects for BertForSequenceClassification. Keys of the original config that this
// package does not interpret (tokenizer hints, torch_dtype ...) are kept; the ones it owns are rewritten.
export function toHfConfig(config: BertConfig, labels: readonly string[], raw: Record<string, unknown> = {}): Record<string, unknown> {
  if (labels.length !== config.numLabels) {
    throw new WeightsFormatError('config.json', `${labels.length} label names for numLabels ${config.numLabels}`, 'ERR_BERTNODE_CONFIG');
  }
  if (new Set(labels).size !== labels.length) {
    throw new WeightsFormatError('config.json', `label names must be distinct: ${JSON.stringify(labels)}`, 'ERR_BERTNODE_CONFIG');
  }
  const id2label: Record<string, string> = {};
  const label2id: Record<string, number> = {};
  labels.forEach((name, i) => {
    id2label[String(i)] = name;
    label2id[name] = i;
  });
  // num_labels is implied by id2label; a dtype other than float32 would make transformers cast the F32 tensors
  // written beside this config on load.
  const kept = { ...raw };
  delete kept.num_labels;
  delete kept.torch_dtype;
  return {
    ...kept,
    dtype: 'float32',
    architectures: ['BertForSequenceClassification'],
    model_type: 'bert',
    vocab_size: config.vocabSize,
    hidden_size: config.hiddenSize,
    num_hidden_layers: config.numHiddenLayers,
    num_attention_heads: config.numAttentionHeads,
    intermediate_size: config.intermediateSize,
    hidden_act: 'gelu',
    max_position_embeddings: config.maxPositionEmbeddings,
    type_vocab_size: config.typeVocabSize,
    layer_norm_eps: config.layerNormEps,
    hidden_dropout_prob: config.hiddenDropoutProb,
    attention_probs_dropout_prob: config.attentionProbsDropoutProb,
    classifier_dropout: config.classifierDropout,
    position_embedding_type: 'absolute',
    pad_token_id: typeof raw.pad_token_id === 'number' ? raw.pad_token_id : 0,
    initializer_range: typeof raw.initializer_range === 'number' ? raw.initializer_range : 0.02,
    id2label,
    label2id,
  };
}
