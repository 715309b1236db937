// The Hugging Face hub cache that transformers, huggingface_hub and the `hf` CLI share:
// `<hub cache>/models--<org>--<name>/snapshots/<commit>/<file>`, with `refs/<branch>` holding the commit a branch
// pointed to when it was downloaded. A model already there is read in place instead of being downloaded again.
import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HubOptions } from './settings';

const COMMIT = /^[0-9a-f]{40}$/;

// The hub cache folder, as huggingface_hub resolves it: HF_HUB_CACHE, else $HF_HOME/hub, else
// $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub.
export function resolveHfHubCache(opts: HubOptions = {}): string {
  if (opts.hfHubCache !== undefined) return path.resolve(opts.hfHubCache);
  if (process.env.HF_HUB_CACHE) return path.resolve(process.env.HF_HUB_CACHE);
  const home = process.env.HF_HOME ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'huggingface');
  return path.resolve(home, 'hub');
}

// The snapshot folder of `repoId` at `revision` (a branch or tag through refs/, or a commit hash), or undefined when
// the cache has no such snapshot. Whether it holds the files a model needs is the caller's question.
export async function hfSnapshotDir(repoId: string, revision: string, hubCache: string): Promise<string | undefined> {
  const repoDir = path.join(hubCache, `models--${repoId.split('/').join('--')}`);
  let commit = revision;
  if (!COMMIT.test(revision)) {
    // A ref name may contain '/' (refs/pr/1); it is still one path under refs/, never above it.
    if (revision.split('/').some((p) => p === '' || p === '.' || p === '..')) return undefined;
    commit = (await fsp.readFile(path.join(repoDir, 'refs', revision), 'utf8').catch(() => '')).trim();
    if (!COMMIT.test(commit)) return undefined;
  }
  const dir = path.join(repoDir, 'snapshots', commit);
  const stat = await fsp.stat(dir).catch(() => undefined);
  return stat?.isDirectory() ? dir : undefined;
}
