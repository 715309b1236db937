// Loads a model folder (config.json + weights in any supported layout) into canonical Float32Arrays checked
// against the config.
import { promises as fsp } from 'fs';
import * as path from 'path';
import { TensorMismatchError, WeightsFormatError } from '../errors';
import { BertConfig, readConfig } from './config';
import { canonicalShapes, isOptionalTensor, mapName, NameMappingOptions } from './names';
import { readSafetensors, readShardedSafetensors, readWeightMap } from './safetensors';
import { TensorRef } from './tensor';
import { readPytorchBin } from './torch';
import { pathExists } from '../util/fs';

// In the order transformers prefers them.
export const WEIGHT_FILES = [
  'model.safetensors',
  'model.safetensors.index.json',
  'pytorch_model.bin',
  'pytorch_model.bin.index.json',
] as const;

export interface LoadOptions extends NameMappingOptions {
  // Class names to use instead of the config's (the head is then expected with labels.length rows).
  labels?: readonly string[];
  // Fail when classifier.* is absent, instead of listing it in `missing` for the caller to initialise.
  requireHead?: boolean;
}

export interface LoadedModel {
  config: BertConfig;
  labels: string[];
  // config.json as read, to be written back (with updated fields) when the model is saved.
  rawConfig: Record<string, unknown>;
  // Canonical name -> values, row-major in the canonical shape.
  tensors: Map<string, Float32Array>;
  // Canonical names the checkpoint lacks that the model initialises itself (classifier.*, bert.pooler.*).
  missing: string[];
  // Checkpoint tensors not used, under their original names, with why (pre-training heads, buffers, unknown).
  unused: Array<{ name: string; reason: string }>;
  weightsFile: string;
}

export async function loadModel(dir: string, options: LoadOptions = {}): Promise<LoadedModel> {
  const { config: fileConfig, labels: fileLabels, raw } = await readConfig(path.join(dir, 'config.json'));
  const labels = options.labels ? [...options.labels] : fileLabels;
  const config: BertConfig = { ...fileConfig, numLabels: labels.length };
  const weightsFile = await findWeightsFile(dir);
  const refs = await readCheckpoint(weightsFile);
  const { tensors, missing, unused } = await loadTensors(refs, config, weightsFile, options);
  return { config, labels, rawConfig: raw, tensors, missing, unused, weightsFile };
}

export async function findWeightsFile(dir: string): Promise<string> {
  for (const name of WEIGHT_FILES) {
    const file = path.join(dir, name);
    if (await pathExists(file)) return file;
  }
  throw new WeightsFormatError(dir, `no weights found (looked for ${WEIGHT_FILES.join(', ')})`);
}

// Every tensor of a weights file (or of the shards its index lists), by the file's own names.
export async function readCheckpoint(file: string): Promise<TensorRef[]> {
  const base = path.basename(file);
  if (base.endsWith('.safetensors.index.json')) return (await readShardedSafetensors(file)).tensors;
  if (base.endsWith('.safetensors')) return (await readSafetensors(file)).tensors;
  if (base.endsWith('.bin.index.json')) return readShardedPytorch(file);
  return readPytorchBin(file);
}

async function readShardedPytorch(indexFile: string): Promise<TensorRef[]> {
  const weightMap = await readWeightMap(indexFile);
  const shards = new Set(weightMap.values());
  const refs: TensorRef[] = [];
  for (const shard of shards) {
    const inShard = (await readPytorchBin(path.join(path.dirname(indexFile), shard))).filter((t) => weightMap.get(t.name) === shard);
    refs.push(...inShard);
  }
  const found = new Set(refs.map((t) => t.name));
  for (const [name, shard] of weightMap) {
    if (!found.has(name)) throw new WeightsFormatError(indexFile, `index puts tensor '${name}' in ${shard}, which does not contain it`);
  }
  return refs;
}

// Maps names, checks every shape against the config before reading any data, then reads the tensors it keeps.
export async function loadTensors(refs: readonly TensorRef[], config: BertConfig, source: string, options: LoadOptions = {}) {
  const expected = canonicalShapes(config);
  const chosen = new Map<string, { ref: TensorRef; transpose: boolean }>();
  const unused: Array<{ name: string; reason: string }> = [];
  for (const ref of refs) {
    const mapped = mapName(ref.name, options);
    if (mapped.kind === 'unused') {
      unused.push({ name: ref.name, reason: mapped.reason });
      continue;
    }
    const want = expected.get(mapped.name);
    if (!want) {
      unused.push({ name: ref.name, reason: 'not a parameter of BertForSequenceClassification with this config' });
      continue;
    }
    const earlier = chosen.get(mapped.name);
    if (earlier) {
      throw new WeightsFormatError(source, `tensors '${earlier.ref.name}' and '${ref.name}' both map to '${mapped.name}'`);
    }
    if (mapped.transpose && ref.shape.length !== 2) {
      throw new WeightsFormatError(source, `TensorFlow kernel '${ref.name}' has ${ref.shape.length} dimensions, expected 2`);
    }
    const shape = mapped.transpose ? [ref.shape[1], ref.shape[0]] : ref.shape;
    if (!sameShape(shape, want)) throw new TensorMismatchError(mapped.name, want, shape, `${source} ('${ref.name}')`);
    chosen.set(mapped.name, { ref, transpose: mapped.transpose });
  }

  const missing: string[] = [];
  for (const [name, shape] of expected) {
    if (chosen.has(name)) continue;
    if (isOptionalTensor(name) && !(options.requireHead && name.startsWith('classifier.'))) missing.push(name);
    else throw new TensorMismatchError(name, shape, null, source);
  }

  const tensors = new Map<string, Float32Array>();
  for (const [name, { ref, transpose }] of chosen) {
    const data = await ref.read();
    tensors.set(name, transpose ? transpose2d(data, ref.shape[0], ref.shape[1]) : data);
  }
  return { tensors, missing, unused };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  }
  return out;
}
