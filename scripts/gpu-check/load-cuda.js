// Finds and probes the CUDA addon for the plain-node GPU scripts (scripts/bench-gpu.js, scripts/gpu-check/*.js),
// which must run on a GPU machine that has only node, the built addon and the committed fixtures — no npm, no
// TypeScript build. The same rules as lib/native/cuda.ts: the addon is loaded in a child process first (a broken
// CUDA binary can kill the process that loads it) and only trusted when that child sees a device of sm_80 or newer.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');

// A relative BERTNODE_CUDA_ADDON means the working directory's file (require() would take it for a package name).
function cudaAddonPath() {
  const chosen = process.env.BERTNODE_CUDA_ADDON;
  return chosen ? path.resolve(chosen) : path.join(root, 'build-cuda', 'Release', 'bertnode_cuda.node');
}

// The test-only CUDA addon (runBackendOp: native/test-addon/cuda_backend_ops.cpp), which op-parity.js and test/cuda
// need and users never do: BERTNODE_CUDA_TEST_ADDON, or where `node scripts/build-cuda.js --tests` writes it.
function cudaTestAddonPath() {
  const chosen = process.env.BERTNODE_CUDA_TEST_ADDON;
  return chosen ? path.resolve(chosen) : path.join(root, 'build-cuda', 'Release', 'bertnode_cuda_test.node');
}

// Loads the test-only CUDA addon; call it only once probeCuda() has seen the CUDA addon load (both come from the
// same build, so a binary that would crash this process has been refused by then). Throws, saying how to build it,
// when it is absent.
function loadCudaTestAddon() {
  const file = cudaTestAddonPath();
  if (!fs.existsSync(file)) {
    throw new Error(`the test-only CUDA addon is not built (no ${file}): build it with ` +
      '`node scripts/build-cuda.js --tests`');
  }
  return require(file);
}

// { available, reason?, probe?, addonPath }
function probeCuda() {
  const addonPath = cudaAddonPath();
  if (!fs.existsSync(addonPath)) {
    return { available: false, addonPath,
      reason: `bertnode was built without CUDA (no ${addonPath}; build it with \`node scripts/build-cuda.js\`)` };
  }
  // A load error is caught in the child and reported with the loader's own first line (a missing libcudart, say);
  // a crash leaves no JSON, and stderr says what it can.
  const script = `let a;
    try { a = require(${JSON.stringify(addonPath)}); }
    catch (e) { console.log(JSON.stringify({ loadError: String(e && e.message || e).split('\\n')[0] })); process.exit(0); }
    console.log(JSON.stringify(typeof a.cudaProbe === 'function' ? a.cudaProbe() : { missing: true }));`;
  const child = spawnSync(process.execPath, ['-e', script],
    { encoding: 'utf8', timeout: 60000, env: { ...process.env, LD_BIND_NOW: '1' } });
  const line = (child.stdout || '').trim().split('\n').pop();
  if (child.status !== 0 || !line) {
    const detail = (child.stderr || '').trim().split('\n').slice(-3).join(' ') || `exit status ${child.status}`;
    return { available: false, addonPath, reason: `the CUDA addon failed to load: ${detail}` };
  }
  const probe = JSON.parse(line);
  if (probe.loadError) return { available: false, addonPath, reason: `the CUDA addon failed to load: ${probe.loadError}` };
  if (probe.missing) return { available: false, addonPath, reason: 'the CUDA addon has no cudaProbe export' };
  if (probe.error) return { available: false, addonPath, probe, reason: `no usable CUDA device: ${probe.error}` };
  if (!probe.devices.some((d) => Number(d.computeCapability) >= 8)) {
    return { available: false, addonPath, probe, reason: 'no CUDA device of compute capability 8.0 or newer' };
  }
  return { available: true, addonPath, probe };
}

// The addon, after a successful probe; otherwise prints one JSON line saying why and exits 0 (not an error: the
// machine simply has no GPU to measure).
function loadCudaOrExit(metric) {
  const availability = probeCuda();
  if (!availability.available) {
    console.log(JSON.stringify({ metric, status: 'skipped', reason: availability.reason }));
    process.exit(0);
  }
  return { addon: require(availability.addonPath), probe: availability.probe };
}

module.exports = { cudaAddonPath, probeCuda, loadCudaOrExit, loadCudaTestAddon };
