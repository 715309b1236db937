// lib/hub against a local hub stand-in (test/hub/hub-server.ts) on 127.0.0.1: redirects, resume after a
// dropped connection, 404s, checksum mismatches, concurrent downloads, stale locks, offline mode, timeouts.
import { createHash } from 'crypto';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DownloadError } from '../../lib/errors';
import { downloadFile, fetchModel, fetchUrl, hubFileUrl, modelCacheDir, resolveModel } from '../../lib/hub';
import { loadModel } from '../../lib/weights';
import { HubServer, startHubServer } from './hub-server';

const WEIGHTS = path.join(__dirname, '..', 'fixtures', 'weights');
let server: HubServer;
let cacheDir: string;

beforeEach(async () => {
  server = await startHubServer();
  cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertnode-hub-'));
});
afterEach(async () => {
  await server.close();
  fs.rmSync(cacheDir, { recursive: true, force: true });
});

const payload = (n: number, seed = 1) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed * 7) & 0xff));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

// Serves a weights fixture folder as hub repo `repo` at `main`; weights as LFS files behind a CDN redirect.
function serveFixture(repo: string, fixture: string, extra: Record<string, Buffer> = {}): void {
  const dir = path.join(WEIGHTS, fixture);
  for (const name of fs.readdirSync(dir)) {
    server.files.set(`${repo}/main/${name}`, { body: fs.readFileSync(path.join(dir, name)), lfs: /safetensors$|\.bin$/.test(name) });
  }
  server.files.set(`${repo}/main/vocab.txt`, { body: fs.readFileSync(path.join(WEIGHTS, 'vocab.txt')) });
  for (const [name, body] of Object.entries(extra)) server.files.set(`${repo}/main/${name}`, { body });
}

