// safetensors: an 8-byte little-endian header length N, N bytes of JSON
// {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {string: string}}, then the data buffer the
// offsets point into. Every field is checked before a byte of data is trusted. Sharded checkpoints add an
// index JSON {weight_map: {name: shard file}} beside the shards.
import { promises as fsp } from 'fs';
import * as path from 'path';
import { WeightsFormatError } from '../errors';
import { parseJson } from '../util/json';
import { DType, DTYPE_BYTES, isDType, isLittleEndianHost } from './dtype';
import { numel, openForRead, readContiguous, readExactly, TensorRef } from './tensor';

// The reference implementation refuses headers over 100 MB; a BERT header is a few tens of kB.
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface SafetensorsFile {
  tensors: TensorRef[];
  metadata: Record<string, string>;
}

export async function readSafetensors(file: string): Promise<SafetensorsFile> {
  const fh = await openForRead(file);
  let header: Buffer;
  let fileSize: number;
  try {
    fileSize = (await fh.stat()).size;
    if (fileSize < 8) throw new WeightsFormatError(file, `file is ${fileSize} bytes, too short for the 8-byte header length`);
    const lenBuf = Buffer.alloc(8);
    await readExactly(fh, file, lenBuf, 0);
    const headerLen = lenBuf.readBigUInt64LE(0);
    if (headerLen > BigInt(fileSize - 8)) {
      throw new WeightsFormatError(file, `header length ${headerLen} runs past the end of the file (${fileSize} bytes)`);
    }
    if (headerLen > BigInt(MAX_HEADER_BYTES)) throw new WeightsFormatError(file, `header length ${headerLen} exceeds ${MAX_HEADER_BYTES} bytes`);
    header = Buffer.alloc(Number(headerLen));
    await readExactly(fh, file, header, 8);
  } finally {
    await fh.close();
  }
  return parseHeader(file, header, fileSize);
}

function parseHeader(file: string, header: Buffer, fileSize: number): SafetensorsFile {
  const fail = (reason: string): never => {
    throw new WeightsFormatError(file, reason);
  };
  let json: unknown;
  try {
    json = parseJson(new TextDecoder('utf-8', { fatal: true }).decode(header));
  } catch (e) {
    fail(`header is not valid UTF-8 JSON: ${(e as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) fail('header must be a JSON object');

  const dataStart = 8 + header.length;
  const dataSize = fileSize - dataStart;
  const metadata: Record<string, string> = {};
  const tensors: TensorRef[] = [];
  const spans: Array<{ name: string; begin: number; end: number }> = [];

  for (const [name, entry] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) fail('__metadata__ must be an object');
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__.${k} must be a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    if (entry === null || typeof entry !== 'object') fail(`entry '${name}' must be an object`);
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    if (typeof dtype !== 'string' || !isDType(dtype)) fail(`tensor '${name}' has unknown dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`tensor '${name}' has an invalid shape ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(`tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as number[];
    if (begin > end) fail(`tensor '${name}' has data_offsets [${begin}, ${end}] with begin after end`);
    if (end > dataSize) fail(`tensor '${name}' data_offsets [${begin}, ${end}] run past the data buffer (${dataSize} bytes)`);
    const dims = shape as number[];
    const expectedBytes = numel(dims) * DTYPE_BYTES[dtype as DType];
    if (end - begin !== expectedBytes) {
      fail(`tensor '${name}' of shape [${dims.join(', ')}] ${dtype} needs ${expectedBytes} bytes, data_offsets give ${end - begin}`);
    }
    spans.push({ name, begin, end });
    const position = dataStart + begin;
    const count = numel(dims);
    tensors.push({
      name,
      dtype: dtype as DType,
      shape: dims,
      file,
      read: () => readContiguous(file, position, dtype as DType, count),
    });
  }

  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < spans.length; i++) {
    const prev = spans[i - 1];
    const cur = spans[i];
    if (cur.begin < prev.end) {
      fail(`tensors '${prev.name}' [${prev.begin}, ${prev.end}) and '${cur.name}' [${cur.begin}, ${cur.end}) overlap`);
    }
  }
  return { tensors, metadata };
}

