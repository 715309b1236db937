// Downloads one URL to one path: into `<path>.part` under a lock, resumed with Range requests after a dropped
// connection, checked against the size and sha256 the server announces (or the caller knows), then renamed into
// place — so `<path>` only ever exists complete and verified.
import { createHash } from 'crypto';
import { createReadStream, createWriteStream, promises as fsp } from 'fs';
import * as path from 'path';
import { pipeline } from 'stream/promises';
import { Transform } from 'stream';
import { DownloadError } from '../errors';
import { HttpFailure, httpGet } from './http';
import { withFileLock } from './lock';
import { DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS, HubOptions, isOffline, resolveEndpoint, resolveToken } from './settings';
import { pathExists } from '../util/fs';

export interface DownloadOptions extends HubOptions {
  sha256?: string;
  size?: number;
  // Appended to error messages (e.g. which other files the model needs beside this one).
  hint?: string;
}

export interface Expected {
  sha256?: string;
  size?: number;
}

export async function downloadFile(url: string, destination: string, opts: DownloadOptions = {}): Promise<string> {
  if (await pathExists(destination)) return destination;
  if (isOffline(opts)) {
    throw new DownloadError(url, destination, 'offline mode is on (BERTNODE_OFFLINE / HF_HUB_OFFLINE) and the file is not in the cache',
      { code: 'ERR_BERTNODE_OFFLINE', hint: opts.hint });
  }
  await fsp.mkdir(path.dirname(destination), { recursive: true });
  return withFileLock(`${destination}.lock`, async () => {
    // Another process (or call) may have finished it while this one waited for the lock.
    if (await pathExists(destination)) return destination;
    await fetchVerified(url, destination, opts);
    return destination;
  });
}

async function fetchVerified(url: string, destination: string, opts: DownloadOptions): Promise<void> {
  const part = `${destination}.part`;
  const retries = opts.retries ?? DEFAULT_RETRIES;
  const expected: Expected = { sha256: opts.sha256?.toLowerCase(), size: opts.size };
  const endpointHost = new URL(resolveEndpoint(opts)).host;
  const token = resolveToken(opts);
  let lastError: Error | undefined;

  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await sleep(Math.min(2000, 100 * 2 ** attempt));
    try {
      const done = await fetchAttempt(url, part, destination, expected, {
        timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        token: token ? { host: endpointHost, value: token } : undefined,
      }, opts);
      if (done) {
        await verify(url, part, destination, expected, opts.hint);
        await fsp.rename(part, destination);
        return;
      }
    } catch (e) {
      if (e instanceof DownloadError) throw e;
      if (!(e instanceof HttpFailure) || !e.transient) {
        throw new DownloadError(url, destination, `download failed: ${(e as Error).message}`, { cause: e, hint: opts.hint });
      }
      lastError = e;
    }
  }
  throw new DownloadError(url, destination, `download failed after ${retries + 1} attempts: ${lastError?.message ?? 'incomplete'}`,
    { cause: lastError, hint: opts.hint });
}

