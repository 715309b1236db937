// BertEmbedder: sentence embeddings for inference (what sentence-transformers' models such as all-MiniLM-L6-v2
// compute): the encoder's last hidden states pooled by the mean over the attention mask or taken at [CLS],
// optionally L2-normalised, on the native engine's embedding head. Saved as a plain BertModel.

import { DisposedError, InputError } from '../errors';
import { checkOptions, oneOf, type OptionCheck } from '../train/option-check';
import { TASK_OPTIONS, flag } from './task-options';
import { padTaskRows } from '../data/task-collators';
import { forEachLongestFirst } from './task-batches';
import type { Device, Precision } from '../native';
import type { HubOptions } from '../train/model-source';
import { loadTask, type LoadedTask } from './task-model';
import { saveTaskModel } from './task-weights';

export interface EmbedderOptions {
  /** 'mean' over the attention mask (default, as sentence-transformers) or 'cls' (the [CLS] vector). */
  pooling?: 'mean' | 'cls';
  /** L2-normalise each vector (default true: cosine similarity is then a dot product). */
  normalize?: boolean;
  /** Tokens per text, special tokens included (default 256, or the model's positions when fewer). */
  maxLength?: number;
  /** Texts per forward pass (default 32). */
  batchSize?: number;
  /** 'cpu' (default), 'cuda', 'cuda:N' or 'auto'. */
  device?: Device | 'auto';
  precision?: Precision;
  hub?: HubOptions;
}

const EMBEDDER_OPTIONS: Readonly<Record<keyof EmbedderOptions, OptionCheck>> = {
  pooling: oneOf('mean', 'cls'), normalize: flag, maxLength: TASK_OPTIONS.maxLength, batchSize: TASK_OPTIONS.batchSize,
  device: TASK_OPTIONS.device, precision: TASK_OPTIONS.precision, hub: TASK_OPTIONS.hub,
};

export class BertEmbedder {
  private disposed = false;

  private constructor(private readonly loaded: LoadedTask, private readonly o: EmbedderOptions) {}

  /** Loads a checkpoint (folder or hub id); only the encoder is used. */
  static async fromPretrained(idOrDir: string, options: EmbedderOptions = {}): Promise<BertEmbedder> {
    checkOptions('BertEmbedder', options, EMBEDDER_OPTIONS);
    const head = { head: 'embedding' as const, pooling: options.pooling ?? 'mean', normalize: options.normalize ?? true };
    return new BertEmbedder(await loadTask(idOrDir, { ...options, head, numLabels: 2, labels: () => [] }), options);
  }

  /** Vector width (the model's hidden size). */
  get dimension(): number {
    return this.loaded.config.hiddenSize;
  }

  get maxLength(): number {
    return this.o.maxLength ?? Math.min(256, this.loaded.config.maxPositionEmbeddings);
  }

  /** One vector per text (or [text, textPair]), in input order. */
  async embed(texts: readonly (string | readonly [string, string])[]): Promise<Float32Array[]> {
    if (this.disposed) throw new DisposedError('the embedder has been disposed');
    if (!Array.isArray(texts)) throw new InputError('embed takes an array of texts');
    const batchSize = this.o.batchSize ?? 32;
    const rows = texts.map((t, i) => {
      const [a, b] = typeof t === 'string' ? [t, undefined] : Array.isArray(t) ? t : [undefined, undefined];
      if (typeof a !== 'string' || (b !== undefined && typeof b !== 'string')) throw new InputError(`embed: input ${i} is not a string or a [string, string] pair`, i);
      return this.loaded.tokenizer.encode(a, b, { maxLength: this.maxLength, truncation: true });
    });
    const out: Float32Array[] = new Array(rows.length);
    const h = this.dimension;
    await forEachLongestFirst(rows, batchSize, (picked) => padTaskRows(picked, { padTokenId: this.loaded.config.padTokenId ?? 0 }), async (batch, items) => {
      const { logits } = await this.loaded.model.forward(batch, { training: false });
      items.forEach((item, r) => { out[item] = logits.slice(r * h, (r + 1) * h); });
    });
    return out;
  }

  /** Writes the encoder as transformers' BertModel (config.json, model.safetensors) with the tokenizer files. */
  async save(dir: string): Promise<void> {
    if (this.disposed) throw new DisposedError('the embedder has been disposed');
    const { model, config, rawConfig, tokenizerFiles } = this.loaded;
    await saveTaskModel(dir, model, { ...config, numLabels: 2 }, { architecture: 'BertModel', labels: ['LABEL_0', 'LABEL_1'], rawConfig, tokenizerFiles });
  }

  dispose(): void {
    this.disposed = true;
    this.loaded.model.dispose();
  }
}
