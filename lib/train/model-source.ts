// Where the classifier's model and IMDb come from: a local folder/file as given, anything else through the hub
// cache (lib/hub), so a first run downloads and later runs read the cache.

import { existsSync } from 'node:fs';
import { BertnodeError } from '../errors';
import { IMDB_ARCHIVE_URL, fetchUrl, resolveModel, type FetchModelOptions } from '../hub/model';

export type HubOptions = FetchModelOptions;

// A name only a path can be: relative (./, ../), absolute, home (~), Windows-style, or more than one '/' (a hub id
// is 'name' or 'org/name').
export function looksLikePath(idOrDir: string): boolean {
  return /^(\.{1,2}[\\/]|[\\/]|~|[A-Za-z]:[\\/])/.test(idOrDir) || idOrDir.includes('\\') || idOrDir.split('/').length > 2;
}

// A missing folder named by a path is reported at once as missing, never looked up on the hub.
export async function resolveModelDirectory(idOrDir: string, hub: HubOptions = {}): Promise<string> {
  if (looksLikePath(idOrDir) && !existsSync(idOrDir)) {
    throw new BertnodeError('ERR_BERTNODE_MODEL_NOT_FOUND', `no model folder at ${idOrDir} (a path, so it was not looked up on the hub)`);
  }
  return (await resolveModel(idOrDir, hub)).dir;
}

// The aclImdb_v1.tar.gz archive in the cache; returns its path. From `url`, else $BERTNODE_IMDB_URL (a mirror, or
// a local server in tests), else the Stanford original.
export function downloadImdbArchive(hub: HubOptions = {}, url?: string): Promise<string> {
  return fetchUrl(url ?? process.env.BERTNODE_IMDB_URL ?? IMDB_ARCHIVE_URL, hub);
}
