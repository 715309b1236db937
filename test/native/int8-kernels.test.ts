// The int8 Linear kernels (native/cpu/gemm_int8.h) against a float64 reference of the exact quantised arithmetic:
// per-row symmetric quantisation of x and W (scale max|row| / 127, round half to even, float32 products as the
// kernels compute them), integer dot products summed exactly in float64 (every partial sum is an integer below 2^53),
// then y = fround(fround(float(acc) * fround(sx * sw)) + bias). The kernels sum exactly in int32 and round in the same
// order, so every element must be equal, not close: a dropped k group, a wrong panel offset, a missed VNNI correction
// or a wrong rounding of one activation all change the bits.
import { Int8LinearArgs, loadTestAddon } from '../test-addon/load';
import { randomFloats } from '../gemm/kernels';

const int8 = loadTestAddon().int8;
const families = int8.families();

function roundHalfEven(v: number): number {
  const floor = Math.floor(v);
  const fraction = v - floor;
  if (fraction < 0.5) return floor;
  if (fraction > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

// One row quantised as quantize.h says, in float32 steps.
function quantizeRow(row: Float32Array): { q: Int32Array; scale: number } {
  let maxAbs = 0;
  for (const v of row) maxAbs = Math.max(maxAbs, Math.abs(v));
  const q = new Int32Array(row.length);
  if (maxAbs === 0) return { q, scale: 0 };
  const inverse = Math.fround(127 / maxAbs);
  for (let k = 0; k < row.length; k++) q[k] = Math.min(127, Math.max(-127, roundHalfEven(Math.fround(row[k] * inverse))));
  return { q, scale: Math.fround(maxAbs / 127) };
}

function reference({ x, m, k, w, n, bias }: Int8LinearArgs): Float32Array {
  const rows = Array.from({ length: m }, (_, i) => quantizeRow(x.subarray(i * k, (i + 1) * k)));
  const cols = Array.from({ length: n }, (_, j) => quantizeRow(w.subarray(j * k, (j + 1) * k)));
  const y = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let p = 0; p < k; p++) acc += rows[i].q[p] * cols[j].q[p];
      const scaled = Math.fround(Math.fround(acc) * Math.fround(rows[i].scale * cols[j].scale));
      y[i * n + j] = bias ? Math.fround(scaled + bias[j]) : scaled;
    }
  }
  return y;
}

function firstDifference(actual: Float32Array, expected: Float32Array): string | null {
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) return `element ${i}: ${actual[i]} != ${expected[i]}`;
  }
  return actual.length === expected.length ? null : `length ${actual.length} != ${expected.length}`;
}

function args(m: number, k: number, n: number, seed: number, withBias = true): Int8LinearArgs {
  // Scaled so that rows differ in magnitude (per-row scales matter) and some products overflow int16.
  const x = randomFloats(m * k, seed).map((v, i) => v * (1 + (Math.floor(i / k) % 5)));
  const w = randomFloats(n * k, seed + 1).map((v, i) => v * 0.1 * (1 + (Math.floor(i / k) % 3)));
  return { x, m, k, w, n, bias: withBias ? randomFloats(n, seed + 2) : undefined };
}

// Shapes off every block edge: 32-row blocks, 64-column blocks and 16-column panels, 64-step k tiles and 4-step groups.
const SHAPES: [number, number, number][] = [[1, 1, 1], [5, 7, 3], [33, 65, 17], [37, 130, 70], [64, 128, 64], [3, 200, 129]];

test('this CPU runs the scalar family and reports the one the model uses', () => {
  expect(families).toContain('scalar');
  expect(families).toContain(int8.activeFamily());
});

describe.each(families)('family %s', (family) => {
  test.each(SHAPES)('m=%d k=%d n=%d equals the exact reference', (m, k, n) => {
    const a = args(m, k, n, m * 1000 + k + n);
    expect(firstDifference(int8.linear({ ...a, family }), reference(a))).toBeNull();
  });

  test('without bias, zero rows (scale 0) and exact halves (round half to even)', () => {
    const m = 4, k = 5, n = 3;
    // Row 0: max 127, so the inverse scale is 1 and 0.5, 1.5, 2.5, -0.5 are exact ties (0, 2, 2, -0).
    const x = new Float32Array([127, 0.5, 1.5, 2.5, -0.5, 0, 0, 0, 0, 0, ...randomFloats(10, 9)]);
    const w = new Float32Array([...randomFloats(5, 10), 0, 0, 0, 0, 0, ...randomFloats(5, 11)]);
    const a = { x, m, k, w, n };
    const y = int8.linear({ ...a, family });
    expect(firstDifference(y, reference(a))).toBeNull();
    expect(Array.from(y.subarray(3, 6))).toEqual([0, 0, 0]); // the zero row of x
    expect(y[1]).toBe(0); // the zero row of w
  });
});

test('1, 2 and 3 threads give the same bits (a product large enough to be split)', () => {
  const a = args(130, 300, 200, 77);
  const expected = reference(a);
  for (const family of families) {
    for (const threads of [1, 2, 3]) {
      expect([family, threads, firstDifference(int8.linear({ ...a, family, threads }), expected)]).toEqual([family, threads, null]);
    }
  }
});

test('bad arguments throw typed errors before any kernel runs', () => {
  const a = args(2, 3, 4, 5);
  expect(() => int8.linear({ ...a, m: 3 })).toThrow(expect.objectContaining({ code: 'ERR_BERTNODE_INVALID_ARGUMENT' }));
  expect(() => int8.linear({ ...a, bias: new Float32Array(3) })).toThrow(/bias has 3 elements, expected 4/);
  expect(() => int8.linear({ ...a, k: 0 })).toThrow(/k must be an integer in \[1, 133000\]/);
  expect(() => int8.linear({ ...a, family: 'avx2' })).toThrow(/not available/);
  expect(() => int8.linear({ ...a, x: [1, 2] as unknown as Float32Array })).toThrow(/x must be a Float32Array/);
});
