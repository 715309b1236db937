// The CUDA kernels' logic checked on a machine without a GPU: every launcher of native/cuda is compiled with g++
// against shim/cuda_runtime.h, a host emulation of CUDA's execution model (threads as fibers, barriers, warp
// shuffles), and compared with the CPU ops on the same inputs (kernels_vs_cpu.cpp, which states the tolerance of
// each comparison). The GEMM launcher runs against shim/cublas_v2.h, cuBLAS's documented column-major semantics
// written out, which checks gemm.cu's row-major mapping and bf16 staging. The launch syntax
// `kernel<<<grid, block, 0, stream>>>(args)` is rewritten to `emulateLaunch(kernel, grid, block, 0, stream, args)`
// and __shared__ variables are registered so each block starts with them undefined (build.ts); nothing else in
// the .cu files changes.
//
// The comparison runs twice, with the fibers of a block (and the blocks of a grid) scheduled forward and in
// reverse between barriers: a kernel that misses a __syncthreads or depends on the order of blocks reads other
// values in one of the two orders. No kernel uses atomics, so correct kernels give the same numbers in both.
//
// This catches wrong indexing, bounds, reductions, aliasing, missing barriers and dropout masks in CI. The whole
// CUDA addon also runs under this emulation (the jest project 'cuda-emulated' runs test/cuda against it). Not
// proven here: the GPU's memory model and real scheduling (interleavings other than the two orders, warps in
// lockstep), CUDA's math functions (host libm stands in), real cuBLAS, performance.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { root, shimDir, writeEmulatedKernelSources } from './build';

// cuda_backend.cu manages the device (streams, memory, handles): the launchers are called directly here.
const NOT_EMULATED = new Set(['cuda_backend.cu']);
// The CPU ops the kernels are compared with (native/cpu/ops.h) and what they need.
const CPU_SOURCES = ['adamw', 'attention', 'cross_entropy', 'dropout', 'elementwise', 'embeddings', 'gelu',
  'head_losses', 'layernorm', 'pooling', 'thread_pool'].map((name) => path.join(root, 'native', 'cpu', `${name}.cpp`));
const SCHEDULES = ['forward', 'reverse'] as const;

interface Comparison {
  op: string;
  error: number;
  tolerance: number;
}

const comparisons: Record<string, Comparison[]> = {};
let buildError = '';

beforeAll(() => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bertnode-cuda-emulation-'));
  try {
    const kernelSources = writeEmulatedKernelSources(work, NOT_EMULATED);
    const binary = path.join(work, 'kernels_vs_cpu');
    const compile = spawnSync('g++', ['-std=c++20', '-O0', '-pthread', `-I${shimDir}`, `-I${work}`,
      `-I${path.join(root, 'native')}`, '-o', binary, path.join(__dirname, 'kernels_vs_cpu.cpp'), ...kernelSources,
      ...CPU_SOURCES], { encoding: 'utf8' });
    if (compile.status !== 0) {
      buildError = `g++ failed: ${compile.error?.message ?? compile.stderr.slice(0, 4000)}`;
      return;
    }
    for (const schedule of SCHEDULES) {
      // One CPU thread: the reference ops then run without the thread pool, which has tests of its own.
      const run = spawnSync(binary, [], { encoding: 'utf8', timeout: 120000,
        env: { ...process.env, BERTNODE_NUM_THREADS: '1', BERTNODE_EMULATION_SCHEDULE: schedule } });
      if (run.status !== 0) {
        buildError = `the emulated kernels (${schedule} schedule) did not run to the end: ` +
          `${run.error?.message ?? run.stderr.slice(0, 4000)}`;
        return;
      }
      comparisons[schedule] = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Comparison);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}, 300000);

test('the CUDA kernels compile against the emulation and run to the end in both schedules', () => {
  expect(buildError).toBe('');
  // One line per compared output of every op family (kernels_vs_cpu.cpp).
  for (const schedule of SCHEDULES) expect(comparisons[schedule].length).toBeGreaterThanOrEqual(40);
});

test.each(SCHEDULES)('every emulated CUDA kernel matches the CPU op within its stated tolerance (%s schedule)',
  (schedule) => {
    const outside = (comparisons[schedule] ?? []).filter((c) => !(c.error <= c.tolerance));
    expect(outside).toEqual([]);
  });

// Equal errors in every comparison: the kernels' results do not depend on the order their threads run in, even
// where a difference would stay inside a tolerance.
test('the forward and reverse schedules give the same numbers', () => {
  expect(comparisons.reverse).toEqual(comparisons.forward);
});
