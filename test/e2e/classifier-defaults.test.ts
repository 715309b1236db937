// `new BertClassifier()` is the classic set-up, and `fit()` with no data fetches IMDb and the model through the
// cache: here from a local server in the hub's layout (the environment points the hub and the archive URL at it).
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BertClassifier } from '../../lib';
import { MODEL_ID, Site, startSite } from './site';

const KEYS = ['BERTNODE_HF_ENDPOINT', 'BERTNODE_CACHE', 'BERTNODE_IMDB_URL', 'BERTNODE_OFFLINE', 'HF_HUB_OFFLINE', 'HF_TOKEN'] as const;
const saved = Object.fromEntries(KEYS.map((k) => [k, process.env[k]]));
let tmp: string;
let site: Site;
beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'bertnode-defaults-'));
  site = await startSite(tmp);
  process.env.BERTNODE_HF_ENDPOINT = site.url;
  process.env.BERTNODE_CACHE = path.join(tmp, 'cache');
  process.env.BERTNODE_IMDB_URL = `${site.url}/datasets/aclImdb_v1.tar.gz`;
  for (const k of ['BERTNODE_OFFLINE', 'HF_HUB_OFFLINE', 'HF_TOKEN']) delete process.env[k];
});
afterAll(async () => {
  for (const k of KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  await site?.close();
  await fsp.rm(tmp, { recursive: true, force: true });
});

test('no options: the classic recipe (nothing is loaded until first use)', () => {
  const clf = new BertClassifier();
  expect(clf.labels).toEqual(['neg', 'pos']);
  expect(clf.maxLength).toBe(256);
  expect(clf.batchSize).toBe(32);
  expect(clf.config).toBeUndefined();
  clf.dispose();
});

test('fit() with no data downloads the model and IMDb through the cache and trains on the seeded split', async () => {
  await using clf = new BertClassifier({ model: MODEL_ID, device: 'cpu', maxLength: 64 });
  const r = await clf.fit(undefined, { maxSteps: 3 });
  expect(site.requests).toEqual(expect.arrayContaining([`GET /${MODEL_ID}/resolve/main/model.safetensors`, 'GET /datasets/aclImdb_v1.tar.gz']));
  expect(r.trainExamples).toBe(320); // 400 training reviews, 20 % held out (the classic 5,000 needs >= 10,000)
  expect(r.validation!.count).toBe(80);
  expect(r.steps).toBe(3);
  expect(clf.config!.numHiddenLayers).toBe(2);
  const cached = await fsp.readdir(path.join(tmp, 'cache'));
  expect(cached.length).toBeGreaterThan(0);
}, 60000);
