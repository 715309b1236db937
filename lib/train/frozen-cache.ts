// The frozen-layer cache. When only the last K encoder layers train (and the embeddings are frozen), the embeddings
// and the first L-K layers map each example to the same hidden states every epoch once their dropout is off. They
// are computed once here (NativeBert.frozenPrefix, in length-sorted batches so little is padded) and every later
// batch starts from them (prefixHidden), so an epoch costs the trainable layers only.
//
// The one semantic difference from training from ids: no dropout in the frozen layers (the embeddings' and the
// frozen layers' hidden/attention dropout). Dropout in the trainable layers and the head is keyed by (seed, step)
// as before, and evaluation (no dropout anywhere) is unchanged up to float32 rounding.
//
// Storage: per example only its real tokens, [length, hidden], as bf16 (default), fp16 or fp32, either in memory (one
// typed array per example) or in one file (fd reads at offsets; node has no mmap). File layout, little-endian:
//   "BNFCACHE" | u32 header length | header JSON {version, key, dtype, hiddenSize, size, batchSize} | zero pad to 8 |
//   i32 lengths[size] | zero pad to 8 | example 0's rows, example 1's rows, ... (dataset order)
// A cache is keyed by a SHA-256 of the frozen parameters, the prefix depth, maxLength, the examples' ids and tokens
// and the dtype: a file is named after the key and its header is checked on open, so a stale cache is never used.
// The build's batch size is not part of the key (the values agree to float32 rounding whatever it is) but is kept in
// the header, because the rounding does depend on it and a checkpoint records it for exact resume.
// The conversions live in ./half-float.ts; the training loop's view of a cache (batches, model, fit's set-up) in
// ./frozen-training.ts.
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BatchLoader, type EncodedDataset } from '../data';
import { FrozenCacheError } from '../errors';
import type { NativeBert } from '../native';
import { type StoredDtype, decodeValues, encodeValues } from './half-float';

export type FrozenCacheDtype = StoredDtype;
export type FrozenCacheStorage = 'memory' | 'disk';

export interface FrozenCacheOptions {
  /** 'auto' (default): memory unless the cache would take more than a quarter of the free memory, then disk. */
  storage?: FrozenCacheStorage | 'auto';
  /** default 'bf16' */
  dtype?: FrozenCacheDtype;
  /**
   * Disk storage: the folder that keeps the file (frozen-<key>.bin), reused by any later run with the same key.
   * Without it the file is a temporary one, removed by close().
   */
  dir?: string;
  /** examples per frozenPrefix call while building (default 32) */
  batchSize?: number;
  /** Stops building the cache. */
  signal?: AbortSignal;
  /** examples cached so far */
  onProgress?: (done: number, total: number) => void;
}

// What building a cache needs of the model: the frozen parameters (for the key) and frozenPrefix.
export type PrefixModel = Pick<NativeBert, 'config' | 'trainableLayers' | 'trainEmbeddings' | 'parameterNames' | 'isTrainable' | 'getParameter' | 'frozenPrefix'>;

const MAGIC = Buffer.from('BNFCACHE', 'latin1');
const FORMAT_VERSION = 1;
const BYTES: Record<FrozenCacheDtype, number> = { bf16: 2, fp16: 2, fp32: 4 };

export function hasFrozenPrefix(model: Pick<NativeBert, 'config' | 'trainableLayers' | 'trainEmbeddings'>): boolean {
  return !model.trainEmbeddings && model.trainableLayers < model.config.numHiddenLayers;
}

