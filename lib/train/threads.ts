// How many CPU threads the engine's pool gets. The native pool (native/cpu/thread_pool.cpp) is sized once per
// process, when the first op runs, from BERTNODE_NUM_THREADS, else the host's core count, which in a container
// limited to 2 CPUs of a 64-core host would start 64 threads fighting over 2. So before the first model is built,
// the TypeScript side sets BERTNODE_NUM_THREADS (Node writes process.env through to the C environment) to the
// `threads` option, else to the CPUs this process may really use: os.availableParallelism() (the affinity mask)
// capped by the cgroup CPU quota (/sys/fs/cgroup/cpu.max, cgroup v2).

import { readFileSync } from 'node:fs';
import * as os from 'node:os';

const CGROUP_CPU_MAX = '/sys/fs/cgroup/cpu.max';

// CPUs a cgroup v2 `cpu.max` line ("<quota> <period>", or "max <period>") allows, rounded up; undefined: no limit.
export function cgroupCpuLimit(cpuMax: string): number | undefined {
  const [quota, period] = cpuMax.trim().split(/\s+/);
  const q = Number(quota);
  const p = Number(period ?? 100000);
  if (quota === 'max' || !Number.isFinite(q) || !Number.isFinite(p) || q <= 0 || p <= 0) return undefined;
  return Math.max(1, Math.ceil(q / p));
}

export function defaultThreadCount(cpuMaxFile = CGROUP_CPU_MAX): number {
  const parallelism = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  let quota: number | undefined;
  try {
    quota = cgroupCpuLimit(readFileSync(cpuMaxFile, 'utf8'));
  } catch {
    quota = undefined; // no cgroup v2 CPU controller here: the affinity mask is the limit
  }
  return Math.max(1, Math.min(parallelism, quota ?? parallelism));
}

// Sets the pool size the engine will start with and returns it: `threads` when given, else a BERTNODE_NUM_THREADS
// the user set, else defaultThreadCount(). It takes effect only before the pool starts (the first model op of the
// process); the caller compares with the running pool's size.
export function configureThreads(threads?: number): number {
  const fromEnv = Number(process.env.BERTNODE_NUM_THREADS);
  const count = threads ?? (Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : defaultThreadCount());
  process.env.BERTNODE_NUM_THREADS = String(count);
  return count;
}
