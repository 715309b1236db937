// The CUDA addon: where it lives, whether it can be trusted on this machine, and loading it.
//
// The CUDA build (scripts/build-cuda.js) is a separate binary, build-cuda/Release/bertnode_cuda.node, never where
// node-gyp-build looks. A CUDA binary can fail in ways a process cannot survive (a missing libcudart/libcublas, a
// driver that aborts, an unresolved symbol that ends the process at its first call), so it is first loaded in a
// child process that asks it for its devices (the addon's `cudaProbe()`); only when that child reports a usable GPU
// is the addon loaded into this process. `device: 'cuda'` without one throws ERR_BERTNODE_NO_CUDA saying why;
// `device: 'auto'` falls back to the CPU with a process warning (code BERTNODE_CUDA_FALLBACK) saying why.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { NativeError } from '../errors';
import type { RawAddon } from './addon';

export interface CudaDevice {
  index: number;
  name: string;
  computeCapability: string; // "8.0", "9.0", ...
  multiprocessors: number;
  totalBytes: number;
  freeBytes: number;
}

// What the addon's cudaProbe() returns (native/cuda/cuda_exports.h).
export interface RawCudaProbe {
  builtWithCuda: true;
  runtimeVersion: number;
  driverVersion: number;
  devices: CudaDevice[];
  error?: string;
}

// The production CUDA addon: the CPU addon's exports plus the probe (the test-only runBackendOp lives in another
// binary, bertnode_cuda_test.node, typed in test/cuda/backend-ops.ts).
export interface CudaAddon extends RawAddon {
  cudaProbe(): RawCudaProbe;
}

export interface CudaAvailability {
  available: boolean;
  // Why CUDA cannot be used (set when available is false), e.g. "bertnode was built without CUDA (...)".
  reason?: string;
  addonPath: string;
  probe?: RawCudaProbe;
}

// The oldest architecture the build carries code for (CMakeLists.txt: BERTNODE_CUDA_ARCHS = sm_80, sm_90).
const MIN_COMPUTE_CAPABILITY = 8.0;
const PROBE_TIMEOUT_MS = 60_000; // the first CUDA call initialises the driver, which can take seconds

const packageRoot = path.resolve(__dirname, '..', '..');
let cachedAvailability: CudaAvailability | undefined;
let cudaAddon: CudaAddon | undefined;
let fallbackWarned = false;

// BERTNODE_CUDA_ADDON points at another build of the CUDA addon (e.g. one built with a machine's own toolkit); a
// relative path is taken from the working directory (require() would look for it as a package name).
export function cudaAddonPath(): string {
  const override = process.env.BERTNODE_CUDA_ADDON;
  return override ? path.resolve(override) : path.join(packageRoot, 'build-cuda', 'Release', 'bertnode_cuda.node');
}

// Loads the addon in a child process and reads its probe. Runs once per process (the answer does not change).
export function cudaAvailability(): CudaAvailability {
  if (cachedAvailability === undefined) cachedAvailability = probeInChild(cudaAddonPath());
  return cachedAvailability;
}

function probeInChild(addonPath: string): CudaAvailability {
  if (!fs.existsSync(addonPath)) {
    return { available: false, addonPath,
      reason: `bertnode was built without CUDA (no ${addonPath}; build it with \`npm run build:cuda\`)` };
  }
  // A load error is caught and printed as JSON (its message names the cause: a missing libcudart, a wrong ELF);
  // a crash leaves no JSON, and stderr says what it can.
  const script = `
    let addon;
    try { addon = require(${JSON.stringify(addonPath)}); }
    catch (e) { console.log(JSON.stringify({ loadError: String(e && e.message || e).split('\\n')[0] })); process.exit(0); }
    if (typeof addon.cudaProbe !== 'function') { console.log(JSON.stringify({ missingProbe: true })); }
    else { console.log(JSON.stringify({ probe: addon.cudaProbe() })); }`;
  // LD_BIND_NOW: every symbol resolved at load, so a binary missing one is refused here, not at its first call.
  const child = spawnSync(process.execPath, ['-e', script],
    { encoding: 'utf8', timeout: PROBE_TIMEOUT_MS, env: { ...process.env, LD_BIND_NOW: '1' } });
  const lastLine = (child.stdout || '').trim().split('\n').pop() || '';
  if (child.error || child.status !== 0 || !lastLine) {
    // Node ends a crash report with its version line, which says nothing about the crash.
    const stderrLines = (child.stderr || '').split('\n').map((line) => line.trim())
      .filter((line) => line && !/^Node\.js v\d/.test(line));
    const detail = child.error ? child.error.message
      : stderrLines.slice(-3).join(' ') || `exit status ${child.status ?? child.signal}`;
    return { available: false, addonPath, reason: `the CUDA addon ${addonPath} failed to load: ${detail}` };
  }
  let answer: { loadError?: string; missingProbe?: boolean; probe?: RawCudaProbe };
  try {
    answer = JSON.parse(lastLine);
  } catch {
    return { available: false, addonPath, reason: `the CUDA addon's probe printed no result: ${lastLine}` };
  }
  if (answer.loadError) {
    return { available: false, addonPath, reason: `the CUDA addon ${addonPath} failed to load: ${answer.loadError}` };
  }
  if (answer.missingProbe || !answer.probe) {
    return { available: false, addonPath, reason: `the CUDA addon ${addonPath} has no cudaProbe export` };
  }
  return { addonPath, probe: answer.probe, ...judgeProbe(answer.probe) };
}

function judgeProbe(probe: RawCudaProbe): { available: boolean; reason?: string } {
  if (probe.error) return { available: false, reason: `no usable CUDA device: ${probe.error}` };
  if (probe.devices.length === 0) return { available: false, reason: 'no CUDA device found' };
  const usable = probe.devices.filter((d) => Number(d.computeCapability) >= MIN_COMPUTE_CAPABILITY);
  if (usable.length === 0) {
    const found = probe.devices.map((d) => `${d.name} (sm ${d.computeCapability})`).join(', ');
    return { available: false,
      reason: `no CUDA device with compute capability >= ${MIN_COMPUTE_CAPABILITY} (found ${found})` };
  }
  return { available: true };
}

// The CUDA addon, loaded into this process after a successful probe; throws ERR_BERTNODE_NO_CUDA otherwise.
export function loadCudaAddon(): CudaAddon {
  if (cudaAddon !== undefined) return cudaAddon;
  const availability = cudaAvailability();
  if (!availability.available) {
    throw new NativeError(`device 'cuda' is not available: ${availability.reason}`, 'ERR_BERTNODE_NO_CUDA');
  }
  try {
    cudaAddon = require(availability.addonPath) as CudaAddon;
  } catch (e) {
    throw new NativeError(`the CUDA addon ${availability.addonPath} could not be loaded: ${(e as Error).message}`,
      'ERR_BERTNODE_NO_CUDA', { cause: e });
  }
  return cudaAddon;
}

// 'auto' → 'cuda' when the probe finds a usable GPU, else 'cpu' with a one-time process warning saying why.
// 'cpu' and 'cuda' are returned as asked ('cuda' is checked when the addon is loaded).
export function resolveDevice(requested: 'cpu' | 'cuda' | 'auto'): 'cpu' | 'cuda' {
  if (requested !== 'auto') return requested;
  const availability = cudaAvailability();
  if (availability.available) return 'cuda';
  if (!fallbackWarned) {
    fallbackWarned = true;
    process.emitWarning(`bertnode: CUDA is not available (${availability.reason}); running on the CPU`,
      { code: 'BERTNODE_CUDA_FALLBACK' });
  }
  return 'cpu';
}
