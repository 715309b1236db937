// Checkpoints written atomically, so a crash or a kill -9 at any instant leaves the previous checkpoint usable.
//
// Layout under the checkpoint root:
//   latest.json                 {"checkpoint": "<name>"}: the newest COMPLETE checkpoint
//   <name>/checkpoint.json      the value as JSON (typed arrays replaced by references) + its checksum
//   <name>/data.bin             every typed array's bytes, 8-byte aligned
//   .tmp-<pid>-<random>/        a save in progress (or a dead save's leftovers, removed by the next save)
//
// A save writes and fsyncs both files inside a fresh temporary directory, fsyncs it, renames it to its final name,
// fsyncs the root, and only then replaces latest.json (write temp file, fsync, rename, fsync root). Until that last
// rename, latest.json names the previous checkpoint, whose files are never touched; older checkpoints are removed
// only after the switch.
//
// The checksum (version 2) is the sha256 of data.bin followed by the JSON of the value, so everything a resume reads
// is covered: the loop state, the optimizer's step, each tensor's offset and length. The JSON is hashed as
// JSON.stringify writes it, and checked the same way after parsing, so only an edit that changes a value is seen.
// Version 1 checkpoints (checksum over data.bin only) still load, verified as they were, with a warning
// (BERTNODE_CHECKPOINT_V1) that their checkpoint.json is not covered; the next save writes version 2.
//
// latest.json decides what a resume loads. Only a missing one means "no checkpoint here"; one that cannot be read,
// is not JSON or names no valid checkpoint is a typed error (ERR_BERTNODE_CHECKPOINT_CORRUPT) listing the complete
// checkpoints beside it, never a fresh start whose first save would prune them.

import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { CheckpointError } from '../errors';
import { parseJson } from '../util/json';

const FORMAT = 'bertnode-checkpoint';
const VERSION = 2;
const VERSION_DATA_ONLY = 1;
const LATEST = 'latest.json';
const ALIGN = 8;

type TypedArray = Float32Array | Float64Array | Int32Array | Uint32Array | Uint8Array;
const DTYPES = { f32: Float32Array, f64: Float64Array, i32: Int32Array, u32: Uint32Array, u8: Uint8Array } as const;
type DType = keyof typeof DTYPES;

interface TensorRef {
  $tensor: DType;
  offset: number; // bytes into data.bin
  length: number; // elements
}

interface CheckpointFile {
  format: typeof FORMAT;
  version: number;
  byteLength: number;
  sha256: string;
  value: unknown;
}

// By tag as well as instanceof: arrays made by the native addon may belong to another realm (jest's vm contexts).
function dtypeOf(a: TypedArray): DType {
  const tag = Object.prototype.toString.call(a);
  for (const [name, ctor] of Object.entries(DTYPES)) if (a instanceof ctor || tag === `[object ${ctor.name}]`) return name as DType;
  throw new CheckpointError('unsupported typed array in checkpoint', 'ERR_BERTNODE_CHECKPOINT_VALUE');
}

// Replaces every typed array in `value` by a reference into the blob list; everything else must be JSON.
function splitTensors(value: unknown, blobs: TypedArray[], offset: { bytes: number }): unknown {
  if (ArrayBuffer.isView(value)) {
    const a = value as TypedArray;
    const ref: TensorRef = { $tensor: dtypeOf(a), offset: offset.bytes, length: a.length };
    blobs.push(a);
    offset.bytes += Math.ceil(a.byteLength / ALIGN) * ALIGN;
    return ref;
  }
  if (Array.isArray(value)) return value.map((v) => splitTensors(v, blobs, offset));
  if (value instanceof Map) {
    return { $map: [...value.entries()].map(([k, v]) => [k, splitTensors(v, blobs, offset)]) };
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = splitTensors(v, blobs, offset);
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return { $number: String(value) };
  return value;
}

function isSafeIndex(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

// Rebuilds the value from checkpoint.json's JSON and data.bin. Every reference is checked, so a checkpoint.json
// that passes the checksum but was not written by saveCheckpoint still ends in a CheckpointError.
function joinTensors(value: unknown, data: Buffer, file: string): unknown {
  const bad = (what: string): never => {
    throw new CheckpointError(`${file}: ${what}`, 'ERR_BERTNODE_CHECKPOINT_CORRUPT');
  };
  if (Array.isArray(value)) return value.map((v) => joinTensors(v, data, file));
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (o.$tensor !== undefined) {
      const ref = o as unknown as TensorRef;
      const ctor = typeof ref.$tensor === 'string' && Object.hasOwn(DTYPES, ref.$tensor) ? DTYPES[ref.$tensor] : undefined;
      if (!ctor || !isSafeIndex(ref.offset) || !isSafeIndex(ref.length)) return bad('malformed tensor reference');
      const bytes = ref.length * ctor.BYTES_PER_ELEMENT;
      if (ref.offset + bytes > data.length) bad('tensor reference out of range');
      // Copy into a fresh buffer: the result must not alias the file buffer and must be aligned for its dtype.
      const out = new ctor(ref.length);
      new Uint8Array(out.buffer).set(data.subarray(ref.offset, ref.offset + bytes));
      return out;
    }
    if (o.$map !== undefined) {
      if (!Array.isArray(o.$map) || !o.$map.every((e) => Array.isArray(e) && e.length === 2)) return bad('malformed map');
      return new Map((o.$map as [unknown, unknown][]).map(([k, v]) => [k, joinTensors(v, data, file)]));
    }
    if (o.$number !== undefined) return typeof o.$number === 'string' ? Number(o.$number) : bad('malformed number');
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) out[k] = joinTensors(v, data, file);
    return out;
  }
  return value;
}