// model.safetensors.index.json: {metadata?, weight_map: {tensor name: shard file name}}. Each shard is read once
// and only the tensors the index assigns to it are taken from it.
export async function readShardedSafetensors(indexFile: string): Promise<SafetensorsFile> {
  const weightMap = await readWeightMap(indexFile);
  const dir = path.dirname(indexFile);
  const byShard = new Map<string, Set<string>>();
  for (const [name, shard] of weightMap) {
    if (!byShard.has(shard)) byShard.set(shard, new Set());
    byShard.get(shard)!.add(name);
  }
  const tensors: TensorRef[] = [];
  const metadata: Record<string, string> = {};
  for (const [shard, names] of byShard) {
    const part = await readSafetensors(path.join(dir, shard));
    Object.assign(metadata, part.metadata);
    const found = new Set<string>();
    for (const t of part.tensors) {
      if (names.has(t.name)) {
        tensors.push(t);
        found.add(t.name);
      }
    }
    for (const name of names) {
      if (!found.has(name)) throw new WeightsFormatError(indexFile, `index puts tensor '${name}' in ${shard}, which does not contain it`);
    }
  }
  return { tensors, metadata };
}

// Shared by the safetensors and pytorch_model.bin indexes, which have the same layout.
export async function readWeightMap(indexFile: string): Promise<Map<string, string>> {
  let json: unknown;
  try {
    json = parseJson(await fsp.readFile(indexFile, 'utf8'));
  } catch (e) {
    throw new WeightsFormatError(indexFile, `cannot read shard index: ${(e as Error).message}`, 'ERR_BERTNODE_WEIGHTS_FORMAT', { cause: e });
  }
  const weightMap = (json as { weight_map?: unknown } | null)?.weight_map;
  if (weightMap === null || typeof weightMap !== 'object' || Array.isArray(weightMap)) {
    throw new WeightsFormatError(indexFile, "shard index has no 'weight_map' object");
  }
  const out = new Map<string, string>();
  for (const [name, shard] of Object.entries(weightMap as Record<string, unknown>)) {
    // Shard names are file names beside the index; a path would let an index point anywhere on disk.
    if (typeof shard !== 'string' || shard !== path.basename(shard) || shard === '..' || shard === '.' || shard === '') {
      throw new WeightsFormatError(indexFile, `weight_map['${name}'] must be a file name beside the index, got ${JSON.stringify(shard)}`);
    }
    out.set(name, shard);
  }
  return out;
}

export interface NamedTensor {
  name: string;
  shape: readonly number[];
  data: Float32Array;
}

// Writes an F32 safetensors file tensor by tensor (no concatenated copy), into a temporary file renamed into
// place at the end so a reader never sees half a file. The header is padded with spaces to a multiple of 8
// bytes, as the reference writer does, so the data buffer stays aligned.
export async function writeSafetensors(file: string, tensors: readonly NamedTensor[], metadata: Record<string, string> = { format: 'pt' }): Promise<void> {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    if (numel(t.shape) !== t.data.length) {
      throw new WeightsFormatError(file, `tensor '${t.name}' has ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    }
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil(headerBytes.length / 8) * 8;
  headerBytes = Buffer.concat([headerBytes, Buffer.alloc(padded - headerBytes.length, 0x20)]);
  const lenBuf = Buffer.alloc(8);
  lenBuf.writeBigUInt64LE(BigInt(headerBytes.length));

  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const fh = await fsp.open(tmp, 'w');
  try {
    await fh.write(lenBuf);
    await fh.write(headerBytes);
    for (const t of tensors) {
      const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      await fh.write(isLittleEndianHost ? bytes : toLittleEndian(t.data));
    }
    await fh.sync();
  } catch (e) {
    await fh.close();
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  await fsp.rename(tmp, file);
}

function toLittleEndian(data: Float32Array): Buffer {
  const out = Buffer.alloc(data.byteLength);
  data.forEach((v, i) => out.writeFloatLE(v, i * 4));
  return out;
}
