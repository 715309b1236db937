// Options first, then bertnode's environment variables, then the Hugging Face ones, then defaults.
import * as os from 'os';
import * as path from 'path';
import { DEFAULT_ENDPOINT, isOffline, resolveCacheDir, resolveEndpoint } from '../../lib/hub';

const VARS = ['BERTNODE_HF_ENDPOINT', 'HF_ENDPOINT', 'BERTNODE_CACHE', 'BERTNODE_OFFLINE', 'HF_HUB_OFFLINE'];
const saved = Object.fromEntries(VARS.map((v) => [v, process.env[v]]));
beforeEach(() => VARS.forEach((v) => delete process.env[v]));
afterAll(() => VARS.forEach((v) => (saved[v] === undefined ? delete process.env[v] : (process.env[v] = saved[v]))));

test('endpoint', () => {
  expect(resolveEndpoint()).toBe(DEFAULT_ENDPOINT);
  process.env.HF_ENDPOINT = 'https://mirror.example/';
  expect(resolveEndpoint()).toBe('https://mirror.example');
  process.env.BERTNODE_HF_ENDPOINT = 'http://127.0.0.1:9';
  expect(resolveEndpoint()).toBe('http://127.0.0.1:9');
  expect(resolveEndpoint({ endpoint: 'http://h' })).toBe('http://h');
});

test('cache folder', () => {
  expect(resolveCacheDir()).toBe(path.join(os.homedir(), '.cache', 'bertnode'));
  process.env.BERTNODE_CACHE = 'relative/cache';
  expect(resolveCacheDir()).toBe(path.resolve('relative/cache'));
  expect(resolveCacheDir({ cacheDir: '/x' })).toBe(path.resolve('/x'));
});

test('offline mode', () => {
  expect(isOffline()).toBe(false);
  process.env.HF_HUB_OFFLINE = '0';
  expect(isOffline()).toBe(false);
  process.env.HF_HUB_OFFLINE = 'TRUE';
  expect(isOffline()).toBe(true);
  expect(isOffline({ offline: false })).toBe(false);
  delete process.env.HF_HUB_OFFLINE;
  process.env.BERTNODE_OFFLINE = '1';
  expect(isOffline()).toBe(true);
});