describe('fetchModel', () => {
  test('fetches config, vocab and sharded safetensors through redirects; the folder loads', async () => {
    serveFixture('org/tiny', 'safetensors-sharded');
    const { dir, files } = await fetchModel('org/tiny', { endpoint: server.endpoint, cacheDir });
    expect(dir).toBe(modelCacheDir('org/tiny', 'main', cacheDir));
    expect(files.sort()).toEqual(['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors',
      'model.safetensors.index.json', 'vocab.txt']);
    const loaded = await loadModel(dir);
    expect(loaded.tensors.size).toBe(41);
    // The shard went through the hub's redirect to the CDN path.
    expect(server.requests.some((r) => r.path.startsWith('/cdn/'))).toBe(true);
    // Files that do not exist were asked for once and skipped.
    expect(server.requests.filter((r) => r.path.endsWith('/tokenizer.json'))).toHaveLength(1);
  });

  test('falls back to pytorch_model.bin when there are no safetensors', async () => {
    serveFixture('org/old', 'pytorch-legacy');
    const { dir, files } = await fetchModel('org/old', { endpoint: server.endpoint, cacheDir });
    expect(files).toContain('pytorch_model.bin');
    expect((await loadModel(dir)).unused.map((u) => u.name)).toEqual(['bert.embeddings.position_ids']);
  });

  test('a second fetch is served from the cache; offline mode uses the cache only', async () => {
    serveFixture('org/tiny', 'safetensors-f32');
    await fetchModel('org/tiny', { endpoint: server.endpoint, cacheDir });
    const before = server.requests.length;
    await fetchModel('org/tiny', { endpoint: server.endpoint, cacheDir, offline: true });
    process.env.BERTNODE_OFFLINE = '1';
    try {
      await fetchModel('org/tiny', { endpoint: server.endpoint, cacheDir });
    } finally {
      delete process.env.BERTNODE_OFFLINE;
    }
    expect(server.requests.length).toBe(before);
  });

  test('offline with nothing cached: the error names the URL and the folder to fill by hand', async () => {
    serveFixture('org/tiny', 'safetensors-f32');
    const err = await fetchModel('org/tiny', { endpoint: server.endpoint, cacheDir, offline: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as DownloadError).code).toBe('ERR_BERTNODE_OFFLINE');
    expect((err as Error).message).toContain(`${server.endpoint}/org/tiny/resolve/main/config.json`);
    expect((err as Error).message).toContain(modelCacheDir('org/tiny', 'main', cacheDir));
    expect(server.requests).toHaveLength(0);
  });

  test('an unknown model: 404 on config.json, with the URL and the folder', async () => {
    const err = await fetchModel('org/none', { endpoint: server.endpoint, cacheDir, revision: 'v1.0' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as DownloadError).status).toBe(404);
    expect((err as Error).message).toMatch(/not found \(HTTP 404\)/);
    expect((err as DownloadError).url).toBe(`${server.endpoint}/org/none/resolve/v1.0/config.json`);
    expect((err as Error).message).toContain(path.join(modelCacheDir('org/none', 'v1.0', cacheDir), 'config.json'));
    // ... and what else the folder needs, or the alternative of a local folder.
    expect((err as Error).message).toMatch(/needs config\.json, vocab\.txt or tokenizer\.json, and model\.safetensors or pytorch_model\.bin/);
    expect((err as Error).message).toContain('or pass a local model folder');
  });

  test('a model without weights is an error naming what is missing', async () => {
    server.files.set('org/empty/main/config.json', { body: Buffer.from('{}') });
    server.files.set('org/empty/main/vocab.txt', { body: Buffer.from('[UNK]\n') });
    await expect(fetchModel('org/empty', { endpoint: server.endpoint, cacheDir }))
      .rejects.toThrow(/none of model\.safetensors, .*pytorch_model\.bin\.index\.json is available/);
  });

  test('the endpoint comes from BERTNODE_HF_ENDPOINT when not given', async () => {
    serveFixture('org/tiny', 'safetensors-f32');
    process.env.BERTNODE_HF_ENDPOINT = server.endpoint;
    try {
      await fetchModel('org/tiny', { cacheDir });
    } finally {
      delete process.env.BERTNODE_HF_ENDPOINT;
    }
    expect(server.requests.length).toBeGreaterThan(0);
  });

  test('a token goes to the hub host only, never to a redirect target on another host', async () => {
    const body = payload(1000);
    // localhost and 127.0.0.1 are the same server but different hosts for the token rule.
    const endpoint = server.endpoint.replace('127.0.0.1', 'localhost');
    server.files.set('org/gated/main/config.json', { body, absoluteRedirect: true });
    await downloadFile(hubFileUrl('org/gated', 'config.json', 'main', endpoint), path.join(cacheDir, 'c.json'),
      { endpoint, token: 'secret' });
    expect(server.requests.map((r) => r.authorization)).toEqual(['Bearer secret', undefined]);
  });

  test('a local folder is used as it is', async () => {
    const { dir } = await resolveModel(path.join(WEIGHTS, 'safetensors-f32'));
    expect(dir).toBe(path.join(WEIGHTS, 'safetensors-f32'));
    await expect(resolveModel('../etc/passwd')).rejects.toThrow(/neither a model folder nor a hub model id/);
  });
});

