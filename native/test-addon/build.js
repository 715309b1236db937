// Builds the test-only addon, and sanitizer builds of both addons, with g++ straight from the source lists —
// never with node-gyp, so `npm install` (binding.gyp, CMakeLists.txt) has nothing of them to build for users.
//
//   buildAddons({ variant }) → { production, test }: paths of bertnode.node and bertnode_test.node
//     variant 'release' (default): the production addon is the one node-gyp built (build/Release, found by
//       node-gyp-build), and bertnode_test.node is compiled with the production flags (so benchmarks of its raw
//       kernels measure the shipped code);
//     variant 'asan': both are compiled with AddressSanitizer + UndefinedBehaviorSanitizer (npm run test:asan).
//
// The test addon holds the entry points that only tests and benchmarks need (native/test-addon/test_addon.cpp):
// the engine's finite-difference checks and the raw GEMM kernels. Its sources are the engine (native/sources.txt
// without native/addon/) plus native/test-addon/sources.txt.
//
// Objects are cached by content (source, every header under native/, flags, Node version) in the OS temp dir, so a
// second build compiles only what changed; `jobs` compilers run at a time. Linux/macOS with g++ only (as CI).
'use strict';
const { spawn } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const nativeDir = path.join(root, 'native');

function sourceList(file) {
  return fs.readFileSync(path.join(root, file), 'utf8').split('\n')
    .map((line) => line.replace(/#.*/, '').trim()).filter(Boolean);
}

const engineAndAddon = sourceList('native/sources.txt');
const SOURCES = {
  production: engineAndAddon,
  test: [...engineAndAddon.filter((file) => !file.startsWith('native/addon/')),
    ...sourceList('native/test-addon/sources.txt')],
};

// Both variants: the production addon's language and ABI settings (binding.gyp). -fvisibility=hidden: the test
// addon and the production addon share a process in some tests; hidden symbols keep each addon's inline variables
// (thread pool, kernel dispatch) its own. N-API's module entry stays exported.
const COMMON = ['-std=c++17', '-fPIC', '-fvisibility=hidden', '-pthread', '-fexceptions', '-frtti', '-fno-math-errno',
  '-DNAPI_VERSION=8', '-DNODE_ADDON_API_DISABLE_DEPRECATED', '-DNAPI_CPP_EXCEPTIONS', `-I${nativeDir}`,
  `-I${path.dirname(require.resolve('node-addon-api/napi.h', { paths: [root] }))}`,
  `-I${path.join(path.dirname(require.resolve('node-api-headers/package.json', { paths: [root] })), 'include')}`];
const VARIANTS = {
  release: { compile: ['-O3'], link: [] },
  // -O1 -g: readable reports at a bearable speed. halt_on_error is the runtime's job (ASAN_OPTIONS, test/asan).
  asan: {
    compile: ['-O1', '-g', '-fno-omit-frame-pointer', '-fsanitize=address,undefined', '-fno-sanitize-recover=undefined'],
    link: ['-fsanitize=address,undefined'],
  },
};

const cacheDir = path.join(os.tmpdir(), `bertnode-addons-${os.userInfo().uid}`);

function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => { stderr += chunk.toString(); });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve()
      : reject(new Error(`${command} ${args.join(' ')} failed:\n${stderr.slice(0, 6000)}`))));
  });
}

// Runs `work` on the items, `jobs` at a time; after a failure nothing new starts, and the call settles (with the
// first error) once the running ones have finished, so no compiler outlives a failed build.
async function inParallel(items, jobs, work) {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      try {
        await work(items[next++]);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.min(jobs, items.length) }, worker));
  const failure = results.find((r) => r.status === 'rejected');
  if (failure) throw failure.reason;
}

function hashOf(...parts) {
  const hash = crypto.createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex').slice(0, 20);
}

function headerFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return headerFiles(full);
    return /\.(h|cuh|hpp)$/.test(entry.name) ? [full] : [];
  });
}

// Writes `file` by renaming a finished temporary one, so a concurrent build never sees half a file.
async function atomically(file, make) {
  const partial = `${file}.${process.pid}.tmp`;
  await make(partial);
  fs.renameSync(partial, file);
}

async function link(name, objects, variant) {
  const dir = path.join(cacheDir, `${name}-${hashOf(...objects, VARIANTS[variant].link.join(' '))}`);
  const addon = path.join(dir, `${name}.node`);
  if (!fs.existsSync(addon)) {
    fs.mkdirSync(dir, { recursive: true });
    // N-API symbols stay undefined: node resolves them when it loads the addon.
    await atomically(addon, (out) => run('g++', ['-shared', '-fPIC', '-pthread', ...VARIANTS[variant].link, '-o', out,
      ...objects]));
  }
  return addon;
}

async function buildAddons({ variant = 'release', jobs = 2 } = {}) {
  if (!VARIANTS[variant]) throw new Error(`unknown variant '${variant}'`);
  const flags = [...COMMON, ...VARIANTS[variant].compile];
  const headerHash = hashOf(...headerFiles(nativeDir).sort().map((f) => `${f}\n${fs.readFileSync(f, 'utf8')}`),
    flags.join(' '), process.version);
  const objectDir = path.join(cacheDir, 'objects');
  fs.mkdirSync(objectDir, { recursive: true });
  const wanted = variant === 'release' ? SOURCES.test : [...new Set([...SOURCES.production, ...SOURCES.test])];
  const objectOf = new Map(wanted.map((file) => [file, path.join(objectDir,
    `${path.basename(file)}-${hashOf(headerHash, file, fs.readFileSync(path.join(root, file), 'utf8'))}.o`)]));
  const missing = wanted.filter((file) => !fs.existsSync(objectOf.get(file)));
  await inParallel(missing, jobs, (file) => atomically(objectOf.get(file),
    (out) => run('g++', [...flags, '-c', path.join(root, file), '-o', out])));
  const objects = (name) => SOURCES[name].map((file) => objectOf.get(file));
  const test = await link('bertnode_test', objects('test'), variant);
  const production = variant === 'release'
    ? require('node-gyp-build').path(root)
    : await link('bertnode', objects('production'), variant);
  return { production, test };
}

// The compile helpers are shared with test/cuda-emulation/build.ts, which builds the emulated CUDA addon the same way.
module.exports = { buildAddons, cacheDir, run, inParallel, hashOf, headerFiles };

if (require.main === module) {
  const variant = process.argv[2] || 'release';
  buildAddons({ variant }).then((paths) => console.log(JSON.stringify(paths)), (e) => {
    console.error(e.message);
    process.exit(1);
  });
}
