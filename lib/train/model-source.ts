// Where the classifier's model and IMDb come from: a local folder/file as given, anything else through the hub
// cache (lib/hub), so a first run downloads and later runs read the cache.

import { IMDB_ARCHIVE_URL, fetchUrl, resolveModel, type FetchModelOptions } from '../hub/model';

export type HubOptions = FetchModelOptions;

export async function resolveModelDirectory(idOrDir: string, hub: HubOptions = {}): Promise<string> {
  return (await resolveModel(idOrDir, hub)).dir;
}

// The aclImdb_v1.tar.gz archive in the cache; returns its path. From `url`, else $BERTNODE_IMDB_URL (a mirror, or
// a local server in tests), else the Stanford original.
export function downloadImdbArchive(hub: HubOptions = {}, url?: string): Promise<string> {
  return fetchUrl(url ?? process.env.BERTNODE_IMDB_URL ?? IMDB_ARCHIVE_URL, hub);
}
