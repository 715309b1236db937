// The CUDA kernels' logic checked on a machine without a GPU: every launcher of native/cuda is compiled with g++
// against shim/cuda_runtime.h, a host emulation of CUDA's execution model (threads, barriers, warp shuffles), and
// compared with the CPU ops on the same inputs (kernels_vs_cpu.cpp, which states the tolerance of each comparison).
// The GEMM launcher runs against shim/cublas_v2.h, cuBLAS's documented column-major semantics written out, which
// checks gemm.cu's row-major mapping and bf16 staging. The launch syntax `kernel<<<grid, block, 0, stream>>>(args)`
// is rewritten to `emulateLaunch(kernel, grid, block, 0, stream, args)`; nothing else in the .cu files changes.
//
// This catches wrong indexing, bounds, reductions, aliasing and dropout masks in CI, where test/cuda (the real GPU
// suite) skips. It does not replace that suite: the GPU's memory model, CUDA's math functions and cuBLAS are not
// exercised here.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..');
const cudaDir = path.join(root, 'native', 'cuda');
// cuda_backend.cu manages the device (streams, memory, handles): nothing there to emulate.
const NOT_EMULATED = new Set(['cuda_backend.cu']);
// The CPU ops the kernels are compared with (native/cpu/ops.h) and what they need.
const CPU_SOURCES = ['adamw', 'attention', 'cross_entropy', 'dropout', 'elementwise', 'embeddings', 'gelu',
  'layernorm', 'thread_pool'].map((name) => path.join(root, 'native', 'cpu', `${name}.cpp`));

interface Comparison {
  op: string;
  error: number;
  tolerance: number;
}

let comparisons: Comparison[] = [];
let buildError = '';

beforeAll(() => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bertnode-cuda-emulation-'));
  try {
    const emulated = path.join(work, 'cuda');
    fs.mkdirSync(emulated);
    const kernelSources: string[] = [];
    for (const file of fs.readdirSync(cudaDir)) {
      const text = fs.readFileSync(path.join(cudaDir, file), 'utf8');
      if (file.endsWith('.cu')) {
        if (NOT_EMULATED.has(file)) continue;
        const target = path.join(emulated, file.replace(/\.cu$/, '.cpp'));
        fs.writeFileSync(target, text.replace(/(\w+)<<<([\s\S]*?)>>>\(/g, 'emulateLaunch($1, $2, '));
        kernelSources.push(target);
      } else if (file.endsWith('.cuh') || file.endsWith('.h')) {
        fs.writeFileSync(path.join(emulated, file), text);
      }
    }
    const binary = path.join(work, 'kernels_vs_cpu');
    const compile = spawnSync('g++', ['-std=c++20', '-O0', '-pthread', `-I${path.join(__dirname, 'shim')}`, `-I${work}`,
      `-I${path.join(root, 'native')}`, '-o', binary, path.join(__dirname, 'kernels_vs_cpu.cpp'), ...kernelSources,
      ...CPU_SOURCES], { encoding: 'utf8' });
    if (compile.status !== 0) {
      buildError = `g++ failed: ${compile.error?.message ?? compile.stderr.slice(0, 4000)}`;
      return;
    }
    // One CPU thread: the reference ops then run without the thread pool, which has tests of its own.
    const run = spawnSync(binary, [], { encoding: 'utf8', timeout: 120000,
      env: { ...process.env, BERTNODE_NUM_THREADS: '1' } });
    if (run.status !== 0) {
      buildError = `the emulated kernels did not run to the end: ${run.error?.message ?? run.stderr.slice(0, 4000)}`;
      return;
    }
    comparisons = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Comparison);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}, 300000);

test('the CUDA kernels compile against the emulation and run to the end', () => {
  expect(buildError).toBe('');
  // One line per compared output of every op family (kernels_vs_cpu.cpp).
  expect(comparisons.length).toBeGreaterThanOrEqual(40);
});

test('every emulated CUDA kernel matches the CPU op within its stated tolerance', () => {
  const outside = comparisons.filter((c) => !(c.error <= c.tolerance));
  expect(outside).toEqual([]);
});
