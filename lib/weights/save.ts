// Writes a model folder Python `transformers` loads directly with BertForSequenceClassification.from_pretrained:
// model.safetensors (F32, canonical names), config.json (HF keys, id2label/label2id) and the tokenizer files.
import { promises as fsp } from 'fs';
import * as path from 'path';
import { TensorMismatchError, WeightsFormatError } from '../errors';
import { BertConfig, toHfConfig } from './config';
import { canonicalShapes } from './names';
import { NamedTensor, writeSafetensors } from './safetensors';

export interface SaveOptions {
  labels: readonly string[];
  // The config.json the model was loaded from; keys this package does not own are carried over.
  rawConfig?: Record<string, unknown>;
  // Tokenizer files (vocab.txt, tokenizer.json, tokenizer_config.json, special_tokens_map.json ...) copied in.
  tokenizerFiles?: readonly string[];
}

export async function saveModel(dir: string, config: BertConfig, tensors: ReadonlyMap<string, Float32Array>, options: SaveOptions): Promise<void> {
  const hfConfig = toHfConfig(config, options.labels, options.rawConfig);
  const named: NamedTensor[] = [];
  for (const [name, shape] of canonicalShapes(config)) {
    const data = tensors.get(name);
    if (!data) throw new TensorMismatchError(name, shape, null, `saving to ${dir}`);
    const count = shape.reduce((a, b) => a * b, 1);
    if (data.length !== count) throw new TensorMismatchError(name, shape, [data.length], `saving to ${dir}`);
    named.push({ name, shape, data });
  }
  const known = canonicalShapes(config);
  for (const name of tensors.keys()) {
    if (!known.has(name)) throw new WeightsFormatError(dir, `cannot save unknown tensor '${name}'`);
  }

  await fsp.mkdir(dir, { recursive: true });
  await writeSafetensors(path.join(dir, 'model.safetensors'), named);
  await writeFileAtomic(path.join(dir, 'config.json'), `${JSON.stringify(hfConfig, null, 2)}\n`);
  for (const file of options.tokenizerFiles ?? []) {
    const dest = path.join(dir, path.basename(file));
    if (path.resolve(file) !== path.resolve(dest)) await fsp.copyFile(file, dest);
  }
}

async function writeFileAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await fsp.writeFile(tmp, text);
  await fsp.rename(tmp, file);
}