describe('downloadFile', () => {
  test('resumes with a Range request after the connection drops mid-file', async () => {
    const body = payload(200_000);
    const dest = path.join(cacheDir, 'model.safetensors');
    // Each drop waits until the client has stored what it was sent: a drop discards what the client has received
    // but not yet written (on a loaded machine that was all of it, and it started over), and this test is about
    // resuming from what was stored.
    // (The deadline only keeps a broken client from leaving this loop running after the test: the assertions then fail.)
    const stored = async (bytes: number) => {
      const deadline = Date.now() + 60_000;
      const size = async () => (await fs.promises.stat(`${dest}.part`).catch(() => undefined))?.size ?? 0;
      while ((await size()) < bytes && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    };
    server.files.set('org/big/main/model.safetensors', { body, lfs: true, dropAfter: { bytes: 70_000, times: 2, before: stored } });
    await downloadFile(hubFileUrl('org/big', 'model.safetensors', 'main', server.endpoint), dest, { endpoint: server.endpoint });
    expect(sha(fs.readFileSync(dest))).toBe(sha(body));
    const cdn = server.requests.filter((r) => r.path.startsWith('/cdn/'));
    expect(cdn.map((r) => r.range)).toEqual([undefined, 'bytes=70000-', 'bytes=140000-']);
    expect(fs.existsSync(`${dest}.part`)).toBe(false);
    expect(fs.existsSync(`${dest}.lock`)).toBe(false);
  });

  test('a transfer that stalls mid-file times out and resumes where it stopped', async () => {
    const body = payload(60_000, 6);
    server.files.set('org/x/main/stall.bin', { body, stallAfter: { bytes: 25_000, times: 1 } });
    const dest = path.join(cacheDir, 'stall.bin');
    const seen: number[] = [];
    // 2 s of silence: long enough that a loaded machine's scheduling delays never pass for a stall (300 ms did),
    // short enough to keep the test quick.
    await downloadFile(hubFileUrl('org/x', 'stall.bin', 'main', server.endpoint), dest, {
      timeoutMs: 2000,
      onProgress: (p) => seen.push(p.received),
    });
    expect(fs.readFileSync(dest).equals(body)).toBe(true);
    // One stall, one resume, from where the .part ended: all 25,000 bytes sent, unless the timeout caught some of
    // them still on their way to the file.
    const ranges = server.requests.map((r) => r.range);
    expect(ranges).toEqual([undefined, expect.stringMatching(/^bytes=\d+-$/)]);
    const resumedAt = Number(/\d+/.exec(ranges[1]!)![0]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(25_000);
    expect(seen[seen.length - 1]).toBe(60_000);
  });

  test('resumes a .part left by an earlier, interrupted process', async () => {
    const body = payload(50_000, 2);
    server.files.set('org/x/main/f.bin', { body });
    const dest = path.join(cacheDir, 'f.bin');
    fs.writeFileSync(`${dest}.part`, body.subarray(0, 12_345));
    await downloadFile(hubFileUrl('org/x', 'f.bin', 'main', server.endpoint), dest);
    expect(fs.readFileSync(dest).equals(body)).toBe(true);
    expect(server.requests.map((r) => r.range)).toEqual(['bytes=12345-']);
  });

  test('a checksum mismatch is an error and leaves no file behind', async () => {
    server.files.set('org/bad/main/model.safetensors', { body: payload(5000), lfs: true, wrongSha: true });
    const dest = path.join(cacheDir, 'model.safetensors');
    const err = await downloadFile(hubFileUrl('org/bad', 'model.safetensors', 'main', server.endpoint), dest).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as DownloadError).code).toBe('ERR_BERTNODE_CHECKSUM');
    expect((err as Error).message).toMatch(/sha256 mismatch/);
    expect(fs.existsSync(dest) || fs.existsSync(`${dest}.part`)).toBe(false);
  });

  test('a sha256 given by the caller is checked too', async () => {
    server.files.set('org/x/main/a.txt', { body: Buffer.from('hello') });
    const url = hubFileUrl('org/x', 'a.txt', 'main', server.endpoint);
    await expect(downloadFile(url, path.join(cacheDir, 'a.txt'), { sha256: sha(Buffer.from('other')) })).rejects.toThrow(/sha256 mismatch/);
    await expect(downloadFile(url, path.join(cacheDir, 'a.txt'), { sha256: sha(Buffer.from('hello')), size: 5 })).resolves.toBeDefined();
  });

  test('two concurrent downloads of one file: one transfer, both get the complete file', async () => {
    const body = payload(100_000, 3);
    server.files.set('org/c/main/model.safetensors', { body, lfs: true, slowMs: 30 });
    const url = hubFileUrl('org/c', 'model.safetensors', 'main', server.endpoint);
    const dest = path.join(cacheDir, 'model.safetensors');
    const [a, b] = await Promise.all([downloadFile(url, dest), downloadFile(url, dest)]);
    expect(a).toBe(dest);
    expect(b).toBe(dest);
    expect(fs.readFileSync(dest).equals(body)).toBe(true);
    expect(server.requests.filter((r) => r.path.startsWith('/cdn/'))).toHaveLength(1);
  });

  test('a lock left by a dead process is taken over', async () => {
    server.files.set('org/x/main/a.txt', { body: Buffer.from('content') });
    const dest = path.join(cacheDir, 'a.txt');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    fs.writeFileSync(`${dest}.lock`, JSON.stringify({ pid: Number(dead), host: os.hostname(), token: 'old' }));
    await downloadFile(hubFileUrl('org/x', 'a.txt', 'main', server.endpoint), dest);
    expect(fs.readFileSync(dest, 'utf8')).toBe('content');
    expect(fs.existsSync(`${dest}.lock`)).toBe(false);
  });

  test('a server that never answers times out with the URL in the error', async () => {
    server.files.set('org/x/main/slow.bin', { body: payload(10), stall: true });
    const url = hubFileUrl('org/x', 'slow.bin', 'main', server.endpoint);
    const started = Date.now();
    const err = await downloadFile(url, path.join(cacheDir, 'slow.bin'), { timeoutMs: 200, retries: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as Error).message).toMatch(/after 2 attempts: no data for 200 ms/);
    expect((err as DownloadError).url).toBe(url);
    // Bounds a hang only (two 200 ms attempts and a 200 ms back-off take ~0.6 s; the default timeout would take
    // 30 s per attempt): generous, so a loaded machine does not fail it.
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  test('fetchUrl caches any URL (the IMDb archive goes this way) and follows absolute redirects', async () => {
    server.files.set('data/imdb/main/aclImdb_v1.tar.gz', { body: payload(3000, 4), absoluteRedirect: true });
    const url = hubFileUrl('data/imdb', 'aclImdb_v1.tar.gz', 'main', server.endpoint);
    const file = await fetchUrl(url, { cacheDir });
    expect(path.basename(file)).toBe('aclImdb_v1.tar.gz');
    expect(file.startsWith(path.join(cacheDir, 'downloads'))).toBe(true);
    expect(fs.readFileSync(file).equals(payload(3000, 4))).toBe(true);
    expect(await fetchUrl(url, { cacheDir, offline: true })).toBe(file);
  });

  test('a refused connection is an error naming the URL', async () => {
    await server.close();
    const url = `${server.endpoint}/org/x/resolve/main/a.txt`;
    await expect(downloadFile(url, path.join(cacheDir, 'a.txt'), { retries: 0 })).rejects.toThrow(/ECONNREFUSED.*resolve\/main\/a\.txt/);
    server = await startHubServer();
  });
});

describe('across processes', () => {
  // Two node processes download the same file into the same cache at once. lib/hub is transpiled to plain
  // JavaScript for them (download.ts and what it imports), since child processes do not go through ts-jest.
  test('two processes: one transfer, both see the complete file, no lock or .part left', async () => {
    const ts = await import('typescript');
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bertnode-hub-js-'));
    const lib = path.join(__dirname, '..', '..', 'lib');
    for (const rel of ['errors.ts', 'hub/download.ts', 'hub/http.ts', 'hub/lock.ts', 'hub/settings.ts', 'util/fs.ts']) {
      const js = ts.transpileModule(fs.readFileSync(path.join(lib, rel), 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
      }).outputText;
      fs.mkdirSync(path.dirname(path.join(out, rel)), { recursive: true });
      fs.writeFileSync(path.join(out, rel.replace(/\.ts$/, '.js')), js);
    }
    const body = payload(150_000, 5);
    // The transfer stops after its first bytes until both processes have tried to take the lock (each says so on
    // stdout when it first creates the lock file, which it does only after finding no complete file), whatever
    // their start-up takes on a loaded machine: so the second one always meets the lock held by the first.
    let release!: () => void;
    const open = new Promise<void>((resolve) => (release = resolve));
    server.files.set('org/p/main/model.safetensors', { body, lfs: true, gate: { bytes: 10_000, open } });
    const url = hubFileUrl('org/p', 'model.safetensors', 'main', server.endpoint);
    const dest = path.join(cacheDir, 'model.safetensors');
    const script = `const fsp = require('fs').promises;
      const writeFile = fsp.writeFile;
      let said = false;
      fsp.writeFile = (file, data, options) => {
        if (!said && String(file).endsWith('.lock')) { said = true; process.stdout.write('locking\\n'); }
        return writeFile.call(fsp, file, data, options);
      };
      require(${JSON.stringify(path.join(out, 'hub', 'download.js'))}).downloadFile(process.argv[1], process.argv[2])
      .then((p) => process.stdout.write(p), (e) => { process.stderr.write(String(e)); process.exit(1); });`;
    const { spawn } = await import('child_process');
    let locking = 0;
    const run = () => new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['-e', script, url, dest]);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => {
        const before = stdout.includes('locking\n');
        stdout += d;
        if (!before && stdout.includes('locking\n') && ++locking === 2) release();
      });
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    try {
      const results = await Promise.all([run(), run()]);
      for (const r of results) expect(r).toEqual({ code: 0, stdout: `locking\n${dest}`, stderr: '' });
      expect(fs.readFileSync(dest).equals(body)).toBe(true);
      expect(server.requests.filter((r) => r.path.startsWith('/cdn/'))).toHaveLength(1);
      expect(fs.readdirSync(cacheDir)).toEqual(['model.safetensors']);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
