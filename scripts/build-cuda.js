#!/usr/bin/env node
// Builds the CUDA addon, build-cuda/Release/bertnode_cuda.node, with cmake-js (CMakeLists.txt, -DBERTNODE_CUDA=ON).
//
// The toolkit comes from scripts/cuda-toolkit.sh: the machine's own (BERTNODE_CUDA_HOME, CUDA_HOME, nvcc on PATH,
// /usr/local/cuda) or, failing that, NVIDIA's PyPI wheels unpacked into a cache. The binary goes to its own folder,
// never build/Release where node-gyp-build looks, and is only loaded after lib/native/cuda.ts has probed it.
//
// `--tests` also builds the test-only build-cuda/Release/bertnode_cuda_test.node (runBackendOp, which test/cuda and
// scripts/gpu-check need; native/test-addon/cuda_backend_ops.cpp): on a GPU machine, `node scripts/build-cuda.js
// --tests --check` builds everything `npm run test:cuda` and the gpu-check scripts load. Users never need it.
//
// Flags: --archs "80-real;90" (CMAKE_CUDA_ARCHITECTURES syntax), --jobs N, --check (after building, load the
// addon in a child process and print what its probe sees — on a machine without a GPU that is an error message,
// which still proves the binary links and loads). Exit code 0 only when the addon was built (and, with --check,
// loaded).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const outDir = path.join(root, 'build-cuda');
const addonPath = path.join(outDir, 'Release', 'bertnode_cuda.node');
const testAddonPath = path.join(outDir, 'Release', 'bertnode_cuda_test.node');
const withTests = process.argv.includes('--tests');

function log(message) {
  process.stderr.write(`[bertnode build-cuda] ${message}\n`);
}

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

function findToolkit() {
  const result = spawnSync('bash', [path.join(__dirname, 'cuda-toolkit.sh')], {
    cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8',
  });
  if (result.status !== 0) return null;
  const lines = result.stdout.trim().split('\n');
  return lines[lines.length - 1];
}

function build(toolkit) {
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [root] });
  const archs = option('--archs', process.env.BERTNODE_CUDA_ARCHS || '80-real;90');
  const jobs = option('--jobs', String(Math.max(1, os.cpus().length)));
  const target = withTests ? 'bertnode_cuda_and_tests' : 'bertnode_cuda';
  const args = [cmakeJs, 'build', '--out', outDir, '--target', target, '--parallel', jobs,
    '--CDBERTNODE_CUDA=ON', `--CDCUDAToolkit_ROOT=${toolkit}`,
    `--CDCMAKE_CUDA_COMPILER=${path.join(toolkit, 'bin', 'nvcc')}`, `--CDBERTNODE_CUDA_ARCHS=${archs}`];
  log(`cmake-js build for CUDA architectures ${archs} with ${toolkit}`);
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  return result.status === 0 && fs.existsSync(addonPath) && (!withTests || fs.existsSync(testAddonPath));
}

// Loads the addons in a child process (a broken CUDA binary can crash the process that loads it). LD_BIND_NOW makes
// the dynamic linker resolve every symbol at load time, so a missing one fails here rather than at its first call.
function check() {
  const script = `
    const addon = require(${JSON.stringify(addonPath)});
    const probe = typeof addon.cudaProbe === 'function' ? addon.cudaProbe() : null;
    const testExports = ${withTests} ? Object.keys(require(${JSON.stringify(testAddonPath)})).sort() : undefined;
    console.log(JSON.stringify({ loaded: true, exports: Object.keys(addon).sort(), testExports, probe }));`;
  const result = spawnSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8',
    env: { ...process.env, LD_BIND_NOW: '1' } });
  if (result.status !== 0) {
    log(`the CUDA addon does not load: ${(result.stderr || '').trim()}`);
    return false;
  }
  process.stdout.write(result.stdout);
  return true;
}

function main() {
  const toolkit = findToolkit();
  if (!toolkit) {
    log('no CUDA toolkit (see scripts/cuda-toolkit.sh); the CPU build is unaffected');
    return 1;
  }
  if (!build(toolkit)) {
    log('the CUDA build failed');
    return 1;
  }
  log(`built ${[addonPath, ...(withTests ? [testAddonPath] : [])].map((p) => path.relative(root, p)).join(', ')}`);
  if (process.argv.includes('--check') && !check()) return 1;
  return 0;
}

process.exit(main());
