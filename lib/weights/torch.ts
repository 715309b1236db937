// pytorch_model.bin in both layouts torch.save has written:
//  - zip (torch >= 1.6): `<prefix>/data.pkl` (the state dict, tensors as persistent ids
//    ('storage', StorageType, key, location, numel)) and one stored entry `<prefix>/data/<key>` per storage;
//  - legacy (older, or _use_new_zipfile_serialization=False): five pickles in a row — magic number, protocol
//    version, sys info, the state dict (persistent ids ('storage', StorageType, key, location, numel, view)),
//    the list of storage keys — then, for each key in that order, an int64 element count and the raw bytes.
// Both go through the restricted unpickler; tensors are read from their storage's offset only when asked for.
import { WeightsFormatError } from '../errors';
import { convertToFloat32, DType, DTYPE_BYTES, FLOAT_DTYPES } from './dtype';
import { describe, isTensorView, PickleTruncated, PyDict, PyGlobal, TensorView, unpickle } from './pickle';
import { numel, openForRead, readContiguous, readExactly, TensorRef } from './tensor';
import { readZipDirectory, readZipEntry, ZipEntry } from './zip';

const STORAGE_DTYPES: Record<string, DType> = {
  'torch.FloatStorage': 'F32', 'torch.HalfStorage': 'F16', 'torch.BFloat16Storage': 'BF16', 'torch.DoubleStorage': 'F64',
  'torch.LongStorage': 'I64', 'torch.IntStorage': 'I32', 'torch.ShortStorage': 'I16', 'torch.CharStorage': 'I8',
  'torch.ByteStorage': 'U8', 'torch.BoolStorage': 'BOOL',
};

// What the small entries of a torch.save archive can legitimately hold: `byteorder` is "little" or "big"; data.pkl
// is about 100 bytes per tensor (BERT-base: 25 kB), so 64 MiB is room for over half a million tensors.
const MAX_BYTEORDER_BYTES = 16;
const MAX_PICKLE_BYTES = 64 * 1024 * 1024;

// The legacy format starts with this number, pickled.
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

interface StorageRef {
  key: string;
  dtype: DType;
  elementOffset: number; // legacy views start inside their root storage
  numel: number;
}

// Reads `count` elements starting at element `start` of storage `key` as float32.
type StorageReader = (key: string, dtype: DType, start: number, count: number) => Promise<Float32Array>;

export async function readPytorchBin(file: string): Promise<TensorRef[]> {
  const fh = await openForRead(file);
  const head = Buffer.alloc(4);
  let size: number;
  try {
    size = (await fh.stat()).size;
    if (size < 4) throw new WeightsFormatError(file, `file is ${size} bytes, too short for a PyTorch checkpoint`);
    await readExactly(fh, file, head, 0);
  } finally {
    await fh.close();
  }
  if (head.readUInt32LE(0) === 0x04034b50) return readZipFormat(file);
  if (head[0] === 0x80) return readLegacyFormat(file, size);
  throw new WeightsFormatError(file, 'not a PyTorch checkpoint (neither a zip archive nor a legacy pickle stream)');
}

function storageLoader(file: string, stored: Map<string, StorageRef>) {
  return (pid: unknown): StorageRef => {
    if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) {
      throw new WeightsFormatError(file, `unexpected persistent id ${describe(pid)}`);
    }
    const [, type, key, , count, view] = pid;
    const dtype = type instanceof PyGlobal ? STORAGE_DTYPES[type.name] : undefined;
    if (!dtype) throw new WeightsFormatError(file, `persistent id with unknown storage type ${describe(type)}`);
    if (typeof key !== 'string' || !Number.isSafeInteger(count) || (count as number) < 0) {
      throw new WeightsFormatError(file, `malformed storage persistent id ${describe(pid)}`);
    }
    const root: StorageRef = { key, dtype, elementOffset: 0, numel: count as number };
    const known = stored.get(key);
    if (known && known.dtype !== dtype) throw new WeightsFormatError(file, `storage ${key} is used with two dtypes`);
    stored.set(key, root);
    // Legacy views: (view_key, offset, view_size) inside the root storage.
    if (Array.isArray(view)) {
      const [, offset, viewSize] = view;
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(viewSize) || offset + viewSize > root.numel) {
        throw new WeightsFormatError(file, `storage view ${describe(view)} runs past storage ${key}`);
      }
      return { key, dtype, elementOffset: offset, numel: viewSize };
    }
    return root;
  };
}

