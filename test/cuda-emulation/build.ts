// Builds native code against the CUDA emulation in shim/ with g++ (no nvcc). Two rewrites of native/cuda's
// sources, nothing else changes: `kernel<<<grid, block, shared, stream>>>(args)` becomes
// `emulateLaunch(kernel, grid, block, shared, stream, args)`, and each `__shared__` declaration is followed by
// `emu::registerShared(&name, sizeof name);` so the emulation can hand every block undefined shared memory
// (shim/cuda_runtime.h).
//
// buildEmulatedCudaAddons() compiles the whole CUDA addon this way (the CPU sources of native/sources.txt, every
// native/cuda source, BERTNODE_WITH_CUDA as the CMake target bertnode_cuda defines it), and the test-only CUDA addon
// from the same objects (the CMake target bertnode_cuda_test: the engine without native/addon/, plus
// native/test-addon/cuda_backend_ops.cpp), into folders of their own under the OS temp dir — never build/ or
// build-cuda/, where the real loader looks — so test/cuda can run against an emulated device. Objects are cached by
// content (the source, every header, the flags), so a second run compiles only what changed; two compilers run at
// a time.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { hashOf, headerFiles, inParallel, run } from '../../native/test-addon/build';

export const root = path.resolve(__dirname, '..', '..');
export const shimDir = path.join(__dirname, 'shim');
const nativeDir = path.join(root, 'native');
const cudaDir = path.join(nativeDir, 'cuda');

export function rewriteForEmulation(source: string): string {
  return source.replace(/(\w+)<<<([\s\S]*?)>>>\(/g, 'emulateLaunch($1, $2, ')
    .replace(/__shared__\s[^;]*?(\w+)\s*((?:\[[^\]]*\]\s*)*);/g, '$& emu::registerShared(&$1, sizeof $1);');
}

// Writes native/cuda's sources rewritten into <base>/cuda: each .cu (except those in `skip`) as <name>.cpp, each
// header under its own name. Compile with -I<base> before -I native, so `#include "cuda/..."` finds the rewritten
// headers. Returns the .cpp paths.
export function writeEmulatedKernelSources(base: string, skip: ReadonlySet<string> = new Set()): string[] {
  const dir = path.join(base, 'cuda');
  fs.mkdirSync(dir, { recursive: true });
  const sources: string[] = [];
  for (const file of fs.readdirSync(cudaDir).sort()) {
    const isKernelFile = file.endsWith('.cu');
    if ((isKernelFile && skip.has(file)) || !/\.(cu|cuh|h)$/.test(file)) continue;
    const target = path.join(dir, isKernelFile ? file.replace(/\.cu$/, '.cpp') : file);
    const text = rewriteForEmulation(fs.readFileSync(path.join(cudaDir, file), 'utf8'));
    if (!fs.existsSync(target) || fs.readFileSync(target, 'utf8') !== text) {
      const partial = `${target}.${process.pid}.tmp`;
      fs.writeFileSync(partial, text);
      fs.renameSync(partial, target);  // atomic: a compiler of a concurrent build never reads half a file
    }
    if (isKernelFile) sources.push(target);
  }
  return sources;
}

