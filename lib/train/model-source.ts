// Where the classifier's model and IMDb come from: a local folder/file as given, anything else through the hub
// cache (lib/hub), so a first run downloads and later runs read the cache.

import { IMDB_ARCHIVE_URL, fetchUrl, resolveModel, type FetchModelOptions } from '../hub/model';

export type HubOptions = FetchModelOptions;

export async function resolveModelDirectory(idOrDir: string, hub: HubOptions = {}): Promise<string> {
  return (await resolveModel(idOrDir, hub)).dir;
}

// The aclImdb_v1.tar.gz archive (or `url`, e.g. a mirror) in the cache; returns its path.
export function downloadImdbArchive(hub: HubOptions = {}, url = IMDB_ARCHIVE_URL): Promise<string> {
  return fetchUrl(url, hub);
}
