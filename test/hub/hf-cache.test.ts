// A model already in the Hugging Face hub cache (laid out here as huggingface_hub writes it: content-addressed
// blobs, snapshot entries that are symlinks to them, refs/<branch> holding the commit) is read in place: no request
// reaches the hub. An incomplete snapshot, an unknown branch or a missing cache fall back to downloading.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fetchModel, resolveHfHubCache } from '../../lib/hub';
import { loadModel } from '../../lib/weights';
import { HubServer, startHubServer } from './hub-server';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'weights', 'safetensors-f32');
const VOCAB = path.join(__dirname, '..', 'fixtures', 'weights', 'vocab.txt');
const COMMIT = 'a'.repeat(32) + '0123abcd';

let server: HubServer;
let tmp: string;
beforeEach(async () => {
  server = await startHubServer();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bertnode-hf-cache-'));
});
afterEach(async () => {
  await server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

// Writes `files` as huggingface_hub does and returns the snapshot folder.
function writeHfCache(hubCache: string, repoId: string, files: Record<string, string>, ref = 'main'): string {
  const repoDir = path.join(hubCache, `models--${repoId.replace('/', '--')}`);
  const snapshot = path.join(repoDir, 'snapshots', COMMIT);
  fs.mkdirSync(path.join(repoDir, 'blobs'), { recursive: true });
  fs.mkdirSync(snapshot, { recursive: true });
  fs.mkdirSync(path.join(repoDir, 'refs'), { recursive: true });
  fs.writeFileSync(path.join(repoDir, 'refs', ref), COMMIT);
  for (const [name, source] of Object.entries(files)) {
    const body = fs.readFileSync(source);
    const blob = createHash('sha256').update(body).digest('hex');
    fs.writeFileSync(path.join(repoDir, 'blobs', blob), body);
    fs.symlinkSync(path.join('..', '..', 'blobs', blob), path.join(snapshot, name));
  }
  return snapshot;
}

const MODEL_FILES = {
  'config.json': path.join(FIXTURE, 'config.json'), 'model.safetensors': path.join(FIXTURE, 'model.safetensors'),
  'vocab.txt': VOCAB,
};

function serveModel(repoId: string): void {
  for (const [name, source] of Object.entries(MODEL_FILES)) {
    server.files.set(`${repoId}/main/${name}`, { body: fs.readFileSync(source), lfs: name.endsWith('.safetensors') });
  }
}

test('a complete snapshot is used through refs/main, with no request to the hub; the folder loads', async () => {
  const hubCache = path.join(tmp, 'hf', 'hub');
  const snapshot = writeHfCache(hubCache, 'org/tiny', MODEL_FILES);
  const { dir, files } = await fetchModel('org/tiny', { endpoint: server.endpoint, cacheDir: path.join(tmp, 'own'), hfHubCache: hubCache });
  expect(dir).toBe(snapshot);
  expect(files.sort()).toEqual(['config.json', 'model.safetensors', 'vocab.txt']);
  expect(server.requests).toHaveLength(0);
  expect((await loadModel(dir)).tensors.size).toBeGreaterThan(0);
  expect(fs.existsSync(path.join(tmp, 'own'))).toBe(false);
});

test('a commit hash as the revision names its snapshot directly; an unknown branch downloads', async () => {
  const hubCache = path.join(tmp, 'hub');
  const snapshot = writeHfCache(hubCache, 'org/tiny', MODEL_FILES);
  const opts = { endpoint: server.endpoint, cacheDir: path.join(tmp, 'own'), hfHubCache: hubCache };
  expect((await fetchModel('org/tiny', { ...opts, revision: COMMIT })).dir).toBe(snapshot);
  expect(server.requests).toHaveLength(0);
  serveModel('org/tiny');
  server.files.forEach((v, k) => server.files.set(k.replace('/main/', '/v2/'), v));
  const other = await fetchModel('org/tiny', { ...opts, revision: 'v2' });
  expect(other.dir.startsWith(path.join(tmp, 'own'))).toBe(true);
  expect(server.requests.length).toBeGreaterThan(0);
});

test('a snapshot without weights (a config-only download) is not used: the model is downloaded', async () => {
  const hubCache = path.join(tmp, 'hub');
  writeHfCache(hubCache, 'org/tiny', { 'config.json': MODEL_FILES['config.json'], 'vocab.txt': VOCAB });
  serveModel('org/tiny');
  const { dir } = await fetchModel('org/tiny', { endpoint: server.endpoint, cacheDir: path.join(tmp, 'own'), hfHubCache: hubCache });
  expect(dir.startsWith(path.join(tmp, 'own'))).toBe(true);
  expect(server.requests.some((r) => r.path.endsWith('model.safetensors'))).toBe(true);
});

test('offline mode is satisfied by the hub cache alone', async () => {
  const hubCache = path.join(tmp, 'hub');
  const snapshot = writeHfCache(hubCache, 'org/tiny', MODEL_FILES);
  const { dir } = await fetchModel('org/tiny', { cacheDir: path.join(tmp, 'own'), hfHubCache: hubCache, offline: true });
  expect(dir).toBe(snapshot);
});

describe('where the hub cache is', () => {
  const saved = { HF_HUB_CACHE: process.env.HF_HUB_CACHE, HF_HOME: process.env.HF_HOME, XDG_CACHE_HOME: process.env.XDG_CACHE_HOME };
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  });

  test('HF_HUB_CACHE first, then $HF_HOME/hub, then $XDG_CACHE_HOME/huggingface/hub, then ~/.cache/huggingface/hub', () => {
    delete process.env.HF_HUB_CACHE;
    delete process.env.HF_HOME;
    delete process.env.XDG_CACHE_HOME;
    expect(resolveHfHubCache()).toBe(path.join(os.homedir(), '.cache', 'huggingface', 'hub'));
    process.env.XDG_CACHE_HOME = '/x';
    expect(resolveHfHubCache()).toBe(path.resolve('/x/huggingface/hub'));
    process.env.HF_HOME = '/h';
    expect(resolveHfHubCache()).toBe(path.resolve('/h/hub'));
    process.env.HF_HUB_CACHE = '/c';
    expect(resolveHfHubCache()).toBe(path.resolve('/c'));
    expect(resolveHfHubCache({ hfHubCache: 'rel' })).toBe(path.resolve('rel'));
  });

  test('a model under $HF_HOME is found without options', async () => {
    delete process.env.HF_HUB_CACHE;
    process.env.HF_HOME = path.join(tmp, 'home');
    const snapshot = writeHfCache(path.join(tmp, 'home', 'hub'), 'bert-tiny', MODEL_FILES);
    const { dir } = await fetchModel('bert-tiny', { endpoint: server.endpoint, cacheDir: path.join(tmp, 'own') });
    expect(dir).toBe(snapshot);
    expect(server.requests).toHaveLength(0);
  });
});