// One request: appends to the .part file from where it ends. Returns true when the file is complete; throws
// HttpFailure (transient) when the connection dropped, so the caller resumes.
async function fetchAttempt(url: string, part: string, destination: string, expected: Expected,
  getOpts: { timeoutMs: number; token?: { host: string; value: string } }, opts: DownloadOptions): Promise<boolean> {
  let have = await sizeOf(part);
  if (expected.size !== undefined && have > expected.size) {
    await fsp.rm(part, { force: true });
    have = 0;
  }
  const headers: Record<string, string> = have > 0 ? { range: `bytes=${have}-` } : {};
  const { response, hops } = await httpGet(url, { ...getOpts, headers });
  learnExpected(hops, expected);
  const status = response.statusCode ?? 0;

  if (status === 416) {
    response.resume();
    const total = parseTotal(response.headers['content-range']);
    if (total !== undefined && total === have) return true;
    await fsp.rm(part, { force: true });
    throw new HttpFailure('server refused the resume range', url, true, status);
  }
  if (status !== 200 && status !== 206) {
    response.resume();
    const reason = status === 404 ? 'not found (HTTP 404)'
      : status === 401 || status === 403 ? `access denied (HTTP ${status}; a gated or private model needs HF_TOKEN)`
        : `HTTP ${status}`;
    if (status >= 500 || status === 429) throw new HttpFailure(reason, url, true, status);
    throw new DownloadError(url, destination, reason, { status, hint: opts.hint });
  }

  let offset = 0;
  let total: number | undefined;
  if (status === 206) {
    const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(String(response.headers['content-range'] ?? ''));
    offset = range ? Number(range[1]) : -1;
    total = range && range[3] !== '*' ? Number(range[3]) : undefined;
    if (offset !== have) {
      response.resume();
      await fsp.rm(part, { force: true });
      throw new HttpFailure(`server resumed at byte ${offset}, expected ${have}`, url, true, status);
    }
  } else {
    const length = response.headers['content-length'];
    total = length !== undefined ? Number(length) : undefined;
  }
  if (expected.size === undefined && total !== undefined) expected.size = total;
  // A 200 to a Range request means the server starts over: so does the .part file.
  const out = createWriteStream(part, { flags: status === 206 ? 'a' : 'w' });
  let received = offset;
  const progress = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      received += chunk.length;
      opts.onProgress?.({ url, destination, received, total: expected.size });
      cb(null, chunk);
    },
  });
  try {
    await pipeline(response, progress, out);
  } catch (e) {
    // pipeline rejects without waiting for the file stream to close: a write still in flight would land after the
    // next attempt has measured the .part (and appended from there), duplicating bytes. Resume only once it is shut.
    await new Promise<void>((resolve) => (out.closed ? resolve() : out.once('close', () => resolve())));
    throw new HttpFailure(`connection dropped after ${received} bytes: ${(e as Error).message}`, url, true);
  }
  if (!response.complete || (total !== undefined && received < total)) {
    throw new HttpFailure(`connection dropped after ${received} of ${total ?? '?'} bytes`, url, true);
  }
  return true;
}

// The hub's conventions: X-Linked-Etag / X-Linked-Size for LFS files (the etag is the sha256), an ETag that is a
// 64-hex-digit string is a sha256 too (a 40-digit one is a git blob id and is not used).
function learnExpected(hops: ReadonlyArray<Record<string, string | string[] | undefined>>, expected: Expected): void {
  for (const h of hops) {
    const linked = unquote(h['x-linked-etag']);
    const etag = unquote(h.etag);
    const sha = [linked, etag].find((v) => v !== undefined && /^[0-9a-f]{64}$/i.test(v));
    if (expected.sha256 === undefined && sha) expected.sha256 = sha.toLowerCase();
    const size = h['x-linked-size'];
    if (expected.size === undefined && typeof size === 'string' && /^\d+$/.test(size)) expected.size = Number(size);
  }
}

async function verify(url: string, part: string, destination: string, expected: Expected, hint?: string): Promise<void> {
  const size = await sizeOf(part);
  if (expected.size !== undefined && size !== expected.size) {
    await fsp.rm(part, { force: true });
    throw new DownloadError(url, destination, `size mismatch: got ${size} bytes, expected ${expected.size}`, { code: 'ERR_BERTNODE_CHECKSUM', hint });
  }
  if (expected.sha256 !== undefined) {
    const hash = createHash('sha256');
    await pipeline(createReadStream(part), hash);
    const actual = hash.digest('hex');
    if (actual !== expected.sha256) {
      await fsp.rm(part, { force: true });
      throw new DownloadError(url, destination, `sha256 mismatch: got ${actual}, expected ${expected.sha256}`, { code: 'ERR_BERTNODE_CHECKSUM', hint });
    }
  }
}

function parseTotal(contentRange: string | undefined): number | undefined {
  const m = /\/(\d+)$/.exec(contentRange ?? '');
  return m ? Number(m[1]) : undefined;
}

function unquote(v: string | string[] | undefined): string | undefined {
  if (typeof v !== 'string') return undefined;
  return v.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await fsp.stat(file)).size;
  } catch {
    return 0;
  }
}


function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
