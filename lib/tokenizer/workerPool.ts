// TokenizerPool: encodeBatch spread over worker threads. Each worker loads the same tokenizer files and encodes a
// contiguous slice of the batch; the rows come back as transferred Int32Arrays and are padded into one Batch here,
// so the result is identical to BertTokenizer.encodeBatch on one thread.

import { existsSync } from 'fs';
import { availableParallelism } from 'os';
import { join } from 'path';
import { Worker } from 'worker_threads';
import type { Batch } from '../data/types';
import { TokenizerOptionsError } from '../errors';
import { BertTokenizer, type TextInput } from './bertTokenizer';
import type { WorkerReply, WorkerRequest } from './batchWorker';
import { checkOptionNames, integerOption, type JsonTokenizerOptions, type VocabTokenizerOptions } from './config';
import { resolveEncodeOptions, type EncodeOptions } from './encodeOptions';
import { IntBuffer } from './intBuffer';
import { padRows } from './padding';

/** The files a tokenizer is loaded from; every worker loads its own copy. */
export type TokenizerSource =
  | { kind: 'vocab.txt'; file: string; options: VocabTokenizerOptions }
  | { kind: 'tokenizer.json'; file: string; options: JsonTokenizerOptions };

export interface PoolOptions {
  /** Worker threads (default: available parallelism). */
  threads?: number;
  /** Batches with fewer inputs than this are encoded on the calling thread (default 64). */
  minParallelBatch?: number;
}

interface Pending {
  resolve: (reply: WorkerReply) => void;
  worker: Worker;
}

/**
 * Entry of a worker: the compiled batchWorker.js next to this file; when running from the TypeScript sources
 * (tests through ts-jest), a small bootstrap that compiles the .ts files with the `typescript` package on load.
 */
function workerEntry(): { file: string; eval: boolean } {
  const js = join(__dirname, 'batchWorker.js');
  if (existsSync(js)) return { file: js, eval: false };
  const ts = join(__dirname, 'batchWorker.ts');
  const bootstrap = `
    const ts = require('typescript');
    const fs = require('fs');
    require.extensions['.ts'] = (module, filename) => {
      const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'),
        { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 }, fileName: filename });
      module._compile(out.outputText, filename);
    };
    require(${JSON.stringify(ts)});`;
  return { file: bootstrap, eval: true };
}

export class TokenizerPool {
  /** The tokenizer on the calling thread: checks options, pads, and serves small batches. */
  readonly tokenizer: BertTokenizer;
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly minParallelBatch: number;
  private nextId = 0;
  private closed = false;

  static fromVocabFile(file: string, options: VocabTokenizerOptions = {}, pool: PoolOptions = {}): TokenizerPool {
    return new TokenizerPool({ kind: 'vocab.txt', file, options }, pool);
  }

  static fromTokenizerJson(file: string, options: JsonTokenizerOptions = {}, pool: PoolOptions = {}): TokenizerPool {
    return new TokenizerPool({ kind: 'tokenizer.json', file, options }, pool);
  }

  private constructor(source: TokenizerSource, pool: PoolOptions) {
    checkOptionNames('TokenizerPool', pool, ['threads', 'minParallelBatch']);
    const threads = integerOption('TokenizerPool', 'threads', pool.threads, availableParallelism(), 1);
    this.minParallelBatch = integerOption('TokenizerPool', 'minParallelBatch', pool.minParallelBatch, 64);
    // Loading here first reports a bad file or option synchronously, before any worker starts.
    this.tokenizer = source.kind === 'tokenizer.json'
      ? BertTokenizer.fromTokenizerJson(source.file, source.options)
      : BertTokenizer.fromVocabFile(source.file, source.options);
    const entry = workerEntry();
    for (let i = 0; i < threads; i++) {
      const worker = new Worker(entry.file, { eval: entry.eval, workerData: source });
      worker.unref();
      worker.on('message', (reply: WorkerReply) => this.settle(reply));
      worker.on('error', (err) => this.failWorker(worker, err));
      worker.on('exit', (code) => this.failWorker(worker, new Error(`exited with code ${code}`)));
      this.workers.push(worker);
    }
  }

  /** Same result as BertTokenizer.encodeBatch, computed on the worker threads. */
  async encodeBatch(inputs: readonly TextInput[], options?: EncodeOptions): Promise<Batch> {
    if (this.closed) throw new TokenizerOptionsError('ERR_BERTNODE_TOKENIZER_OPTION', 'TokenizerPool is closed');
    const o = resolveEncodeOptions('encodeBatch', options, true);
    if (inputs.length < this.minParallelBatch) return this.tokenizer.encodeBatch(inputs, options);
    const parts = this.workers.length;
    const per = Math.ceil(inputs.length / parts);
    const replies = await Promise.all(this.workers.map((worker, w) =>
      this.send(worker, inputs.slice(w * per, Math.min(inputs.length, (w + 1) * per)), options)));
    const ids = new IntBuffer(1);
    const types = new IntBuffer(1);
    const starts = new Int32Array(inputs.length + 1);
    let row = 0;
    let total = 0;
    for (const reply of replies) total += reply.ids.length;
    ids.reserve(total);
    types.reserve(total);
    for (const reply of replies) {
      for (let r = 1; r < reply.starts.length; r++) starts[row + r] = ids.length + reply.starts[r];
      row += reply.starts.length - 1;
      ids.data.set(reply.ids, ids.length);
      types.data.set(reply.types, types.length);
      ids.length += reply.ids.length;
      types.length += reply.types.length;
    }
    return padRows({ ids, types, starts }, inputs.length, o.padToMax ? o.maxLength : null, () => this.tokenizer.padTokenId());
  }

  /** Stops the workers; pending calls are rejected. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private send(worker: Worker, inputs: TextInput[], options: EncodeOptions | undefined):
    Promise<{ ids: Int32Array; types: Int32Array; starts: Int32Array }> {
    const id = this.nextId++;
    const request: WorkerRequest = { id, inputs, options };
    return new Promise((resolve, reject) => {
      this.pending.set(id, {
        worker,
        resolve: (reply) => {
          if ('error' in reply) {
            reject(new TokenizerOptionsError(reply.error.code ?? 'ERR_BERTNODE_TOKENIZER_OPTION', reply.error.message));
          } else {
            resolve(reply);
          }
        },
      });
      worker.ref();
      worker.postMessage(request);
    });
  }

  private settle(reply: WorkerReply): void {
    const p = this.pending.get(reply.id);
    if (p === undefined) return;
    this.pending.delete(reply.id);
    if (![...this.pending.values()].some((q) => q.worker === p.worker)) p.worker.unref();
    p.resolve(reply);
  }

  private failWorker(worker: Worker, err: Error): void {
    for (const [id, p] of this.pending) {
      if (p.worker !== worker) continue;
      this.pending.delete(id);
      const message = this.closed ? 'the TokenizerPool was closed while this batch was encoded'
        : `a tokenizer worker failed: ${err.message}`;
      p.resolve({ id, error: { message, code: 'ERR_BERTNODE_TOKENIZER_WORKER' } });
    }
  }
}