async function fsyncPath(p: string): Promise<void> {
  const fh = await fsp.open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function writeFileSynced(file: string, chunks: Iterable<Uint8Array>): Promise<void> {
  const fh = await fsp.open(file, 'wx');
  try {
    for (const c of chunks) {
      let written = 0;
      while (written < c.byteLength) {
        const r = await fh.write(c, written, c.byteLength - written);
        written += r.bytesWritten;
      }
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// Removes temporary directories left by saves whose process is gone (killed mid-save).
async function removeDeadSaves(root: string): Promise<void> {
  for (const entry of await fsp.readdir(root)) {
    const m = /^\.tmp-(\d+)-/.exec(entry);
    if (m && Number(m[1]) !== process.pid && !pidAlive(Number(m[1]))) {
      await fsp.rm(path.join(root, entry), { recursive: true, force: true });
    }
  }
}

export interface SaveCheckpointOptions {
  keep?: number; // complete checkpoints to keep, newest first (default 1)
}

// Saves `value` (plain JSON values, Maps and typed arrays, nested freely) as a new checkpoint named `name`
// (unique per save) and makes it the latest. Returns the checkpoint's directory.
export async function saveCheckpoint(root: string, name: string, value: unknown, options: SaveCheckpointOptions = {}): Promise<string> {
  if (!validName(name)) {
    throw new CheckpointError(`invalid checkpoint name '${name}'`, 'ERR_BERTNODE_CHECKPOINT_VALUE');
  }
  await fsp.mkdir(root, { recursive: true });
  await removeDeadSaves(root);

  const blobs: TypedArray[] = [];
  const offset = { bytes: 0 };
  const split = splitTensors(value, blobs, offset);
  const hash = createHash('sha256');
  const chunks: Uint8Array[] = [];
  for (const b of blobs) {
    const bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    const pad = new Uint8Array(Math.ceil(b.byteLength / ALIGN) * ALIGN - b.byteLength);
    hash.update(bytes);
    hash.update(pad);
    chunks.push(bytes, pad);
  }
  hash.update(JSON.stringify(split) ?? '');
  const file: CheckpointFile = { format: FORMAT, version: VERSION, byteLength: offset.bytes, sha256: hash.digest('hex'), value: split };

  const tmp = await fsp.mkdtemp(path.join(root, `.tmp-${process.pid}-`));
  await writeFileSynced(path.join(tmp, 'data.bin'), chunks);
  await writeFileSynced(path.join(tmp, 'checkpoint.json'), [Buffer.from(JSON.stringify(file))]);
  await fsyncPath(tmp);
  const finalDir = path.join(root, name);
  await fsp.rename(tmp, finalDir);
  await fsyncPath(root);

  const latestTmp = path.join(root, `.tmp-${process.pid}-latest.json`);
  await fsp.rm(latestTmp, { force: true });
  await writeFileSynced(latestTmp, [Buffer.from(JSON.stringify({ checkpoint: name }))]);
  await fsp.rename(latestTmp, path.join(root, LATEST));
  await fsyncPath(root);

  await pruneCheckpoints(root, name, options.keep ?? 1);
  return finalDir;
}

async function pruneCheckpoints(root: string, newest: string, keep: number): Promise<void> {
  const complete: { name: string; mtime: number }[] = [];
  for (const entry of await fsp.readdir(root, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.') || entry.name === newest) continue;
    const stat = await fsp.stat(path.join(root, entry.name, 'checkpoint.json')).catch(() => undefined);
    if (stat) complete.push({ name: entry.name, mtime: stat.mtimeMs });
  }
  complete.sort((a, b) => b.mtime - a.mtime);
  for (const old of complete.slice(Math.max(0, keep - 1))) {
    await fsp.rm(path.join(root, old.name), { recursive: true, force: true });
  }
}

function validName(name: string): boolean {
  return /^[A-Za-z0-9_.-]+$/.test(name) && !name.startsWith('.');
}

// Resolves a checkpoint root (with latest.json) or a checkpoint directory itself to the checkpoint directory.
// Only a missing latest.json is ERR_BERTNODE_CHECKPOINT_MISSING; a damaged one is ERR_BERTNODE_CHECKPOINT_CORRUPT.
export async function resolveCheckpoint(location: string): Promise<string> {
  const direct = await fsp.stat(path.join(location, 'checkpoint.json')).catch(() => undefined);
  if (direct) return location;
  const latestFile = path.join(location, LATEST);
  let text: string;
  try {
    text = await fsp.readFile(latestFile, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new CheckpointError(`no checkpoint in ${location} (no ${LATEST} and no checkpoint.json)`, 'ERR_BERTNODE_CHECKPOINT_MISSING', { cause: e });
    }
    return damagedLatest(location, `cannot be read: ${(e as Error).message}`, e);
  }
  let latest: unknown;
  try {
    latest = parseJson(text);
  } catch (e) {
    return damagedLatest(location, `is not JSON (${(e as Error).message})`, e);
  }
  const name = (latest as { checkpoint?: unknown } | null)?.checkpoint;
  if (typeof name !== 'string' || !validName(name)) return damagedLatest(location, 'names no checkpoint');
  return path.join(location, name);
}

async function damagedLatest(root: string, why: string, cause?: unknown): Promise<never> {
  const complete: string[] = [];
  for (const entry of await fsp.readdir(root, { withFileTypes: true }).catch(() => [])) {
    if (entry.isDirectory() && validName(entry.name) && (await fsp.stat(path.join(root, entry.name, 'checkpoint.json')).catch(() => undefined))) {
      complete.push(entry.name);
    }
  }
  const found = complete.length === 0 ? 'no complete checkpoint is beside it'
    : `complete checkpoints beside it: ${complete.sort().join(', ')}; resume from one by passing its directory`;
  throw new CheckpointError(`${path.join(root, LATEST)} ${why}, so the latest checkpoint is unknown (${found}, ` +
    `or delete ${LATEST} to start afresh)`, 'ERR_BERTNODE_CHECKPOINT_CORRUPT', { cause });
}

// True when `location` holds a checkpoint a resume would load, damaged or not: false only when there is neither a
// checkpoint.json nor a latest.json, so that a damaged latest.json is reported instead of starting afresh.
export async function hasCheckpoint(location: string): Promise<boolean> {
  return resolveCheckpoint(location).then(
    () => true,
    (e: unknown) => !(e instanceof CheckpointError && e.code === 'ERR_BERTNODE_CHECKPOINT_MISSING'),
  );
}

// Loads the latest checkpoint under `location` (a root or a checkpoint directory), verifying its checksum.
export async function loadCheckpoint(location: string): Promise<{ dir: string; value: unknown }> {
  const dir = await resolveCheckpoint(location);
  const jsonFile = path.join(dir, 'checkpoint.json');
  const corrupt = (what: string, cause?: unknown): never => {
    throw new CheckpointError(`${dir}: ${what}`, 'ERR_BERTNODE_CHECKPOINT_CORRUPT', { cause });
  };
  let parsed: unknown;
  let data: Buffer;
  try {
    parsed = parseJson(await fsp.readFile(jsonFile, 'utf8'));
    data = await fsp.readFile(path.join(dir, 'data.bin'));
  } catch (e) {
    return corrupt(`cannot read checkpoint: ${(e as Error).message}`, e);
  }
  const file = parsed as CheckpointFile;
  if (file === null || typeof file !== 'object' || file.format !== FORMAT || (file.version !== VERSION && file.version !== VERSION_DATA_ONLY)) {
    corrupt(`${jsonFile} is not a ${FORMAT} v${VERSION_DATA_ONLY} or v${VERSION} file`);
  }
  const hash = createHash('sha256').update(data);
  if (file.version === VERSION) hash.update(JSON.stringify(file.value) ?? '');
  if (data.length !== file.byteLength || hash.digest('hex') !== file.sha256) {
    corrupt(file.version === VERSION ? 'checkpoint.json or data.bin does not match the checksum written with them'
      : 'data.bin does not match the checksum written with it');
  }
  if (file.version === VERSION_DATA_ONLY) {
    process.emitWarning(`${dir} is a version 1 checkpoint: its data.bin is verified, its checkpoint.json (step, offsets) ` +
      'is not covered by a checksum; the next save writes version 2', { code: 'BERTNODE_CHECKPOINT_V1' });
  }
  return { dir, value: joinTensors(file.value, data, jsonFile) };
}
