// A lock file beside a download, so that processes (and concurrent calls in one process) fetching the same file
// take turns: the first downloads, the others wait and then find the finished file. Created with O_EXCL, so
// exactly one creator wins. Its holder refreshes its mtime while working; a lock whose holder process is gone
// (same host) or whose mtime is older than staleMs (a holder that died on another host) is taken over.
import { promises as fsp } from 'fs';
import * as os from 'os';

export interface LockOptions {
  staleMs?: number;
  pollMs?: number;
  refreshMs?: number;
}

const DEFAULTS = { staleMs: 60_000, pollMs: 100, refreshMs: 5_000 };

interface LockInfo {
  pid: number;
  host: string;
  token: string;
}

export async function withFileLock<T>(lockPath: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const opts = { ...DEFAULTS, ...options };
  const info: LockInfo = { pid: process.pid, host: os.hostname(), token: `${Date.now()}-${Math.random().toString(36).slice(2)}` };
  for (;;) {
    try {
      await fsp.writeFile(lockPath, JSON.stringify(info), { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    await takeOverIfStale(lockPath, opts.staleMs);
    await sleep(opts.pollMs);
  }
  const refresh = setInterval(() => {
    const now = new Date();
    fsp.utimes(lockPath, now, now).catch(() => undefined);
  }, opts.refreshMs);
  refresh.unref();
  try {
    return await work();
  } finally {
    clearInterval(refresh);
    await releaseIfOurs(lockPath, info.token);
  }
}

async function takeOverIfStale(lockPath: string, staleMs: number): Promise<void> {
  let text: string;
  let mtimeMs: number;
  try {
    text = await fsp.readFile(lockPath, 'utf8');
    mtimeMs = (await fsp.stat(lockPath)).mtimeMs;
  } catch {
    return; // released meanwhile
  }
  const holder = parse(text);
  // A lock being written this instant is empty for a moment: only age makes it stale.
  const deadHolder = holder !== undefined && holder.host === os.hostname() && !processAlive(holder.pid);
  if (!deadHolder && Date.now() - mtimeMs < staleMs) return;
  // Move the stale lock aside atomically; if what was moved is not the lock judged stale (another waiter took it
  // over and a new holder created a fresh one meanwhile), put it back.
  const aside = `${lockPath}.stale-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    await fsp.rename(lockPath, aside);
  } catch {
    return;
  }
  const moved = await fsp.readFile(aside, 'utf8').catch(() => '');
  if (moved !== text) await fsp.link(aside, lockPath).catch(() => undefined);
  await fsp.rm(aside, { force: true });
}

async function releaseIfOurs(lockPath: string, token: string): Promise<void> {
  const text = await fsp.readFile(lockPath, 'utf8').catch(() => '');
  if (parse(text)?.token === token) await fsp.rm(lockPath, { force: true });
}

function parse(text: string): LockInfo | undefined {
  try {
    const v = JSON.parse(text) as LockInfo;
    return typeof v.pid === 'number' && typeof v.host === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
