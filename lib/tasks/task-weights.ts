// Loading and saving a model for any head. lib/weights' loader and writer know sequence classification; a task
// model's catalogue (the native engine's, for its head) names every tensor it has, under transformers' names, so a
// checkpoint is matched against that catalogue here and written back with exactly those names.

import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { TensorMismatchError } from '../errors';
import { mulberry32 } from '../data/random';
import { parameterCatalogue, type RawHeadOptions } from '../native/addon';
import type { NativeBert } from '../native';
import { type BertConfig, findWeightsFile, mapName, readCheckpoint, toHfConfig, writeSafetensors } from '../weights';

export interface TaskTensors {
  tensors: Map<string, Float32Array>;
  // Catalogue names the checkpoint lacks (a new head, a pooler the base model was saved without).
  missing: string[];
}

// The encoder is never initialised here: a checkpoint without it is not a BERT.
const ENCODER = /^bert\.(embeddings|encoder)\./;

// Reads the tensors of `dir` that the head's catalogue names: by the name itself (a model saved by transformers for
// this head), else through lib/weights' name mapping (older and TensorFlow namings of the encoder).
export async function readTaskTensors(dir: string, config: BertConfig, head: RawHeadOptions): Promise<TaskTensors> {
  const catalogue = new Map(parameterCatalogue(config, head).map((p) => [p.name, p.shape]));
  const file = await findWeightsFile(dir);
  const tensors = new Map<string, Float32Array>();
  for (const ref of await readCheckpoint(file)) {
    let name = ref.name;
    let transpose = false;
    if (!catalogue.has(name)) {
      const mapped = mapName(ref.name);
      if (mapped.kind !== 'param' || !catalogue.has(mapped.name) || mapped.name.startsWith('classifier.')) continue;
      ({ name, transpose } = mapped);
    }
    if (tensors.has(name)) continue;
    const want = catalogue.get(name)!;
    const shape = transpose ? [...ref.shape].reverse() : ref.shape;
    if (shape.length !== want.length || shape.some((d, i) => d !== want[i])) throw new TensorMismatchError(name, want, [...shape], `${file} ('${ref.name}')`);
    const data = await ref.read();
    tensors.set(name, transpose ? transpose2d(data, ref.shape[0], ref.shape[1]) : data);
  }
  const missing = [...catalogue.keys()].filter((n) => !tensors.has(n));
  const encoderMissing = missing.find((n) => ENCODER.test(n));
  if (encoderMissing) throw new TensorMismatchError(encoderMissing, catalogue.get(encoderMissing)!, null, file);
  return { tensors, missing };
}

// Sets every parameter of `model`: from `tensors`, else Hugging Face's initialisation of a new module (weights
// ~ N(0, initializerRange²), biases 0, LayerNorm weights 1), seeded.
export function setTaskParameters(model: NativeBert, tensors: ReadonlyMap<string, Float32Array>, initializerRange: number, seed: number): void {
  const random = mulberry32(seed);
  for (const name of model.parameterNames()) {
    const count = model.parameterShape(name).reduce((a, b) => a * b, 1);
    model.setParameter(name, tensors.get(name) ?? initialValues(name, count, initializerRange, random));
  }
}

function initialValues(name: string, count: number, std: number, random: () => number): Float32Array {
  const out = new Float32Array(count);
  if (name.endsWith('LayerNorm.weight')) return out.fill(1);
  if (name.endsWith('.bias') || name.endsWith('predictions.bias')) return out;
  for (let i = 0; i < count; i++) {
    const u = Math.max(random(), Number.MIN_VALUE);
    out[i] = std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  }
  return out;
}

export interface TaskSaveOptions {
  // transformers' class for this head (config.json's `architectures`).
  architecture: string;
  labels: readonly string[];
  // The config.json the model was loaded from, and keys to set over it (problem_type, bertnode_*).
  rawConfig: Record<string, unknown>;
  tokenizerFiles: readonly string[];
}

// model.safetensors with every parameter under its catalogue name, config.json, the tokenizer files.
export async function saveTaskModel(dir: string, model: NativeBert, config: BertConfig, o: TaskSaveOptions): Promise<void> {
  const named = model.parameterNames().map((name) => ({ name, shape: model.parameterShape(name), data: model.getParameter(name) }));
  const hf = { ...toHfConfig(config, o.labels, o.rawConfig), architectures: [o.architecture] };
  await fsp.mkdir(dir, { recursive: true });
  await writeSafetensors(path.join(dir, 'model.safetensors'), named);
  await fsp.writeFile(path.join(dir, 'config.json'), `${JSON.stringify(hf, null, 2)}\n`);
  for (const file of o.tokenizerFiles) {
    const dest = path.join(dir, path.basename(file));
    if (path.resolve(file) !== path.resolve(dest)) await fsp.copyFile(file, dest);
  }
}

function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}
