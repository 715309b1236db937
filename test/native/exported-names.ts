// What an addon exports, as sorted dotted names ('kernels.gemmActiveIsa'), and the lists the production addons must
// match exactly (issue 10: no test-only entry point in what users load). Shared by hostile-exports.test.ts (the CPU
// addon, and a built real CUDA addon read in a child process) and test/cuda/exports.test.ts (the CUDA addons of the
// suite's build: the emulated one everywhere, the real one on a GPU).
import { spawnSync } from 'child_process';

export const PRODUCTION_EXPORTS = ['BertModel', 'kernels.gemmActiveIsa', 'numThreads', 'parameterCatalogue'];
// The CUDA addon adds only its device probe, which lib/native/cuda.ts asks before trusting the binary.
export const CUDA_PRODUCTION_EXPORTS = [...PRODUCTION_EXPORTS, 'cudaProbe'].sort();

export function exportedNames(object: object, prefix = ''): string[] {
  return Object.entries(object).flatMap(([name, value]) => (typeof value === 'object' && value !== null
    ? exportedNames(value as object, `${prefix}${name}.`) : [`${prefix}${name}`])).sort();
}

// The exported names of the addon `file`, loaded in a child process: a CUDA binary is never loaded into a process
// before its probe has passed (lib/native/cuda.ts), and reading its exports needs no GPU, only a load. Functions
// travel as the string 'function' (JSON drops them otherwise).
export function exportedNamesInChild(file: string): string[] {
  const script = `console.log(JSON.stringify(require(${JSON.stringify(file)}),
    (key, value) => (typeof value === 'function' ? 'function' : value)))`;
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60000 });
  if (child.status !== 0) throw new Error(`${file} did not load: ${child.stderr || child.error}`);
  return exportedNames(JSON.parse(child.stdout) as object);
}
