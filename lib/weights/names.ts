// Every naming of BERT's tensors seen in the wild, mapped to the one canonical naming (the Hugging Face state dict
// of the model's head, see TEAM.md), and the shapes the config requires for each name.
import { BertConfig } from './config';
import { parameterCatalogue, RawHeadOptions } from '../native/addon';

// The parameters a model of this config and head declares, name → shape, in state-dict order. The list is the
// native engine's own catalogue (each native module declares its parameters), so it cannot drift from the model.
// Without a head: sequence classification on the pooler, with Hugging Face's rule that numLabels 1 is regression.
export function canonicalShapes(config: BertConfig, head?: RawHeadOptions): Map<string, number[]> {
  const options = head ?? { head: 'pooler', problemType: config.numLabels === 1 ? 'regression' : undefined };
  return new Map(parameterCatalogue(config, options).map((p) => [p.name, p.shape]));
}

// A pretrained encoder usually comes without a classification head and sometimes without a pooler; the model
// initialises those, so their absence is reported, not an error.
export function isOptionalTensor(name: string): boolean {
  return name.startsWith('classifier.') || name.startsWith('bert.pooler.');
}

export interface NameMappingOptions {
  // Exact source name -> canonical name, applied before every built-in rule (for checkpoints of custom modules).
  rename?: Record<string, string>;
  // Module names of a linear head besides `classifier` and the classic recipe's `cls` (e.g. ['fc', 'out']):
  // `<name>.weight` / `<name>.bias` become `classifier.weight` / `classifier.bias`.
  headPrefixes?: readonly string[];
}

export type MappedName =
  | { kind: 'param'; name: string; transpose: boolean }
  | { kind: 'unused'; reason: string };

const BERT_SUBMODULES = ['embeddings.', 'encoder.', 'pooler.'];
// TensorFlow names without a scope: run_classifier.py's head and the step counter.
const TF_TOP_LEVEL = new Set(['output_weights', 'output_bias', 'global_step']);

export function mapName(source: string, options: NameMappingOptions = {}): MappedName {
  const renamed = options.rename?.[source];
  if (renamed !== undefined) return { kind: 'param', name: renamed, transpose: false };

  let name = source;
  let transpose = false;
  if (name.includes('/') || TF_TOP_LEVEL.has(name.replace(/:0$/, ''))) {
    const tf = fromTensorFlowName(name);
    if (tf.kind === 'unused') return tf;
    ({ name, transpose } = tf);
  }
  // nn.DataParallel wraps the model as `module`.
  if (name.startsWith('module.')) name = name.slice('module.'.length);
  // pytorch-pretrained-BERT (and the TF checkpoints it converted) called the LayerNorm parameters gamma and beta.
  name = name.replace(/\.gamma$/, '.weight').replace(/\.beta$/, '.bias');
  if (BERT_SUBMODULES.some((p) => name.startsWith(p))) name = `bert.${name}`;

  const head = /^([A-Za-z_][\w.]*)\.(weight|bias)$/.exec(name);
  if (head && (head[1] === 'cls' || options.headPrefixes?.includes(head[1]))) {
    return { kind: 'param', name: `classifier.${head[2]}`, transpose };
  }
  if (name.startsWith('cls.')) return { kind: 'unused', reason: 'pre-training head' };
  if (name === 'bert.embeddings.position_ids') return { kind: 'unused', reason: 'buffer (position ids are implicit)' };
  return { kind: 'param', name, transpose };
}

// Google's TensorFlow BERT names: `bert/encoder/layer_3/attention/self/query/kernel`, dense kernels stored
// [in, out] (transposed against PyTorch), embeddings without a `weight` leaf, run_classifier.py's head as
// `output_weights` [numLabels, H] / `output_bias`, plus optimizer slots and the step counter.
function fromTensorFlowName(source: string): MappedName {
  const name = source.replace(/:0$/, '');
  if (/\/adam_[mv]$/.test(name) || name === 'global_step') return { kind: 'unused', reason: 'optimizer state' };
  if (name === 'output_weights') return { kind: 'param', name: 'classifier.weight', transpose: false };
  if (name === 'output_bias') return { kind: 'param', name: 'classifier.bias', transpose: false };
  const parts = name.split('/').map((p) => p.replace(/^layer_(\d+)$/, 'layer.$1'));
  const leaf = parts[parts.length - 1];
  let transpose = false;
  if (leaf === 'kernel') {
    parts[parts.length - 1] = 'weight';
    transpose = true;
  } else if (leaf === 'gamma' || leaf === 'output_weights') {
    parts[parts.length - 1] = 'weight';
  } else if (leaf === 'beta' || leaf === 'output_bias') {
    parts[parts.length - 1] = 'bias';
  } else if (leaf.endsWith('_embeddings')) {
    parts.push('weight');
  }
  return { kind: 'param', name: parts.join('.'), transpose };
}
