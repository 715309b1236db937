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

  test('a bad op call fails with a JS error, not a crash', () => {
    expect(() => addon.runBackendOp('cuda', 'fp32', 'no-such-op', {}, {})).toThrow(/unknown backend op/);
    expect(() => addon.runBackendOp('cuda', 'fp32', 'scale', { x: new Float32Array(4) }, {})).toThrow(/missing numeric param/);
  });
});
