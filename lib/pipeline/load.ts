// Loads a model folder (or hub id) for a pipeline: config.json's `architectures` decides the head, the checkpoint's
// tensors are read under the head's Hugging Face names, and the tokenizer comes from the same folder.

import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { BertnodeError, TensorMismatchError, WeightsFormatError } from '../errors';
import { NativeBert, type Device, type Head, type ProblemType } from '../native';
import { BertTokenizer } from '../tokenizer';
import { type HubOptions, resolveModelDirectory } from '../train/model-source';
import { type BertConfig, canonicalShapes, findWeightsFile, mapName, readCheckpoint, readConfig } from '../weights';

// A pipeline was given a model whose architecture does not fit its task (ERR_BERTNODE_PIPELINE_ARCHITECTURE):
// `architecture` is config.json's, `expected` the ones the task runs.
export class PipelineArchitectureError extends BertnodeError {
  readonly architecture: string;
  readonly expected: readonly string[];

  constructor(task: string, architecture: string, expected: readonly string[], dir: string) {
    super('ERR_BERTNODE_PIPELINE_ARCHITECTURE',
      `${task}: the model at ${dir} is a ${architecture}, and this task needs ${expected.join(' or ')}`);
    this.architecture = architecture;
    this.expected = expected;
  }
}

export interface LoadPipelineOptions {
  device?: Device | 'auto';
  hub?: HubOptions;
}

export interface PipelineModel {
  model: NativeBert;
  tokenizer: BertTokenizer;
  config: BertConfig;
  // id2label in id order.
  labels: string[];
  problemType: ProblemType | undefined;
  // Tokens per input: the tokenizer's model_max_length when set, capped by the model's positions.
  maxLength: number;
  directory: string;
}

// Which transformers classes each head runs; BertForPreTraining carries the masked-LM head (its NSP head unused).
const ARCHITECTURES: Record<string, Head> = {
  BertForSequenceClassification: 'pooler',
  BertForTokenClassification: 'token-classification',
  BertForQuestionAnswering: 'question-answering',
  BertForMaskedLM: 'masked-lm',
  BertForPreTraining: 'masked-lm',
  BertModel: 'embedding',
};

const PROBLEM_TYPES: readonly ProblemType[] = ['single_label_classification', 'multi_label_classification', 'regression'];

export async function loadPipelineModel(task: string, idOrDir: string, accepted: readonly string[],
  head: { pooling?: 'mean' | 'cls'; normalize?: boolean }, options: LoadPipelineOptions): Promise<PipelineModel> {
  const directory = await resolveModelDirectory(idOrDir, options.hub);
  const { config: fileConfig, labels, raw } = await readConfig(path.join(directory, 'config.json'));
  // A config.json without `architectures` describes a bare encoder (transformers' AutoModel reads it as BertModel).
  const architecture = Array.isArray(raw.architectures) && typeof raw.architectures[0] === 'string' ? raw.architectures[0] : 'BertModel';
  // Every BERT checkpoint (readConfig refuses another model_type) holds the encoder, so feature extraction runs on
  // any of them, as transformers' AutoModel does.
  if (!accepted.includes(architecture) && !accepted.includes('BertModel')) {
    throw new PipelineArchitectureError(task, architecture, accepted, directory);
  }
  // A classifier bertnode saved with its classic 'cls' head (a linear layer on [CLS], no pooler) says so in
  // config.json; read as BertForSequenceClassification it would go through an untrained pooler.
  const kind: Head = accepted.includes('BertModel') ? 'embedding'
    : ARCHITECTURES[architecture] === 'pooler' && raw.bertnode_head === 'cls' ? 'cls' : ARCHITECTURES[architecture];
  const problemType = (raw.problem_type ?? undefined) as ProblemType | undefined;
  if (problemType !== undefined && !PROBLEM_TYPES.includes(problemType)) {
    throw new WeightsFormatError(path.join(directory, 'config.json'), `problem_type ${JSON.stringify(problemType)} is not one of ${PROBLEM_TYPES.join(', ')}`, 'ERR_BERTNODE_CONFIG');
  }
  const config: BertConfig = { ...fileConfig, numLabels: labels.length };
  const headOptions = { head: kind, problemType: kind === 'pooler' || kind === 'cls' ? problemType ?? (labels.length === 1 ? 'regression' : undefined) : undefined, ...head };
  const tensors = await readHeadTensors(directory, config, headOptions);
  const tokenizer = BertTokenizer.fromPretrained(directory);
  const model = NativeBert.create(config, { ...headOptions, trainableLayers: 0, trainEmbeddings: false, device: options.device ?? 'cpu' });
  try {
    for (const name of model.parameterNames()) {
      const values = tensors.get(name);
      if (!values) throw new TensorMismatchError(name, model.parameterShape(name), null, directory);
      model.setParameter(name, values);
    }
  } catch (e) {
    model.dispose();
    throw e;
  }
  const declared = await tokenizerMaxLength(directory);
  const maxLength = Math.min(declared ?? config.maxPositionEmbeddings, config.maxPositionEmbeddings);
  return { model, tokenizer, config, labels, problemType, maxLength, directory };
}

// The checkpoint's tensors under the names the head declares. lib/weights' name mapping covers the encoder and a
// `classifier`; the masked-LM head's `cls.predictions.*` are kept under their own names. The decoder's weight is
// the word table (tied, as in transformers) and its bias an alias of cls.predictions.bias.
async function readHeadTensors(dir: string, config: BertConfig, head: Parameters<typeof canonicalShapes>[1]): Promise<Map<string, Float32Array>> {
  const file = await findWeightsFile(dir);
  const expected = canonicalShapes(config, head);
  const out = new Map<string, Float32Array>();
  for (const ref of await readCheckpoint(file)) {
    let name: string;
    if (ref.name === 'cls.predictions.decoder.bias') name = 'cls.predictions.bias';
    else if (ref.name.startsWith('cls.predictions.') && ref.name !== 'cls.predictions.decoder.weight') name = ref.name;
    else {
      const mapped = mapName(ref.name);
      if (mapped.kind === 'unused') continue;
      if (mapped.transpose) throw new WeightsFormatError(file, `'${ref.name}' is a TensorFlow kernel: pipelines read PyTorch and safetensors checkpoints`);
      name = mapped.name;
    }
    const shape = expected.get(name);
    if (!shape || out.has(name)) continue;
    if (shape.length !== ref.shape.length || shape.some((d, i) => d !== ref.shape[i])) {
      throw new TensorMismatchError(name, shape, ref.shape, `${file} ('${ref.name}')`);
    }
    out.set(name, await ref.read());
  }
  if (out.size === 0) throw new WeightsFormatError(file, 'holds none of the tensors of a BERT model');
  return out;
}

async function tokenizerMaxLength(dir: string): Promise<number | undefined> {
  try {
    const settings = JSON.parse(await readFile(path.join(dir, 'tokenizer_config.json'), 'utf8')) as { model_max_length?: unknown };
    const n = settings.model_max_length;
    return typeof n === 'number' && Number.isInteger(n) && n >= 2 ? n : undefined;
  } catch {
    return undefined;
  }
}
