#!/usr/bin/env node
// node scripts/compare-libraries.js [--quick] [--source]: the hand-written tar reader and CSV parser (lib/data) against the
// well-kept libraries that would replace them (tar-stream, csv-parse; devDependencies), on data generated here:
// speed on the same input (best of 3, each side reading everything), the same records out, and the install footprint
// (the package and everything it pulls in, from node_modules). Reads dist/ (`npm run build:ts`), or with --source
// the TypeScript in lib/ (under test/ts-register.js, as test/package runs it). Prints one JSON line per comparison.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { pipeline } = require('node:stream/promises');

const root = path.resolve(__dirname, '..');
const quick = process.argv.includes('--quick');
const data = path.join(root, process.argv.includes('--source') ? 'lib' : 'dist', 'data');
const { readTarEntries } = require(path.join(data, 'tar'));
const { openTarStream } = require(path.join(data, 'archive'));
const { readCsv } = require(path.join(data, 'text-formats'));
const tarStream = require('tar-stream');
const { parse: csvParse } = require('csv-parse');

const WORDS = ['the', 'film', 'was', 'great', 'dull', 'acting', 'plot', 'and', 'but', 'really', 'a', 'story', 'ending',
  'music', 'cast', 'superb', 'boring', '"quoted"', 'commas,', 'naïve', 'café'];
let seed = 1;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const review = () => Array.from({ length: 150 + Math.floor(random() * 200) }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ');

async function bestOf(runs, fn) {
  let best = Infinity;
  let result;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    result = await fn();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e9);
  }
  return { seconds: best, result };
}

// aclImdb-shaped: train/{pos,neg}/<id>_<stars>.txt, gzipped.
async function writeArchive(file, count) {
  const pack = tarStream.pack();
  const done = pipeline(pack, zlib.createGzip(), fs.createWriteStream(file));
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const body = Buffer.from(review());
    bytes += body.length;
    await new Promise((resolve, reject) => pack.entry({ name: `aclImdb/train/${i % 2 ? 'pos' : 'neg'}/${i}_7.txt` }, body,
      (e) => (e ? reject(e) : resolve())));
  }
  pack.finalize();
  await done;
  return bytes;
}

async function oursTar(file) {
  let bytes = 0;
  let files = 0;
  for await (const member of readTarEntries(openTarStream(file, file), file)) {
    if (member.type !== 'file') continue;
    bytes += (await member.read()).length;
    files++;
  }
  return { files, bytes };
}

async function tarStreamTar(file) {
  const extract = tarStream.extract();
  const reading = pipeline(fs.createReadStream(file), zlib.createGunzip(), extract);
  let bytes = 0;
  let files = 0;
  for await (const entry of extract) {
    for await (const chunk of entry) bytes += chunk.length;
    if (entry.header.type === 'file') files++;
  }
  await reading;
  return { files, bytes };
}

function writeCsv(file, count) {
  const quote = (s) => `"${s.replace(/"/g, '""')}"`;
  const rows = ['review,sentiment'];
  for (let i = 0; i < count; i++) {
    // Every third review spans lines, as Kaggle's IMDb CSV's <br /> often are.
    const text = i % 3 === 0 ? `${review()}\n${review()}` : review();
    rows.push(`${quote(text)},${i % 2 ? 'positive' : 'negative'}`);
  }
  fs.writeFileSync(file, rows.join('\n') + '\n');
}

async function csvParseRecords(file) {
  const parser = fs.createReadStream(file).pipe(csvParse({ columns: true }));
  const texts = [];
  for await (const record of parser) texts.push(record.review);
  return texts;
}

// Node's lookup of node_modules/<pkg> from `from` upwards (not require.resolve: `exports` may hide package.json).
function packageDir(pkg, from) {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', pkg);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === path.dirname(dir)) throw new Error(`${pkg} is not installed (npm install)`);
  }
}

// The package's directory and those of all its dependencies, resolved as Node would from the repository.
function footprint(name) {
  const seen = new Set();
  const visit = (pkg, from) => {
    const dir = packageDir(pkg, from);
    if (seen.has(dir)) return;
    seen.add(dir);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    for (const dep of Object.keys(json.dependencies ?? {})) visit(dep, dir);
  };
  visit(name, root);
  const size = (p) => (fs.statSync(p).isDirectory()
    ? fs.readdirSync(p).filter((e) => e !== 'node_modules').reduce((s, e) => s + size(path.join(p, e)), 0) : fs.statSync(p).size);
  return { packages: seen.size, kb: Math.round([...seen].reduce((s, d) => s + size(d), 0) / 1024) };
}

const sourceKb = (...files) => Math.round(files.reduce((s, f) => s + fs.statSync(path.join(root, f)).size, 0) / 1024);

function report(what, ours, peer, unit, extra) {
  console.log(JSON.stringify({ what, ours: +ours.toFixed(1), peer: +peer.toFixed(1), ratio: +(ours / peer).toFixed(2), unit, ...extra }));
}

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bertnode-libs-'));
  try {
    const archive = path.join(tmp, 'reviews.tar.gz');
    const bodyBytes = await writeArchive(archive, quick ? 2000 : 25000);
    const runs = quick ? 1 : 3;
    const a = await bestOf(runs, () => oursTar(archive));
    const b = await bestOf(runs, () => tarStreamTar(archive));
    if (a.result.files !== b.result.files || a.result.bytes !== b.result.bytes) throw new Error('tar readers disagree');
    const mb = bodyBytes / 1e6;
    report('tar.gz read (MB of review text per s)', mb / a.seconds, mb / b.seconds, 'MB/s',
      { files: a.result.files, peer_name: 'tar-stream' });

    const csv = path.join(tmp, 'reviews.csv');
    writeCsv(csv, quick ? 2000 : 25000);
    const csvMb = fs.statSync(csv).size / 1e6;
    const c = await bestOf(runs, () => readCsv(csv));
    const d = await bestOf(runs, () => csvParseRecords(csv));
    if (c.result.length !== d.result.length || c.result.some((e, i) => e.text !== d.result[i])) throw new Error('CSV parsers disagree');
    report('CSV parse (MB per s)', csvMb / c.seconds, csvMb / d.seconds, 'MB/s', { records: c.result.length, peer_name: 'csv-parse' });

    const tarPeer = footprint('tar-stream');
    const csvPeer = footprint('csv-parse');
    console.log(JSON.stringify({ what: 'footprint', tar_reader_kb: sourceKb('lib/data/tar.ts', 'lib/data/archive.ts', 'lib/data/chunk-reader.ts'),
      tar_stream: tarPeer, csv_parser_kb: sourceKb('lib/data/csv-parser.ts'), csv_parse: csvPeer }));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
