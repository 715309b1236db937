// A local stand-in for the internet, for the end-to-end test: a tiny random BERT in the hub's URL layout
// (/<repo>/resolve/main/<file>) and aclImdb-shaped archives with a learnable signal, on 127.0.0.1.
import { promises as fsp } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { syntheticReviews, writeTinyModel } from '../classifier/tiny-model';
import { writeTar, type TarFile } from '../data/helpers/tar-writer';

export const MODEL_ID = 'tiny-org/tiny-bert';

export interface Site {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

// aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt, made-up reviews (never real IMDb text).
function imdbArchive(splits: Record<string, number>, seed: number): Buffer {
  const members: TarFile[] = [];
  for (const [split, n] of Object.entries(splits)) {
    syntheticReviews(n, seed + split.length).forEach((r, i) => {
      const label = r.label ? 'pos' : 'neg';
      const rating = r.label ? 7 + (i % 4) : 1 + (i % 4);
      members.push({ name: `aclImdb/${split}/${label}/${i}_${rating}.txt`, body: r.text });
    });
  }
  members.push({ name: 'aclImdb/README', body: 'generated for the bertnode end-to-end test\n' });
  return gzipSync(writeTar(members));
}

export async function startSite(root: string): Promise<Site> {
  const modelDir = path.join(root, 'tiny-model');
  await writeTinyModel(modelDir);
  const files = new Map<string, Buffer>();
  for (const f of await fsp.readdir(modelDir)) files.set(`/${MODEL_ID}/resolve/main/${f}`, await fsp.readFile(path.join(modelDir, f)));
  files.set('/datasets/aclImdb_v1.tar.gz', imdbArchive({ train: 400, test: 120 }, 21));
  files.set('/datasets/aclImdb-train.tar.gz', imdbArchive({ train: 400 }, 21));

  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const body = files.get(req.url ?? '');
    if (!body || req.method !== 'GET') {
      res.writeHead(404).end('not found');
      return;
    }
    const range = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ''));
    if (range && Number(range[1]) < body.length) {
      const start = Number(range[1]);
      res.writeHead(206, { 'content-length': body.length - start, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` });
      res.end(body.subarray(start));
      return;
    }
    res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
