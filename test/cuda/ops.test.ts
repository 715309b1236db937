// Every op of the Backend interface (native/model/backend.h) run on the CUDA backend and on the CPU backend with the
// same inputs, through runBackendOp of the test-only CUDA addon (backend-ops.ts). The cases, with their tolerances
// and the reasons for them, are in scripts/gpu-check/op-cases.js, shared with the plain-node
// scripts/gpu-check/op-parity.js.
import { BackendTensors, loadCudaTestAddon } from './backend-ops';
import { describeCuda, normalizedMaxError } from './cuda-env';

interface OpCase {
  name: string;
  op: string;
  tensors: BackendTensors;
  params: Record<string, number>;
  tolerances: Record<string, number>; // output tensor name -> allowed normalizedMaxError
}

// Plain JS shared with the GPU scripts (no npm there), so it is required rather than imported.
const { cases } = require('../../scripts/gpu-check/op-cases.js') as { cases: OpCase[] };

describeCuda('CUDA backend ops match the CPU backend', () => {
  const addon = loadCudaTestAddon();
  test.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const cpu = addon.runBackendOp('cpu', 'fp32', c.op, c.tensors, c.params);
    const gpu = addon.runBackendOp('cuda', 'fp32', c.op, c.tensors, c.params);
    for (const [output, tolerance] of Object.entries(c.tolerances)) {
      const error = normalizedMaxError(gpu[output], cpu[output]);
      // Compared as an object so a failure names the output and its error.
      expect({ output, error: error <= tolerance ? 'within tolerance' : error })
        .toEqual({ output, error: 'within tolerance' });
    }
  });

  test('dropout keeps about 1 - p of the elements and scales them by 1 / (1 - p)', () => {
    const n = 100000;
    const input = new Float32Array(n).fill(1);
    const out = addon.runBackendOp('cuda', 'fp32', 'dropout', { out: new Float32Array(n), in: input },
      { n, p: 0.25, seed: 1, step: 0, site: 0 }).out;
    let kept = 0;
    for (const x of out) {
      if (x !== 0) {
        kept += 1;
        expect(x).toBeCloseTo(1 / 0.75, 6);
      }
    }
    // Binomial(100000, 0.75): the standard deviation is 137, so +-1% (1000) is over 7 sigma.
    expect(Math.abs(kept / n - 0.75)).toBeLessThan(0.01);
  });

  // The fused op is the composed ops' bits on the CPU (its one-pass kernel) and, in turn, on CUDA (the three kernels).
  test.each([0, 0.1])('dropoutAddLayerNorm (p = %p) equals dropout, add and layerNormForward in turn, bit for bit', (p) => {
    const N = 37, C = 96;
    const branch = Float32Array.from({ length: N * C }, (_, i) => Math.sin(i * 0.7) * 2);
    const input = Float32Array.from({ length: N * C }, (_, i) => Math.cos(i * 0.3) + (i % 7));
    const gamma = Float32Array.from({ length: C }, (_, i) => 1 + Math.sin(i) * 0.1);
    const beta = Float32Array.from({ length: C }, (_, i) => Math.cos(i) * 0.1);
    const mask = { seed: 11, step: 2, site: 4 };
    for (const device of ['cpu', 'cuda']) {
      const fused = addon.runBackendOp(device, 'fp32', 'dropoutAddLayerNorm', { out: new Float32Array(N * C),
        residual: new Float32Array(N * C), mean: new Float32Array(N), rstd: new Float32Array(N), branch, in: input, gamma,
        beta }, { N, C, eps: 1e-12, p, ...mask });
      const dropped = p > 0 ? addon.runBackendOp(device, 'fp32', 'dropout', { out: new Float32Array(N * C), in: branch },
        { n: N * C, p, ...mask }).out : branch;
      const residual = addon.runBackendOp(device, 'fp32', 'add', { out: new Float32Array(N * C), a: dropped, b: input },
        { n: N * C }).out;
      const normed = addon.runBackendOp(device, 'fp32', 'layerNormForward', { out: new Float32Array(N * C),
        mean: new Float32Array(N), rstd: new Float32Array(N), in: residual, gamma, beta }, { N, C, eps: 1e-12 });
      expect([device, Buffer.from(fused.residual.buffer).equals(Buffer.from(residual.buffer))]).toEqual([device, true]);
      for (const name of ['out', 'mean', 'rstd']) {
        expect([device, name, Buffer.from(fused[name].buffer).equals(Buffer.from(normed[name].buffer))])
          .toEqual([device, name, true]);
      }
    }
  });

  // The first-token layer drops its [CLS] rows with the masks the whole [B,T,C] tensor gives them.
  test('dropoutRows equals the rows of dropout over the whole tensor, bit for bit', () => {
    const B = 3, T = 5, C = 38;  // T*C = 190: rows start off the Philox blocks' 4-element grid
    const whole = Float32Array.from({ length: B * T * C }, (_, i) => Math.sin(i * 0.37) + 1.5);
    const first = new Float32Array(B * C);
    for (let b = 0; b < B; b++) first.set(whole.subarray(b * T * C, b * T * C + C), b * C);
    const mask = { p: 0.3, seed: 2 ** 40 + 9, step: 4, site: 6 };
    for (const device of ['cpu', 'cuda']) {
      const dropped = addon.runBackendOp(device, 'fp32', 'dropout', { out: new Float32Array(B * T * C), in: whole },
        { n: B * T * C, ...mask }).out;
      const rows = addon.runBackendOp(device, 'fp32', 'dropoutRows', { out: new Float32Array(B * C), in: first },
        { rows: B, C, counterRowStride: T * C, ...mask }).out;
      const expected = new Float32Array(B * C);
      for (let b = 0; b < B; b++) expected.set(dropped.subarray(b * T * C, b * T * C + C), b * C);
      expect([device, Buffer.from(rows.buffer).equals(Buffer.from(expected.buffer))]).toEqual([device, true]);
      expect(rows.some((x: number) => x === 0) && rows.some((x: number) => x !== 0)).toBe(true);
    }
  });

  test('a bad op call fails with a JS error, not a crash', () => {
    expect(() => addon.runBackendOp('cuda', 'fp32', 'no-such-op', {}, {})).toThrow(/unknown backend op/);
    expect(() => addon.runBackendOp('cuda', 'fp32', 'scale', { x: new Float32Array(4) }, {})).toThrow(/missing numeric param/);
  });
});