async function readZipFormat(file: string): Promise<TensorRef[]> {
  const entries = await readZipDirectory(file);
  const pkl = [...entries.keys()].find((n) => n === 'data.pkl' || n.endsWith('/data.pkl'));
  if (pkl === undefined) throw new WeightsFormatError(file, 'zip archive has no data.pkl: not a torch.save checkpoint');
  const prefix = pkl.slice(0, pkl.length - 'data.pkl'.length);
  const byteorder = entries.get(`${prefix}byteorder`);
  if (byteorder && (await readZipEntry(file, byteorder, MAX_BYTEORDER_BYTES)).toString('latin1') !== 'little') {
    throw new WeightsFormatError(file, 'big-endian checkpoints are not supported');
  }
  const pickle = await readZipEntry(file, entries.get(pkl)!, MAX_PICKLE_BYTES);
  const storages = new Map<string, StorageRef>();
  const { value } = parsePickle(file, pickle, storageLoader(file, storages));

  const storageEntry = (key: string): ZipEntry => {
    const entry = entries.get(`${prefix}data/${key}`);
    if (!entry) throw new WeightsFormatError(file, `storage ${key} is missing from the archive`);
    return entry;
  };
  for (const s of storages.values()) {
    const entry = storageEntry(s.key);
    if (entry.size < storageBytes(s)) {
      throw new WeightsFormatError(file, `storage ${s.key} holds ${entry.size} bytes, ${s.numel} ${s.dtype} elements need ${storageBytes(s)}`);
    }
  }
  const read: StorageReader = async (key, dtype, start, count) => {
    const entry = storageEntry(key);
    const esize = DTYPE_BYTES[dtype];
    if (entry.method === 0) return readContiguous(file, entry.dataOffset + start * esize, dtype, count);
    const bytes = await readZipEntry(file, entry, storageBytes(storages.get(key)!));
    const out = new Float32Array(count);
    convertToFloat32(dtype, bytes.subarray(start * esize, (start + count) * esize), count, out, 0);
    return out;
  };
  return tensorRefs(file, value, read);
}

function storageBytes(s: StorageRef): number {
  return s.numel * DTYPE_BYTES[s.dtype];
}

async function readLegacyFormat(file: string, fileSize: number): Promise<TensorRef[]> {
  // The pickles are small (a few tens of kB for BERT-base) and come first; read a growing prefix of the file
  // until they all parse, never the storages behind them. Like a zip's data.pkl, they get at most MAX_PICKLE_BYTES.
  const limit = Math.min(fileSize, MAX_PICKLE_BYTES);
  let prefixLen = Math.min(limit, 1 << 16);
  for (;;) {
    const prefix = Buffer.alloc(prefixLen);
    const fh = await openForRead(file);
    try {
      await readExactly(fh, file, prefix, 0);
    } finally {
      await fh.close();
    }
    try {
      return await parseLegacy(file, prefix, fileSize);
    } catch (e) {
      if (!(e instanceof PickleTruncated)) throw e;
      if (prefixLen === fileSize) throw new WeightsFormatError(file, `pickle is truncated: ${e.message}`);
      if (prefixLen === limit) throw new WeightsFormatError(file, `the pickles do not end within their first ${limit} bytes`);
      prefixLen = Math.min(limit, prefixLen * 4);
    }
  }
}

async function parseLegacy(file: string, buf: Buffer, fileSize: number): Promise<TensorRef[]> {
  const noPersistent = { file };
  const magic = unpickle(buf, 0, noPersistent);
  if (magic.value !== LEGACY_MAGIC) throw new WeightsFormatError(file, 'not a PyTorch checkpoint (legacy magic number missing)');
  const protocol = unpickle(buf, magic.end, noPersistent);
  if (protocol.value !== 1001) throw new WeightsFormatError(file, `unsupported legacy protocol version ${describe(protocol.value)}`);
  const sysInfo = unpickle(buf, protocol.end, noPersistent);
  if (sysInfo.value instanceof PyDict && sysInfo.value.map.get('little_endian') === false) {
    throw new WeightsFormatError(file, 'big-endian checkpoints are not supported');
  }
  const storages = new Map<string, StorageRef>();
  const result = unpickle(buf, sysInfo.end, { file, persistentLoad: storageLoader(file, storages) });
  const keys = unpickle(buf, result.end, noPersistent);
  if (!Array.isArray(keys.value) || !keys.value.every((k) => typeof k === 'string')) {
    throw new WeightsFormatError(file, 'legacy storage key list is malformed');
  }

  // Storage bytes follow in key order, each behind its int64 element count.
  const dataAt = new Map<string, number>();
  let pos = keys.end;
  const fh = await openForRead(file);
  try {
    const countBuf = Buffer.alloc(8);
    for (const key of keys.value as string[]) {
      const s = storages.get(key);
      if (!s) throw new WeightsFormatError(file, `storage ${key} is listed but no tensor uses it`);
      if (pos + 8 > fileSize) throw new WeightsFormatError(file, `file is truncated before storage ${key}`);
      await readExactly(fh, file, countBuf, pos);
      const count = Number(countBuf.readBigInt64LE(0));
      if (count !== s.numel) throw new WeightsFormatError(file, `storage ${key} has ${count} elements, the pickle says ${s.numel}`);
      const end = pos + 8 + count * DTYPE_BYTES[s.dtype];
      if (end > fileSize) throw new WeightsFormatError(file, `file is truncated inside storage ${key} (needs ${end} bytes, has ${fileSize})`);
      dataAt.set(key, pos + 8);
      pos = end;
    }
  } finally {
    await fh.close();
  }
  for (const key of storages.keys()) {
    if (!dataAt.has(key)) throw new WeightsFormatError(file, `storage ${key} is used but not stored`);
  }
  const read: StorageReader = (key, dtype, start, count) => readContiguous(file, dataAt.get(key)! + start * DTYPE_BYTES[dtype], dtype, count);
  return tensorRefs(file, result.value, read);
}

