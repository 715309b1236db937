// One GET through node's http/https, following redirects (relative and absolute), with an idle timeout.
// The hub announces a file's sha256 and size on the first hop (X-Linked-Etag / X-Linked-Size on the redirect to
// its CDN), so the headers of every hop are kept.
import * as http from 'http';
import * as https from 'https';

export interface GetOptions {
  headers?: Record<string, string>;
  timeoutMs: number;
  // Sent only to this host: a redirect to a CDN must not carry the user's token.
  token?: { host: string; value: string };
}

export interface GetResult {
  response: http.IncomingMessage;
  finalUrl: string;
  // Headers of every response, first hop first.
  hops: http.IncomingHttpHeaders[];
}

const MAX_REDIRECTS = 10;

export class HttpFailure extends Error {
  constructor(message: string, readonly url: string, readonly transient: boolean, readonly status?: number) {
    super(message);
  }
}

export async function httpGet(url: string, opts: GetOptions): Promise<GetResult> {
  const hops: http.IncomingHttpHeaders[] = [];
  let current = url;
  for (let i = 0; i <= MAX_REDIRECTS; i++) {
    const response = await requestOnce(current, opts);
    hops.push(response.headers);
    const status = response.statusCode ?? 0;
    if ([301, 302, 303, 307, 308].includes(status)) {
      response.resume();
      const location = response.headers.location;
      if (!location) throw new HttpFailure(`HTTP ${status} redirect without a Location header`, current, false, status);
      current = new URL(location, current).toString();
      continue;
    }
    return { response, finalUrl: current, hops };
  }
  throw new HttpFailure(`more than ${MAX_REDIRECTS} redirects`, url, false);
}

function requestOnce(url: string, opts: GetOptions): Promise<http.IncomingMessage> {
  const parsed = new URL(url);
  const client = parsed.protocol === 'https:' ? https : parsed.protocol === 'http:' ? http : undefined;
  if (!client) return Promise.reject(new HttpFailure(`unsupported protocol ${parsed.protocol}`, url, false));
  const headers: Record<string, string> = { 'user-agent': 'bertnode', ...opts.headers };
  if (opts.token && parsed.host === opts.token.host) headers.authorization = `Bearer ${opts.token.value}`;
  return new Promise((resolve, reject) => {
    const req = client.get(parsed, { headers }, (res) => {
      // The idle timeout keeps applying while the body streams: the socket's timeout is inherited.
      resolve(res);
    });
    req.setTimeout(opts.timeoutMs, () => {
      req.destroy(new HttpFailure(`no data for ${opts.timeoutMs} ms`, url, true));
    });
    req.on('error', (e) => reject(e instanceof HttpFailure ? e : new HttpFailure(e.message, url, true)));
  });
}
