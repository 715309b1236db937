// fp32 ↔ bf16 / fp16 conversions for the frozen-layer cache's storage: encoding rounds to nearest even, decoding is
// exact.

import { FrozenCacheError } from '../errors';

export type StoredDtype = 'bf16' | 'fp16' | 'fp32';

// fp32 → bf16, round to nearest even (values are finite).
function toBf16(src: Float32Array, dst: Uint16Array): void {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < bits.length; i++) {
    const u = bits[i];
    dst[i] = ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
  }
}

// fp32 → fp16, round to nearest even, subnormals kept; |x| ≥ 65520 (fp16 overflow) is an error, not Infinity.
function toFp16(src: Float32Array, dst: Uint16Array): void {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i];
    const sign = (x >>> 16) & 0x8000;
    const e = ((x >>> 23) & 0xff) - 112; // fp16 biased exponent
    let mant = x & 0x7fffff;
    let h: number;
    if (e <= 0) {
      if (e < -10) {
        h = 0;
      } else {
        mant |= 0x800000;
        const shift = 14 - e;
        h = mant >>> shift;
        const rest = mant & ((1 << shift) - 1), half = 1 << (shift - 1);
        if (rest > half || (rest === half && (h & 1))) h++;
      }
    } else {
      h = (e << 10) | (mant >>> 13);
      const rest = mant & 0x1fff;
      if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++;
    }
    if (h >= 0x7c00) {
      throw new FrozenCacheError('ERR_BERTNODE_FROZEN_CACHE_OPTIONS', `hidden value ${src[i]} is outside fp16's range; use dtype 'bf16' or 'fp32'`);
    }
    dst[i] = sign | h;
  }
}

let halfTable: Float32Array | undefined;
function fp16Table(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) {
      const s = h & 0x8000 ? -1 : 1, e = (h >>> 10) & 0x1f, m = h & 0x3ff;
      halfTable[h] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1024 + m) * 2 ** (e - 25);
    }
  }
  return halfTable;
}

// Decodes `count` stored values from `src` into dst[offset ..].
export function decodeValues(dtype: StoredDtype, src: Uint16Array | Float32Array, dst: Float32Array, offset: number): void {
  if (dtype === 'fp32') {
    dst.set(src as Float32Array, offset);
  } else if (dtype === 'bf16') {
    const out = new Uint32Array(dst.buffer, dst.byteOffset + offset * 4, src.length);
    for (let i = 0; i < src.length; i++) out[i] = src[i] << 16;
  } else {
    const table = fp16Table();
    for (let i = 0; i < src.length; i++) dst[offset + i] = table[src[i]];
  }
}

export function encodeValues(dtype: StoredDtype, values: Float32Array): Uint16Array | Float32Array {
  if (dtype === 'fp32') return Float32Array.from(values);
  const out = new Uint16Array(values.length);
  (dtype === 'bf16' ? toBf16 : toFp16)(values, out);
  return out;
}