const CPU_SOURCES = fs.readFileSync(path.join(nativeDir, 'sources.txt'), 'utf8').split('\n')
  .map((line) => line.replace(/#.*/, '').trim()).filter(Boolean).map((file) => path.join(root, file));
const NAPI_DIR = path.join(nativeDir, 'addon') + path.sep;
const ENGINE_SOURCES = CPU_SOURCES.filter((file) => !file.startsWith(NAPI_DIR));
const PRODUCTION_ONLY = [...CPU_SOURCES.filter((file) => file.startsWith(NAPI_DIR)),
  path.join(cudaDir, 'cuda_exports.cpp')];
const TEST_ONLY = [path.join(nativeDir, 'test-addon', 'cuda_backend_ops.cpp')];

// -fvisibility=hidden: the emulated addon shares no symbol with the CPU addon loaded into the same jest process (g++
// would otherwise make their identical inline variables one object); N-API's module entry stays exported.
// -O1: a cold build takes 20-40 s on two cores, and the emulated suite's time goes to fiber switches and the
// kernels' own loops, which -O1 already compiles to plain machine code.
const ADDON_FLAGS = ['-std=c++17', '-O1', '-fPIC', '-fvisibility=hidden', '-pthread', '-fexceptions', '-frtti',
  '-fno-math-errno', '-DNAPI_VERSION=8', '-DNODE_ADDON_API_DISABLE_DEPRECATED', '-DNAPI_CPP_EXCEPTIONS',
  '-DBERTNODE_WITH_CUDA', '-DBERTNODE_EMULATION_DEVICE_POINTERS_ONLY'];

export const emulationCacheDir = path.join(os.tmpdir(), `bertnode-cuda-emulated-${os.userInfo().uid}`);

export interface EmulatedCudaAddons {
  production: string; // bertnode_cuda.node
  test: string; // bertnode_cuda_test.node
}

// Compiles and links the emulated CUDA addon and the test-only one; returns their paths.
export async function buildEmulatedCudaAddons(jobs = 2): Promise<EmulatedCudaAddons> {
  const kernelDir = path.join(emulationCacheDir, `kernels-${hashOf(...fs.readdirSync(cudaDir).sort()
    .map((file) => fs.readFileSync(path.join(cudaDir, file), 'utf8')))}`);
  const includes = [`-I${shimDir}`, `-I${kernelDir}`, `-I${nativeDir}`,
    `-I${path.dirname(require.resolve('node-addon-api/napi.h'))}`,
    `-I${path.join(path.dirname(require.resolve('node-api-headers/package.json')), 'include')}`];
  const flags = [...ADDON_FLAGS, ...includes];
  const engine = [...ENGINE_SOURCES, ...writeEmulatedKernelSources(kernelDir)];
  const sources = [...engine, ...PRODUCTION_ONLY, ...TEST_ONLY];
  const headers = [...headerFiles(nativeDir), ...headerFiles(shimDir), ...headerFiles(kernelDir)].sort()
    .map((file) => `${file}\n${fs.readFileSync(file, 'utf8')}`).join('\n');
  const headerHash = hashOf(headers, flags.join(' '), process.version);
  const objectDir = path.join(emulationCacheDir, 'objects');
  fs.mkdirSync(objectDir, { recursive: true });
  const objects = sources.map((source) => path.join(objectDir,
    `${path.basename(source)}-${hashOf(headerHash, source, fs.readFileSync(source, 'utf8'))}.o`));
  const missing = sources.map((source, i) => ({ source, object: objects[i] })).filter((s) => !fs.existsSync(s.object));
  await inParallel(missing, jobs, async ({ source, object }) => {
    const partial = `${object}.${process.pid}.tmp`;
    await run('g++', [...flags, '-c', source, '-o', partial]);
    fs.renameSync(partial, object);  // atomic: a concurrent build never sees half an object
  });
  const objectOf = (files: string[]) => files.map((file) => objects[sources.indexOf(file)]);
  const production = await link('bertnode_cuda', objectOf([...engine, ...PRODUCTION_ONLY]));
  const test = await link('bertnode_cuda_test', objectOf([...engine, ...TEST_ONLY]));
  pruneCache([kernelDir, path.dirname(production), path.dirname(test), ...objects]);
  return { production, test };
}

// Links `objects` into <cache>/<name>-<hash of the objects>/<name>.node unless it is there already.
async function link(name: string, objects: string[]): Promise<string> {
  const addonDir = path.join(emulationCacheDir, `${name}-${hashOf(...objects)}`);
  const addon = path.join(addonDir, `${name}.node`);
  if (!fs.existsSync(addon)) {
    fs.mkdirSync(addonDir, { recursive: true });
    const partial = `${addon}.${process.pid}.tmp`;
    // N-API symbols stay undefined: node resolves them when it loads the addon.
    await run('g++', ['-shared', '-fPIC', '-pthread', '-o', partial, ...objects]);
    fs.renameSync(partial, addon);
  }
  return addon;
}

// Marks what this build used as fresh and removes cache entries nobody has used for a day (older sources' objects).
function pruneCache(used: string[]): void {
  const now = new Date();
  for (const file of used) fs.utimesSync(file, now, now);
  const dayAgo = Date.now() - 24 * 3600 * 1000;
  const entries = [...fs.readdirSync(emulationCacheDir).filter((name) => name !== 'objects')
    .map((name) => path.join(emulationCacheDir, name)),
  ...fs.readdirSync(path.join(emulationCacheDir, 'objects')).map((name) => path.join(emulationCacheDir, 'objects', name))];
  for (const entry of entries) {
    const stat = fs.statSync(entry, { throwIfNoEntry: false });  // a concurrent build may have removed it
    if (stat && stat.mtimeMs < dayAgo) fs.rmSync(entry, { recursive: true, force: true });
  }
}
