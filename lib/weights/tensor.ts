// One tensor of a checkpoint, known by its header before any of its bytes are read. Readers (safetensors,
// PyTorch zip, PyTorch legacy) return these; the loader reads only the tensors it keeps, each straight from the
// file at its offset into its own Float32Array, so no copy of the whole file is ever held in memory.
import { promises as fsp } from 'fs';
import { WeightsFormatError } from '../errors';
import { convertToFloat32, DType, DTYPE_BYTES, FLOAT_DTYPES, isLittleEndianHost } from './dtype';

export interface TensorRef {
  name: string;
  dtype: DType;
  shape: number[];
  file: string;
  read(): Promise<Float32Array>;
}

// Bytes converted per chunk for non-f32 dtypes: big enough to amortise the read call, small enough not to matter.
const CHUNK_ELEMENTS = 1 << 20;
// A single fs read is limited to 2 GiB; stay well below.
const MAX_READ_BYTES = 1 << 30;

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export async function readExactly(fh: fsp.FileHandle, file: string, dst: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < dst.length) {
    const len = Math.min(dst.length - done, MAX_READ_BYTES);
    let bytesRead: number;
    try {
      ({ bytesRead } = await fh.read(dst, done, len, position + done));
    } catch (e) {
      // EISDIR (a folder where a file was named), EIO: the read itself failed.
      throw new WeightsFormatError(file, `cannot read: ${(e as Error).message}`, 'ERR_BERTNODE_WEIGHTS_FORMAT', { cause: e });
    }
    if (bytesRead === 0) {
      throw new WeightsFormatError(file, `file is truncated: needed bytes ${position}..${position + dst.length}, it ends at ${position + done}`);
    }
    done += bytesRead;
  }
}

// Reads `count` contiguous elements of `dtype` at byte `position` of `file` into a new Float32Array.
export async function readContiguous(file: string, position: number, dtype: DType, count: number): Promise<Float32Array> {
  if (!FLOAT_DTYPES.has(dtype)) throw new WeightsFormatError(file, `tensor of dtype ${dtype} cannot be used as a float parameter`);
  const out = new Float32Array(count);
  const fh = await openForRead(file);
  try {
    if (dtype === 'F32' && isLittleEndianHost) {
      await readExactly(fh, file, new Uint8Array(out.buffer), position);
      return out;
    }
    const esize = DTYPE_BYTES[dtype];
    const scratch = Buffer.allocUnsafe(Math.min(count, CHUNK_ELEMENTS) * esize);
    for (let start = 0; start < count; start += CHUNK_ELEMENTS) {
      const n = Math.min(CHUNK_ELEMENTS, count - start);
      const view = scratch.subarray(0, n * esize);
      await readExactly(fh, file, view, position + start * esize);
      convertToFloat32(dtype, view, n, out, start);
    }
    return out;
  } finally {
    await fh.close();
  }
}

export async function openForRead(file: string): Promise<fsp.FileHandle> {
  try {
    return await fsp.open(file, 'r');
  } catch (e) {
    throw new WeightsFormatError(file, `cannot open: ${(e as Error).message}`, 'ERR_BERTNODE_WEIGHTS_FORMAT', { cause: e });
  }
}
