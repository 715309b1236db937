// float32 -> bf16, nearest even -> float32: what vcvtne2ps2bf16 (and every bf16 path here) gives for a finite value.
const scratch = new Float32Array(1);
const bits = new Uint32Array(scratch.buffer);

export function roundBf16(x: number): number {
  scratch[0] = x;
  const b = bits[0];
  bits[0] = ((b + 0x7fff + ((b >>> 16) & 1)) >>> 0) & 0xffff0000;
  return scratch[0];
}
