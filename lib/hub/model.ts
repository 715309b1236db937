// A model id's files at a revision, fetched from the hub (`${endpoint}/${repo}/resolve/${revision}/${file}`)
// into `${cache}/models/<org>--<name>/<revision>/`, which is then an ordinary model folder. A revision's files
// are taken from the cache once there (pin a commit hash for reproducibility; `main` is not re-checked). A complete
// snapshot in the Hugging Face hub cache (./hf-cache.ts) is used first, without any request.
import { createHash } from 'crypto';
import { promises as fsp } from 'fs';
import * as path from 'path';
import { BertnodeError, DownloadError } from '../errors';
import { readWeightMap } from '../weights/safetensors';
import { downloadFile, DownloadOptions } from './download';
import { hfSnapshotDir, resolveHfHubCache } from './hf-cache';
import { HubOptions, isOffline, resolveCacheDir, resolveEndpoint } from './settings';
import { pathExists } from '../util/fs';

export interface FetchModelOptions extends HubOptions {
  revision?: string;
}

export interface FetchedModel {
  dir: string;
  // Names of the files now in `dir`.
  files: string[];
}

const TOKENIZER_FILES = ['vocab.txt', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];
// In the order transformers prefers them; an index brings its shards.
const WEIGHT_CHOICES = ['model.safetensors', 'model.safetensors.index.json', 'pytorch_model.bin', 'pytorch_model.bin.index.json'];

export function hubFileUrl(repoId: string, file: string, revision = 'main', endpoint = resolveEndpoint()): string {
  return `${endpoint}/${repoId}/resolve/${encodeURIComponent(revision)}/${file.split('/').map(encodeURIComponent).join('/')}`;
}

export function modelCacheDir(repoId: string, revision = 'main', cacheDir = resolveCacheDir()): string {
  return path.join(cacheDir, 'models', repoId.split('/').join('--'), encodeURIComponent(revision));
}

// A folder that already holds config.json is used as it is; anything else is a hub model id.
export async function resolveModel(idOrDir: string, opts: FetchModelOptions = {}): Promise<FetchedModel> {
  const stat = await fsp.stat(idOrDir).catch(() => undefined);
  if (stat?.isDirectory()) {
    if (!(await pathExists(path.join(idOrDir, 'config.json')))) {
      throw new BertnodeError('ERR_BERTNODE_MODEL_FOLDER', `${idOrDir} is a folder without config.json, not a model`);
    }
    return { dir: idOrDir, files: await fsp.readdir(idOrDir) };
  }
  return fetchModel(idOrDir, opts);
}

export async function fetchModel(repoId: string, opts: FetchModelOptions = {}): Promise<FetchedModel> {
  if (!/^[\w.-]+(\/[\w.-]+)?$/.test(repoId) || repoId.split('/').some((p) => p === '..' || p === '.')) {
    throw new BertnodeError('ERR_BERTNODE_MODEL_ID', `'${repoId}' is neither a model folder nor a hub model id like 'org/name'`);
  }
  const revision = opts.revision ?? 'main';
  const snapshot = await completeHfSnapshot(repoId, revision, resolveHfHubCache(opts));
  if (snapshot) return snapshot;
  const endpoint = resolveEndpoint(opts);
  const dir = modelCacheDir(repoId, revision, resolveCacheDir(opts));
  const hint = `model ${repoId}@${revision} needs config.json, vocab.txt or tokenizer.json, and model.safetensors or ` +
    `pytorch_model.bin in ${dir} (or pass a local model folder instead of the id)`;
  const dl: DownloadOptions = { ...opts, endpoint, hint };
  const get = (file: string) => downloadFile(hubFileUrl(repoId, file, revision, endpoint), path.join(dir, file), dl);
  const getOptional = async (file: string): Promise<boolean> => {
    try {
      await get(file);
      return true;
    } catch (e) {
      if (e instanceof DownloadError && (e.status === 404 || e.code === 'ERR_BERTNODE_OFFLINE')) return false;
      throw e;
    }
  };
  const unavailable = (file: string, reason: string) =>
    new DownloadError(hubFileUrl(repoId, file, revision, endpoint), path.join(dir, file), reason, { status: 404, hint });

  await get('config.json');
  const tokenizer = [];
  for (const f of TOKENIZER_FILES) if (await getOptional(f)) tokenizer.push(f);
  if (!tokenizer.includes('vocab.txt') && !tokenizer.includes('tokenizer.json')) {
    throw unavailable('vocab.txt', 'neither vocab.txt nor tokenizer.json is available');
  }
  await fetchWeights(dir, get, getOptional, isOffline(opts));
  if (!(await hasWeights(dir))) throw unavailable('model.safetensors', `none of ${WEIGHT_CHOICES.join(', ')} is available`);
  return { dir, files: (await fsp.readdir(dir)).filter((f) => !/\.(part|lock)$/.test(f)) };
}

// A model that transformers (or any huggingface_hub client) already downloaded is used where it lies, when the
// snapshot holds everything a model folder needs; a partial snapshot is left alone and the model downloaded.
async function completeHfSnapshot(repoId: string, revision: string, hubCache: string): Promise<FetchedModel | undefined> {
  const dir = await hfSnapshotDir(repoId, revision, hubCache);
  if (dir === undefined) return undefined;
  const files = await fsp.readdir(dir);
  const complete = files.includes('config.json') && (files.includes('vocab.txt') || files.includes('tokenizer.json')) &&
    await hasWeights(dir);
  return complete ? { dir, files } : undefined;
}

async function fetchWeights(dir: string, get: (f: string) => Promise<string>, getOptional: (f: string) => Promise<boolean>,
  offline: boolean): Promise<void> {
  // Weights already cached (in any layout) are used without asking the network.
  if (await hasWeights(dir)) return;
  // Offline, the first choice's error is the useful one: it names the URL and the folder.
  if (offline) await get(WEIGHT_CHOICES[0]);
  for (const choice of WEIGHT_CHOICES) {
    if (!(await getOptional(choice))) continue;
    for (const shard of await missingShards(dir, choice)) await get(shard);
    return;
  }
}

async function hasWeights(dir: string): Promise<boolean> {
  for (const choice of WEIGHT_CHOICES) {
    if (await pathExists(path.join(dir, choice)) && (await missingShards(dir, choice)).length === 0) return true;
  }
  return false;
}

async function missingShards(dir: string, choice: string): Promise<string[]> {
  if (!choice.endsWith('.index.json')) return [];
  const shards = new Set((await readWeightMap(path.join(dir, choice))).values());
  const missing: string[] = [];
  for (const s of shards) if (!(await pathExists(path.join(dir, s)))) missing.push(s);
  return missing;
}

// The IMDb review archive of Maas et al. (2011), as the classic recipe uses it.
export const IMDB_ARCHIVE_URL = 'https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz';

// Any URL into `${cache}/downloads/<hash of the URL>/<file name>`.
export async function fetchUrl(url: string, opts: DownloadOptions = {}): Promise<string> {
  const name = path.basename(new URL(url).pathname) || 'download';
  const key = createHash('sha256').update(url).digest('hex').slice(0, 16);
  return downloadFile(url, path.join(resolveCacheDir(opts), 'downloads', key, name), opts);
}

export function fetchImdbArchive(opts: DownloadOptions = {}): Promise<string> {
  return fetchUrl(IMDB_ARCHIVE_URL, opts);
}
