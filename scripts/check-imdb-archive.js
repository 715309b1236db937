#!/usr/bin/env node
// Manual check of the streaming IMDb reader on a real archive (never run by `npm test`; prints no review text).
//   node scripts/check-imdb-archive.js [archive.tar.gz] [--folder extracted/aclImdb]
// Prints one JSON line: example counts per split and label, the time taken, peak RSS, and a SHA-256 over all
// ids and texts (and, with --folder, whether the extracted folder gives exactly the same examples).
'use strict';
const crypto = require('node:crypto');
const path = require('node:path');
const { readImdbArchive, readImdbFolder } = require(path.join(__dirname, '..', 'dist', 'data'));

function digest(examples) {
  const hash = crypto.createHash('sha256');
  for (const e of examples) hash.update(`${e.id}\0${e.label}\0${e.rating}\0${e.text}\0`);
  return hash.digest('hex');
}

// Per "<split>/<folder>" from the example ids ("train/pos/123" → "train/pos").
function counts(examples) {
  const out = {};
  for (const e of examples) {
    const key = e.id.slice(0, e.id.lastIndexOf('/'));
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

async function main() {
  const args = process.argv.slice(2);
  const folderAt = args.indexOf('--folder');
  const folder = folderAt === -1 ? undefined : args.splice(folderAt, 2)[1];
  const archive = args[0] ?? path.join(__dirname, '..', '..', 'shared', 'data', 'aclImdb-train.tar.gz');
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
  const start = process.hrtime.bigint();
  const examples = await readImdbArchive(archive);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  clearInterval(sampler);
  const report = {
    archive,
    examples: examples.length,
    counts: counts(examples),
    seconds: Number(seconds.toFixed(3)),
    peakRssMiB: Math.round(peakRss / 2 ** 20),
    textChars: examples.reduce((sum, e) => sum + e.text.length, 0),
    sha256: digest(examples),
  };
  if (folder) {
    const t0 = process.hrtime.bigint();
    const fromFolder = await readImdbFolder(folder);
    report.folderSeconds = Number((Number(process.hrtime.bigint() - t0) / 1e9).toFixed(3));
    report.folderSameExamples = digest(fromFolder) === report.sha256 && fromFolder.length === examples.length;
  }
  console.log(JSON.stringify(report));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
