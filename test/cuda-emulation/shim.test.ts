// The emulation's bug detectors fire (shim_checks.cpp commits each bug on purpose): without this, a passing
// emulated suite (jest project 'cuda-emulated', kernels.test.ts) could mean the detectors are dead.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { rewriteForEmulation, shimDir } from './build';

let binary = '';
let work = '';

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'bertnode-shim-checks-'));
  binary = path.join(work, 'shim_checks');
  const source = path.join(work, 'shim_checks.cpp');
  fs.writeFileSync(source, rewriteForEmulation(fs.readFileSync(path.join(__dirname, 'shim_checks.cpp'), 'utf8')));
  const compile = spawnSync('g++', ['-std=c++17', '-O0', '-pthread', '-DBERTNODE_EMULATION_DEVICE_POINTERS_ONLY',
    `-I${shimDir}`, '-o', binary, source], { encoding: 'utf8' });
  if (compile.status !== 0) throw new Error(`g++ failed: ${compile.stderr.slice(0, 4000)}`);
}, 120000);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function run(mode: string, schedule = 'forward') {
  return spawnSync(binary, [mode], { encoding: 'utf8', timeout: 60000,
    env: { ...process.env, BERTNODE_EMULATION_SCHEDULE: schedule } });
}

test('host code reading device memory aborts, saying so', () => {
  const result = run('host-read');
  expect(result.signal).toBe('SIGABRT');
  expect(result.stderr).toContain('host code dereferenced emulated device memory');
});

test('a kernel writing past the end of a buffer aborts, saying so', () => {
  const result = run('overrun');
  expect(result.signal).toBe('SIGABRT');
  expect(result.stderr).toContain('accessed memory past the end of a device buffer');
});

test('a warp shuffle whose mask names an exited lane aborts, saying so', () => {
  const result = run('shuffle-exited');
  expect(result.signal).toBe('SIGABRT');
  expect(result.stderr).toContain('has exited');
});

test('a missing __syncthreads gives different results in the two schedules; with it, the right one in both', () => {
  const [forward, reverse] = ['forward', 'reverse'].map((schedule) => {
    const result = run('barrier', schedule);
    expect(result.status).toBe(0);
    return JSON.parse(result.stdout) as { without: (number | null)[]; with: (number | null)[] };
  });
  // Thread i reads the slot thread i + 1 writes.
  const expected = Array.from({ length: 32 }, (_, i) => ((i + 1) % 32) + 1);
  expect(forward.with).toEqual(expected);
  expect(reverse.with).toEqual(expected);
  expect(forward.without).not.toEqual(reverse.without);
  // Forward, thread i runs before thread i + 1 writes: it reads shared memory as the block found it, NaN.
  expect(forward.without.slice(0, 31)).toEqual(new Array(31).fill(null));
});

test('misuses of the runtime and cuBLAS fail with CUDA\'s status codes; device memory is counted and not zeroed', () => {
  const result = run('statuses');
  expect(result.status).toBe(0);
  expect(JSON.parse(result.stdout)).toEqual({
    newMemoryIsNaN: 1, // cudaMalloc does not zero: new memory reads as NaN, not as a lucky 0
    memGetInfoDropBytes: 1 << 20,
    copyWrongKind: 1, // cudaErrorInvalidValue
    copyPastEnd: 1,
    memsetHostMemory: 1,
    freeInterior: 1,
    launchTooManyThreads: 9, // cudaErrorInvalidConfiguration
    launchHostPointer: 700, // cudaErrorIllegalAddress
    launchDestroyedStream: 400, // cudaErrorInvalidResourceHandle
    cublasHostOperand: 13, // CUBLAS_STATUS_EXECUTION_FAILED
    cublasOperandPastEnd: 13,
    cublasNoHandle: 1, // CUBLAS_STATUS_NOT_INITIALIZED
    gemmFp32KeepsLowBits: 1,
    gemmTf32RoundsLowBits: 1,
    free: 0,
    doubleFree: 1,
    memGetInfoRestored: 1,
    mallocBeyondCapacity: 2, // cudaErrorMemoryAllocation
  });
});