// SHA-256 (hex) of everything the cached values depend on.
export function frozenCacheKey(model: PrefixModel, dataset: EncodedDataset, ids: readonly string[], dtype: FrozenCacheDtype): string {
  if (ids.length !== dataset.size) {
    throw new FrozenCacheError('ERR_BERTNODE_FROZEN_CACHE_OPTIONS', `${ids.length} example ids for ${dataset.size} examples`);
  }
  const hash = createHash('sha256');
  const { hiddenSize, numHiddenLayers } = model.config;
  hash.update(JSON.stringify({ version: FORMAT_VERSION, dtype, hiddenSize, prefixLayers: numHiddenLayers - model.trainableLayers, maxLength: dataset.maxLength }));
  for (const name of model.parameterNames()) {
    if (model.isTrainable(name)) continue;
    const p = model.getParameter(name);
    hash.update(name).update(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
  }
  hash.update(JSON.stringify(ids));
  for (const a of [dataset.offsets, dataset.tokens, dataset.tokenTypes]) hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return hash.digest('hex');
}

// ---- the cache ---------------------------------------------------------------------------------------------------

interface FileHeader {
  version: number;
  key: string;
  dtype: FrozenCacheDtype;
  hiddenSize: number;
  size: number;
  batchSize?: number; // absent in files written before it was recorded
}

const align8 = (n: number): number => Math.ceil(n / 8) * 8;

export class FrozenCache {
  readonly storage: FrozenCacheStorage;
  readonly file?: string;
  private readonly starts: Float64Array; // element offset of each example in the file's data section
  private dataStart = 0;
  private fd?: number;
  private memory?: (Uint16Array | Float32Array)[];
  private readBuffer = new Uint8Array(0);
  private closed = false;
  private temporary = false; // a file of its own temporary folder, removed by close()

  private constructor(
    readonly key: string,
    readonly dtype: FrozenCacheDtype,
    readonly hiddenSize: number,
    readonly lengths: Int32Array,
    readonly buildBatchSize: number | null, // examples per frozenPrefix call when the values were computed; null: unknown
    storage: { memory: (Uint16Array | Float32Array)[] } | { fd: number; file: string; dataStart: number; temporary: boolean },
  ) {
    this.starts = new Float64Array(lengths.length + 1);
    for (let i = 0; i < lengths.length; i++) this.starts[i + 1] = this.starts[i] + lengths[i] * hiddenSize;
    if ('memory' in storage) {
      this.storage = 'memory';
      this.memory = storage.memory;
    } else {
      this.storage = 'disk';
      this.fd = storage.fd;
      this.file = storage.file;
      this.dataStart = storage.dataStart;
      this.temporary = storage.temporary;
    }
  }

  get size(): number {
    return this.lengths.length;
  }

  // What the cached values depend on beyond the key's inputs, for a checkpoint to record.
  runSettings(): { frozenCache: string; frozenCacheBuildBatchSize: number | null } {
    return { frozenCache: this.dtype, frozenCacheBuildBatchSize: this.buildBatchSize };
  }

  // Bytes of cached values (in memory or on disk).
  get bytes(): number {
    return this.starts[this.size] * BYTES[this.dtype];
  }

  // Builds the cache of `dataset` (ids: the examples' stable ids), or reuses dir's file with the same key.
  static async build(model: PrefixModel, dataset: EncodedDataset, ids: readonly string[], options: FrozenCacheOptions = {}): Promise<FrozenCache> {
    if (!hasFrozenPrefix(model)) {
      throw new FrozenCacheError('ERR_BERTNODE_FROZEN_CACHE_OPTIONS',
        `the frozen-layer cache needs frozen embeddings and trainableLayers < ${model.config.numHiddenLayers}, got trainEmbeddings ${model.trainEmbeddings} and trainableLayers ${model.trainableLayers}`);
    }
    const dtype = options.dtype ?? 'bf16';
    if (!(dtype in BYTES)) throw new FrozenCacheError('ERR_BERTNODE_FROZEN_CACHE_OPTIONS', `dtype must be 'bf16', 'fp16' or 'fp32', got '${dtype}'`);
    const batchSize = options.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new FrozenCacheError('ERR_BERTNODE_FROZEN_CACHE_OPTIONS', `batchSize must be an integer >= 1, got ${batchSize}`);
    const H = model.config.hiddenSize;
    const key = frozenCacheKey(model, dataset, ids, dtype);
    const lengths = new Int32Array(dataset.size);
    for (let i = 0; i < dataset.size; i++) lengths[i] = dataset.offsets[i + 1] - dataset.offsets[i];
    const storage = chooseStorage(options, lengths, H, dtype);

    let file: string | undefined;
    let temporaryDir: string | undefined;
    if (storage === 'disk') {
      if (options.dir) {
        fs.mkdirSync(options.dir, { recursive: true });
        file = path.join(options.dir, `frozen-${key.slice(0, 32)}.bin`);
        if (fs.existsSync(file)) {
          try {
            return FrozenCache.open(file, key);
          } catch (e) {
            if (!(e instanceof FrozenCacheError)) throw e; // an unreadable or stale file is rebuilt
          }
        }
      } else {
        temporaryDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertnode-frozen-'));
        file = path.join(temporaryDir, 'cache.bin');
      }
    }

    const memory: (Uint16Array | Float32Array)[] = storage === 'memory' ? new Array(dataset.size) : [];
    let writer: { fd: number; partial: string; dataStart: number; starts: Float64Array } | undefined;
    if (file) {
      const partial = `${file}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
      const fd = fs.openSync(partial, 'w');
      const dataStart = writeHeader(fd, { version: FORMAT_VERSION, key, dtype, hiddenSize: H, size: dataset.size, batchSize }, lengths);
      const starts = new Float64Array(dataset.size + 1);
      for (let i = 0; i < dataset.size; i++) starts[i + 1] = starts[i] + lengths[i] * H;
      writer = { fd, partial, dataStart, starts };
    }
    try {
      // Longest first, ties in dataset order: batches of similar lengths pad little. Deterministic, so the same key
      // always holds the same values.
      const order = Array.from({ length: dataset.size }, (_, i) => i).sort((a, b) => lengths[b] - lengths[a] || a - b);
      const batcher = new BatchLoader(dataset, { batchSize, padding: 'longest' });
      let done = 0;
      for (let start = 0; start < order.length; start += batchSize) {
        options.signal?.throwIfAborted();
        const rows = order.slice(start, start + batchSize);
        const { batch } = batcher.makeBatch(rows);
        const hidden = await model.frozenPrefix(batch);
        rows.forEach((index, r) => {
          const values = hidden.subarray(r * batch.seqLen * H, (r * batch.seqLen + lengths[index]) * H);
          const stored = encodeValues(dtype, values);
          if (writer) {
            const bytes = new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength);
            writeFully(writer.fd, bytes, writer.dataStart + writer.starts[index] * BYTES[dtype]);
          } else {
            memory[index] = stored;
          }
        });
        done += rows.length;
        options.onProgress?.(done, dataset.size);
      }
      if (writer) {
        fs.fsyncSync(writer.fd);
        fs.closeSync(writer.fd);
        fs.renameSync(writer.partial, file!);
        const cache = FrozenCache.open(file!, key);
        cache.temporary = temporaryDir !== undefined;
        return cache;
      }
      return new FrozenCache(key, dtype, H, lengths, batchSize, { memory });
    } catch (e) {
      if (writer) {
        fs.closeSync(writer.fd);
        fs.rmSync(writer.partial, { force: true });
      }
      if (temporaryDir) fs.rmSync(temporaryDir, { recursive: true, force: true });
      throw e;
    }
  }

  // Opens a cache file; rejects one whose key is not `expectedKey` (ERR_BERTNODE_FROZEN_CACHE_STALE) and one that is
  // not a complete cache file (ERR_BERTNODE_FROZEN_CACHE_CORRUPT).
  static open(file: string, expectedKey: string): FrozenCache {
    const fd = fs.openSync(file, 'r');
    try {
      const corrupt = (why: string): never => {
        throw new FrozenCacheError('ERR_BERTNODE_FROZEN_CACHE_CORRUPT', `${file}: ${why}`);
      };
      const fileSize = fs.fstatSync(fd).size;
      const head = Buffer.alloc(12);
      if (fs.readSync(fd, head, 0, 12, 0) !== 12 || !head.subarray(0, 8).equals(MAGIC)) corrupt('not a frozen-layer cache file');
      const jsonLength = head.readUInt32LE(8);
      if (12 + jsonLength > fileSize) corrupt('header past the end of the file');
      const json = Buffer.alloc(jsonLength);
      fs.readSync(fd, json, 0, jsonLength, 12);
      let header: FileHeader;
      try {
        header = JSON.parse(json.toString('utf8')) as FileHeader;
      } catch {
        return corrupt('header is not JSON');
      }
      if (header.version !== FORMAT_VERSION || !(header.dtype in BYTES) || !Number.isInteger(header.size) || !Number.isInteger(header.hiddenSize)) {
        corrupt('unknown header version or fields');
      }
      if (header.key !== expectedKey) {
        throw new FrozenCacheError('ERR_BERTNODE_FROZEN_CACHE_STALE',
          `${file} was built for other frozen parameters, examples, maxLength or dtype (key ${header.key.slice(0, 12)}…, expected ${expectedKey.slice(0, 12)}…)`);
      }
      const lengthsStart = align8(12 + jsonLength);
      const lengths = new Int32Array(header.size);
      if (lengthsStart + lengths.byteLength > fileSize) corrupt('truncated (lengths)');
      fs.readSync(fd, new Uint8Array(lengths.buffer), 0, lengths.byteLength, lengthsStart);
      let elements = 0;
      for (const n of lengths) {
        if (n < 1) corrupt('an example with no tokens');
        elements += n * header.hiddenSize;
      }
      const dataStart = align8(lengthsStart + lengths.byteLength);
      if (dataStart + elements * BYTES[header.dtype] !== fileSize) corrupt(`size ${fileSize} is not the ${dataStart + elements * BYTES[header.dtype]} bytes its header describes (truncated?)`);
      const batchSize = Number.isInteger(header.batchSize) ? header.batchSize! : null;
      return new FrozenCache(header.key, header.dtype, header.hiddenSize, lengths, batchSize, { fd, file, dataStart, temporary: false });
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  // prefixHidden [rows, seqLen, hidden] for the examples `indices` padded to seqLen (padding rows are zero: the
  // trainable layers mask them out of attention and nothing reads their outputs).
  assemble(indices: ArrayLike<number>, seqLen: number): Float32Array {
    if (this.closed) throw new FrozenCacheError('ERR_BERTNODE_FROZEN_CACHE_CLOSED', 'the frozen-layer cache has been closed');
    const H = this.hiddenSize;
    const out = new Float32Array(indices.length * seqLen * H);
    for (let r = 0; r < indices.length; r++) {
      const index = indices[r];
      if (!Number.isInteger(index) || index < 0 || index >= this.size) {
        throw new FrozenCacheError('ERR_BERTNODE_FROZEN_CACHE_OPTIONS', `example index ${index} is outside 0..${this.size - 1}`);
      }
      const length = this.lengths[index];
      if (length > seqLen) throw new FrozenCacheError('ERR_BERTNODE_FROZEN_CACHE_OPTIONS', `example ${index} has ${length} tokens, more than seqLen ${seqLen}`);
      decodeValues(this.dtype, this.values(index), out, r * seqLen * H);
    }
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.memory = undefined;
    if (this.fd !== undefined) {
      fs.closeSync(this.fd);
      if (this.temporary && this.file) fs.rmSync(path.dirname(this.file), { recursive: true, force: true });
    }
  }

  private values(index: number): Uint16Array | Float32Array {
    if (this.memory) return this.memory[index];
    const count = this.lengths[index] * this.hiddenSize;
    const bytes = count * BYTES[this.dtype];
    if (this.readBuffer.byteLength < bytes) this.readBuffer = new Uint8Array(bytes);
    const position = this.dataStart + this.starts[index] * BYTES[this.dtype];
    let read = 0;
    while (read < bytes) {
      const n = fs.readSync(this.fd!, this.readBuffer, read, bytes - read, position + read);
      if (n === 0) throw new FrozenCacheError('ERR_BERTNODE_FROZEN_CACHE_CORRUPT', `${this.file}: truncated while reading example ${index}`);
      read += n;
    }
    return this.dtype === 'fp32' ? new Float32Array(this.readBuffer.buffer, 0, count) : new Uint16Array(this.readBuffer.buffer, 0, count);
  }
}

function chooseStorage(options: FrozenCacheOptions, lengths: Int32Array, hiddenSize: number, dtype: FrozenCacheDtype): FrozenCacheStorage {
  const storage = options.storage ?? 'auto';
  if (storage === 'memory' || storage === 'disk') return storage;
  if (storage !== 'auto') throw new FrozenCacheError('ERR_BERTNODE_FROZEN_CACHE_OPTIONS', `storage must be 'memory', 'disk' or 'auto', got '${storage}'`);
  if (options.dir) return 'disk';
  let tokens = 0;
  for (const n of lengths) tokens += n;
  return tokens * hiddenSize * BYTES[dtype] > os.freemem() / 4 ? 'disk' : 'memory';
}

function writeFully(fd: number, bytes: Uint8Array, position: number): void {
  let written = 0;
  while (written < bytes.byteLength) written += fs.writeSync(fd, bytes, written, bytes.byteLength - written, position + written);
}

// Writes magic, header and lengths; returns where the data section starts.
function writeHeader(fd: number, header: FileHeader, lengths: Int32Array): number {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const head = Buffer.alloc(12);
  MAGIC.copy(head, 0);
  head.writeUInt32LE(json.length, 8);
  writeFully(fd, head, 0);
  writeFully(fd, json, 12);
  const lengthsStart = align8(12 + json.length);
  writeFully(fd, new Uint8Array(align8(12 + json.length) - 12 - json.length), 12 + json.length);
  writeFully(fd, new Uint8Array(lengths.buffer, lengths.byteOffset, lengths.byteLength), lengthsStart);
  const dataStart = align8(lengthsStart + lengths.byteLength);
  writeFully(fd, new Uint8Array(dataStart - lengthsStart - lengths.byteLength), lengthsStart + lengths.byteLength);
  return dataStart;
}
