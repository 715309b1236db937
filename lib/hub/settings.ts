// Where downloads come from and go to, from options first, then the environment, then defaults.
import * as os from 'os';
import * as path from 'path';

export interface HubOptions {
  // Hub base URL; default BERTNODE_HF_ENDPOINT, then HF_ENDPOINT, then https://huggingface.co.
  endpoint?: string;
  // Cache folder; default BERTNODE_CACHE, then ~/.cache/bertnode.
  cacheDir?: string;
  // The Hugging Face hub cache read before downloading (models--org--name/snapshots/...); default HF_HUB_CACHE,
  // then $HF_HOME/hub, then ~/.cache/huggingface/hub. Downloads still go to cacheDir.
  hfHubCache?: string;
  // Use the cache only, never the network; default on when BERTNODE_OFFLINE or HF_HUB_OFFLINE is set (1/true/yes/on).
  offline?: boolean;
  // Bearer token sent to the endpoint's host only (gated or private models); default HF_TOKEN.
  token?: string;
  // A request that receives nothing for this long is abandoned (and resumed, while retries last).
  timeoutMs?: number;
  // How many times a dropped, timed-out or 5xx download is resumed before giving up.
  retries?: number;
  onProgress?: (progress: DownloadProgress) => void;
}

export interface DownloadProgress {
  url: string;
  destination: string;
  received: number;
  total: number | undefined;
}

export const DEFAULT_ENDPOINT = 'https://huggingface.co';
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_RETRIES = 5;

export function resolveEndpoint(opts: HubOptions = {}): string {
  const endpoint = opts.endpoint ?? process.env.BERTNODE_HF_ENDPOINT ?? process.env.HF_ENDPOINT ?? DEFAULT_ENDPOINT;
  return endpoint.replace(/\/+$/, '');
}

export function resolveCacheDir(opts: HubOptions = {}): string {
  return path.resolve(opts.cacheDir ?? process.env.BERTNODE_CACHE ?? path.join(os.homedir(), '.cache', 'bertnode'));
}

export function isOffline(opts: HubOptions = {}): boolean {
  if (opts.offline !== undefined) return opts.offline;
  return [process.env.BERTNODE_OFFLINE, process.env.HF_HUB_OFFLINE].some((v) => v !== undefined && /^(1|true|yes|on)$/i.test(v));
}

export function resolveToken(opts: HubOptions = {}): string | undefined {
  return opts.token ?? process.env.HF_TOKEN ?? undefined;
}