function parsePickle(file: string, data: Buffer, persistentLoad: (pid: unknown) => unknown): { value: unknown } {
  try {
    return unpickle(data, 0, { file, persistentLoad });
  } catch (e) {
    if (e instanceof PickleTruncated) throw new WeightsFormatError(file, `pickle is truncated: ${e.message}`);
    throw e;
  }
}

// Training scripts often save {'state_dict': ..., 'epoch': ...} or {'model_state_dict': ...}; take the inner dict.
const WRAPPER_KEYS = ['state_dict', 'model_state_dict', 'model'];

function tensorRefs(file: string, value: unknown, read: StorageReader): TensorRef[] {
  if (!(value instanceof PyDict)) throw new WeightsFormatError(file, 'checkpoint does not hold a dict of tensors');
  let dict = value;
  if (![...dict.map.values()].some(isTensorView)) {
    const inner = WRAPPER_KEYS.map((k) => dict.map.get(k)).find((v) => v instanceof PyDict);
    if (!inner) throw new WeightsFormatError(file, 'checkpoint holds no tensors (and no state_dict / model_state_dict / model entry)');
    dict = inner as PyDict;
  }
  const refs: TensorRef[] = [];
  for (const [name, v] of dict.map) {
    if (typeof name !== 'string') throw new WeightsFormatError(file, `state dict key ${describe(name)} is not a string`);
    if (!isTensorView(v)) throw new WeightsFormatError(file, `state dict entry '${name}' is not a tensor`);
    refs.push(tensorRef(file, name, v, read));
  }
  return refs;
}

function tensorRef(file: string, name: string, view: TensorView, read: StorageReader): TensorRef {
  const storage = view.storage as StorageRef;
  if (typeof storage !== 'object' || storage === null || typeof storage.key !== 'string') {
    throw new WeightsFormatError(file, `tensor '${name}' has no storage`);
  }
  const count = numel(view.shape);
  // Reading builds `count` floats. A view with more elements than its storage repeats them (a stride of 0, as
  // expand() makes): never a parameter, and a 4-byte storage could otherwise ask for gigabytes.
  if (count > storage.numel) {
    throw new WeightsFormatError(file, `tensor '${name}' [${view.shape.join(', ')}] has more elements than its storage of ${storage.numel}`);
  }
  // Largest element index the view touches; it must lie inside the storage.
  const last = count === 0 ? -1 : view.shape.reduce((acc, d, i) => acc + (d - 1) * view.stride[i], view.storageOffset);
  if (last >= storage.numel) {
    throw new WeightsFormatError(file, `tensor '${name}' [${view.shape.join(', ')}] at offset ${view.storageOffset} runs past its storage of ${storage.numel} elements`);
  }
  const contiguous = isContiguous(view.shape, view.stride);
  return {
    name,
    dtype: storage.dtype,
    shape: view.shape,
    file,
    read: async () => {
      if (!FLOAT_DTYPES.has(storage.dtype)) throw new WeightsFormatError(file, `tensor '${name}' of dtype ${storage.dtype} cannot be used as a float parameter`);
      if (count === 0) return new Float32Array(0);
      const start = storage.elementOffset + view.storageOffset;
      if (contiguous) return read(storage.key, storage.dtype, start, count);
      const span = await read(storage.key, storage.dtype, start, last - view.storageOffset + 1);
      return gather(span, view.shape, view.stride);
    },
  };
}

function isContiguous(shape: number[], stride: number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}

// Copies a strided view (e.g. a transposed weight saved without .contiguous()) into row-major order.
function gather(span: Float32Array, shape: number[], stride: number[]): Float32Array {
  const out = new Float32Array(numel(shape));
  const idx = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < shape.length; d++) src += idx[d] * stride[d];
    out[o] = span[src];
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}
