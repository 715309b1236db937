// Element types found in checkpoints and their conversion to float32. The conversions work on little-endian
// bytes (safetensors and PyTorch both store little-endian) so they are independent of the host's byte order.

export type DType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const DTYPE_BYTES: Record<DType, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

// Only floating tensors become parameters; integer ones (position_ids buffers) are listed but never converted.
export const FLOAT_DTYPES: ReadonlySet<DType> = new Set<DType>(['F64', 'F32', 'F16', 'BF16']);

// Float32Array uses the host's byte order; files are little-endian, so f32 bytes can be used as they are only here.
export const isLittleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function isDType(s: string): s is DType {
  return Object.prototype.hasOwnProperty.call(DTYPE_BYTES, s);
}

// IEEE half -> float32: subnormals, infinities and NaN included. A 64 K-entry table is cheaper than the branches
// and is built once, on first use.
let halfTable: Float32Array | undefined;
function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  halfTable = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    let v: number;
    if (exp === 0) v = frac * 2 ** -24;
    else if (exp === 31) v = frac ? NaN : Infinity;
    else v = (1 + frac / 1024) * 2 ** (exp - 15);
    halfTable[h] = sign * v;
  }
  return halfTable;
}

// Converts `count` elements of `dtype` from `src` (starting at byte 0) into `dst` starting at element `dstOffset`.
export function convertToFloat32(dtype: DType, src: Buffer, count: number, dst: Float32Array, dstOffset: number): void {
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < count; i++) dst[dstOffset + i] = src.readFloatLE(i * 4);
      return;
    case 'F64':
      for (let i = 0; i < count; i++) dst[dstOffset + i] = src.readDoubleLE(i * 8);
      return;
    case 'F16': {
      const table = halfToFloatTable();
      for (let i = 0; i < count; i++) dst[dstOffset + i] = table[src[2 * i] | (src[2 * i + 1] << 8)];
      return;
    }
    case 'BF16': {
      // bf16 is the top half of a float32: shift it into place and reinterpret.
      const bits = new Uint32Array(dst.buffer, dst.byteOffset + dstOffset * 4, count);
      for (let i = 0; i < count; i++) bits[i] = ((src[2 * i] | (src[2 * i + 1] << 8)) << 16) >>> 0;
      return;
    }
    default:
      throw new Error(`convertToFloat32: ${dtype} is not a floating type`);
  }
}
