// A local stand-in for the Hugging Face hub on 127.0.0.1 (random port): `/<repo>/resolve/<revision>/<file>`,
// LFS-style files answered with a redirect to a CDN path carrying X-Linked-Etag (sha256) and X-Linked-Size,
// Range requests, and switches to misbehave (drop a connection mid-file, lie about a checksum, stall).
import { createHash } from 'crypto';
import * as http from 'http';
import { AddressInfo } from 'net';

export interface ServedFile {
  body: Buffer;
  // Served through a redirect to /cdn/<sha256>, with the hub's X-Linked-* headers on the redirect.
  lfs?: boolean;
  // Announce this sha256 instead of the real one.
  wrongSha?: boolean;
  // Drop the connection after this many bytes, this many times; with `before`, only once it resolves (given the
  // file offset the client has been sent up to), so a test can wait for the client to have stored them.
  dropAfter?: { bytes: number; times: number; before?: (sentUpTo: number) => Promise<void> };
  // Send this many bytes, then go silent (connection kept open), this many times.
  stallAfter?: { bytes: number; times: number };
  // Absolute redirect to /raw/<path> first.
  absoluteRedirect?: boolean;
  // Send the body in 10 chunks this many ms apart, so that concurrent downloads overlap.
  slowMs?: number;
  // Never answer.
  stall?: boolean;
  // Send this many bytes, then the rest once `open` resolves (a test decides when, on an event of its own).
  gate?: { bytes: number; open: Promise<void> };
}

export interface HubServer {
  endpoint: string;
  files: Map<string, ServedFile>; // key: `${repo}/${revision}/${file}`
  requests: Array<{ path: string; range?: string; authorization?: string }>;
  close(): Promise<void>;
}

export async function startHubServer(): Promise<HubServer> {
  const files = new Map<string, ServedFile>();
  const requests: HubServer['requests'] = [];
  const byCdn = new Map<string, ServedFile>();
  const sockets = new Set<import('net').Socket>();

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push({ path: url.pathname, range: req.headers.range, authorization: req.headers.authorization });
    const resolve = /^\/(.+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (resolve) {
      const key = `${decodeURIComponent(resolve[1])}/${decodeURIComponent(resolve[2])}/${decodeURIComponent(resolve[3])}`;
      const file = files.get(key);
      if (!file) {
        res.writeHead(404, { 'x-error-code': 'EntryNotFound' }).end('Entry not found');
        return;
      }
      if (file.stall) return;
      const sha = createHash('sha256').update(file.body).digest('hex');
      if (file.absoluteRedirect) {
        const raw = `/raw/${encodeURIComponent(key)}`;
        res.writeHead(307, { location: `http://127.0.0.1:${(server.address() as AddressInfo).port}${raw}` }).end();
        return;
      }
      if (file.lfs) {
        const announced = file.wrongSha ? createHash('sha256').update('something else').digest('hex') : sha;
        byCdn.set(sha, file);
        res.writeHead(302, {
          location: `/cdn/${sha}`, // relative (no scheme or host), as the hub sends them
          'x-linked-etag': `"${announced}"`,
          'x-linked-size': String(file.body.length),
        }).end();
        return;
      }
      serveBody(req, res, file);
      return;
    }
    const cdn = /^\/cdn\/([0-9a-f]{64})$/.exec(url.pathname);
    if (cdn && byCdn.has(cdn[1])) {
      serveBody(req, res, byCdn.get(cdn[1])!);
      return;
    }
    const raw = /^\/raw\/(.+)$/.exec(url.pathname);
    if (raw && files.has(decodeURIComponent(raw[1]))) {
      serveBody(req, res, files.get(decodeURIComponent(raw[1]))!);
      return;
    }
    res.writeHead(404).end();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    files,
    requests,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

function serveBody(req: http.IncomingMessage, res: http.ServerResponse, file: ServedFile): void {
  const total = file.body.length;
  let start = 0;
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  if (range) {
    start = Number(range[1]);
    if (start >= total) {
      res.writeHead(416, { 'content-range': `bytes */${total}` }).end();
      return;
    }
    res.writeHead(206, { 'content-length': String(total - start), 'content-range': `bytes ${start}-${total - 1}/${total}`, 'accept-ranges': 'bytes' });
  } else {
    res.writeHead(200, { 'content-length': String(total), 'accept-ranges': 'bytes' });
  }
  const body = file.body.subarray(start);
  if (file.dropAfter && file.dropAfter.times > 0) {
    file.dropAfter.times--;
    const { bytes, before } = file.dropAfter;
    const drop = () => setTimeout(() => res.socket?.destroy(), 20);
    res.write(body.subarray(0, bytes), () => (before ? void before(start + Math.min(bytes, body.length)).then(drop) : drop()));
    return;
  }
  if (file.stallAfter && file.stallAfter.times > 0) {
    file.stallAfter.times--;
    res.write(body.subarray(0, file.stallAfter.bytes));
    return;
  }
  if (file.gate) {
    const { bytes, open } = file.gate;
    res.write(body.subarray(0, bytes));
    void open.then(() => res.end(body.subarray(bytes)));
    return;
  }
  if (!file.slowMs) {
    res.end(body);
    return;
  }
  let sent = 0;
  const step = Math.max(1, Math.ceil(body.length / 10));
  const tick = () => {
    if (sent >= body.length) {
      res.end();
      return;
    }
    res.write(body.subarray(sent, sent + step));
    sent += step;
    setTimeout(tick, file.slowMs);
  };
  tick();
}
