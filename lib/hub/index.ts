// Downloads: hub model files and plain URLs into a cache, resumable, verified, safe across processes.
export type { DownloadOptions } from './download';
export { downloadFile } from './download';
export { hfSnapshotDir, resolveHfHubCache } from './hf-cache';
export type { FetchedModel, FetchModelOptions } from './model';
export { fetchImdbArchive, fetchModel, fetchUrl, hubFileUrl, IMDB_ARCHIVE_URL, modelCacheDir, resolveModel } from './model';
export type { DownloadProgress, HubOptions } from './settings';
export { DEFAULT_ENDPOINT, isOffline, resolveCacheDir, resolveEndpoint } from './settings';
