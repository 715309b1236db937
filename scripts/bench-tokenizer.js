#!/usr/bin/env node
// Tokenizer throughput on real movie reviews: bertnode's BertTokenizer against the official pure-JS
// @huggingface/tokenizers (one thread) and the Rust binding @anush008/tokenizers (encodeBatch on its thread pool),
// same texts, same tokenizer.json, in the same run. Prints JSON lines {metric, ours, peer, ratio, unit} and checks
// that our ids are identical to both peers' on every review.
//
//   node scripts/bench-tokenizer.js [--archive aclImdb_v1.tar.gz | --dir aclImdb] [--tokenizer tokenizer.json]
//        [--limit N] [--threads N] [--lib dist/tokenizer] [--rounds N]
//
// Reviews are read in memory from the archive (gunzip + a minimal tar walk over train/{pos,neg}/*.txt) and never
// written anywhere. Tokens are counted with [CLS] and [SEP], no truncation, no padding, for every tokenizer.

'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const { performance } = require('perf_hooks');

const ROOT = path.join(__dirname, '..');

function parseArgs(argv) {
  const args = {
    archive: '/work/shared/data/aclImdb-train.tar.gz',
    dir: null,
    tokenizer: path.join(ROOT, 'test', 'fixtures', 'tokenizer', 'tokenizer.json'),
    limit: Infinity,
    threads: 2,
    lib: path.join(ROOT, 'dist', 'tokenizer'),
    rounds: 3,
  };
  for (let i = 2; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '');
    const value = argv[++i];
    if (!(key in args) || value === undefined) {
      console.error(`usage: node scripts/bench-tokenizer.js [--${Object.keys(args).join(' V] [--')} V]`);
      process.exit(2);
    }
    args[key] = ['limit', 'threads', 'rounds'].includes(key) ? Number(value) : value;
  }
  return args;
}

// Reviews of a .tar.gz: the text of every member named .../train/{pos,neg}/*.txt (ustar and GNU long names).
function reviewsFromArchive(file, limit) {
  const tar = zlib.gunzipSync(fs.readFileSync(file));
  const texts = [];
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let offset = 0;
  let longName = null;
  while (offset + 512 <= tar.length && texts.length < limit) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start, len) => header.subarray(start, start + len).toString('latin1').replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1);
    const prefix = field(345, 155);
    let name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    longName = null;
    const body = tar.subarray(offset + 512, offset + 512 + size);
    if (type === 'L') longName = body.toString('utf8').replace(/\0.*$/s, '');
    else if ((type === '0' || type === '') && /\/train\/(pos|neg)\/[^/]+\.txt$/.test(name)) texts.push(decoder.decode(body));
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return texts;
}

function reviewsFromDir(dir, limit) {
  const texts = [];
  for (const label of ['pos', 'neg']) {
    const folder = path.join(dir, 'train', label);
    for (const name of fs.readdirSync(folder).sort()) {
      if (texts.length >= limit) return texts;
      if (name.endsWith('.txt')) texts.push(fs.readFileSync(path.join(folder, name), 'utf8'));
    }
  }
  return texts;
}

function chunks(items, size) {
  const out = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Best of `rounds` timings of run(state) (which returns the number of tokens it produced). setup() makes a fresh
 * state for each round outside the timing: our tokenizer starts each round with an empty word cache, so repeated
 * rounds over the same reviews do not turn into pure cache hits.
 */
async function timeBest(rounds, setup, run) {
  let best = Infinity;
  let tokens = 0;
  for (let r = 0; r < rounds; r++) {
    const state = await setup();
    const t0 = performance.now();
    tokens = await run(state);
    best = Math.min(best, performance.now() - t0);
    if (state && typeof state.close === 'function') await state.close();
  }
  return { tokensPerSecond: tokens / (best / 1000), seconds: best / 1000, tokens };
}

function line(metric, ours, peer, unit, extra = {}) {
  console.log(JSON.stringify({ metric, ours: Math.round(ours), peer: Math.round(peer), ratio: +(ours / peer).toFixed(3), unit, ...extra }));
}

async function main() {
  const args = parseArgs(process.argv);
  const { BertTokenizer, TokenizerPool } = require(path.resolve(args.lib));
  const { Tokenizer: HfTokenizer } = require('@huggingface/tokenizers');
  const { Tokenizer: RustTokenizer } = require('@anush008/tokenizers');

  const texts = args.dir ? reviewsFromDir(args.dir, args.limit) : reviewsFromArchive(args.archive, args.limit);
  const megabytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0) / 1e6;
  console.error(`${texts.length} reviews, ${megabytes.toFixed(1)} MB, tokenizer ${args.tokenizer}`);

  const json = JSON.parse(fs.readFileSync(args.tokenizer, 'utf8'));
  const configFile = path.join(path.dirname(args.tokenizer), 'tokenizer_config.json');
  const hf = new HfTokenizer(json, fs.existsSync(configFile) ? JSON.parse(fs.readFileSync(configFile, 'utf8')) : {});
  const rust = RustTokenizer.fromFile(args.tokenizer);
  // The model's tokenizer.json asks for truncation and padding to 128; every tokenizer here encodes whole reviews.
  rust.disableTruncation();
  rust.disablePadding();
  const ours = BertTokenizer.fromTokenizerJson(args.tokenizer);

  // Identical ids on every review, against both peers.
  let mismatchHf = 0;
  let mismatchRust = 0;
  const rustEncodings = [];
  for (const part of chunks(texts, 1000)) rustEncodings.push(...(await rust.encodeBatch(part)));
  texts.forEach((text, i) => {
    const mine = ours.encode(text).inputIds;
    const theirs = hf.encode(text).ids;
    const rustIds = rustEncodings[i].getIds();
    const same = (a, b) => a.length === b.length && a.every((v, k) => v === b[k]);
    if (!same(mine, theirs)) {
      if (mismatchHf++ === 0) console.error(`first mismatch with @huggingface/tokenizers: review ${i}`);
    }
    if (!same(mine, rustIds)) {
      if (mismatchRust++ === 0) console.error(`first mismatch with @anush008/tokenizers: review ${i}`);
    }
  });
  console.log(JSON.stringify({ metric: 'ids_identical_reviews', ours: texts.length - mismatchRust, peer: texts.length,
    ratio: +((texts.length - mismatchRust) / texts.length).toFixed(6), unit: 'reviews', against: '@anush008/tokenizers (Rust)' }));
  console.log(JSON.stringify({ metric: 'ids_identical_reviews', ours: texts.length - mismatchHf, peer: texts.length,
    ratio: +((texts.length - mismatchHf) / texts.length).toFixed(6), unit: 'reviews', against: '@huggingface/tokenizers (JS)' }));

  const batchSize = 256;
  const batches = chunks(texts, batchSize);
  const none = () => null;
  const hfRun = await timeBest(args.rounds, none, () => {
    let n = 0;
    for (const t of texts) n += hf.encode(t).ids.length;
    return n;
  });
  const rustRun = await timeBest(args.rounds, none, async () => {
    let n = 0;
    for (const part of batches) for (const e of await rust.encodeBatch(part)) n += e.getLength();
    return n;
  });
  const fresh = () => BertTokenizer.fromTokenizerJson(args.tokenizer);
  const oursOne = await timeBest(args.rounds, fresh, (tok) => {
    let n = 0;
    for (const t of texts) n += tok.encode(t).inputIds.length;
    return n;
  });
  const countTokens = (batch) => {
    let n = 0;
    for (let i = 0; i < batch.attentionMask.length; i++) n += batch.attentionMask[i];
    return n;
  };
  const oursBatch = await timeBest(args.rounds, fresh, (tok) => {
    let n = 0;
    for (const b of batches) n += countTokens(tok.encodeBatch(b));
    return n;
  });
  const oursPool = await timeBest(args.rounds, async () => {
    const pool = TokenizerPool.fromTokenizerJson(args.tokenizer, {}, { threads: args.threads, minParallelBatch: 1 });
    await pool.encodeBatch(Array(args.threads).fill('warm up'));
    return pool;
  }, async (pool) => {
    let n = 0;
    for (const b of batches) n += countTokens(await pool.encodeBatch(b));
    return n;
  });
  for (const run of [hfRun, rustRun, oursOne, oursBatch, oursPool]) {
    if (run.tokens !== hfRun.tokens) console.error(`token counts differ: ${run.tokens} vs ${hfRun.tokens}`);
  }

  const unit = 'tokens/s';
  const common = { reviews: texts.length, tokens: hfRun.tokens };
  line('encode_one_thread_vs_hf_js', oursBatch.tokensPerSecond, hfRun.tokensPerSecond, unit,
    { ...common, note: `ours: encodeBatch(${batchSize} reviews) on one thread; peer: @huggingface/tokenizers encode() per review` });
  line('encode_single_text_api_vs_hf_js', oursOne.tokensPerSecond, hfRun.tokensPerSecond, unit,
    { ...common, note: 'ours: encode() per review with tokens and offsets; peer: @huggingface/tokenizers encode()' });
  line(`encode_batch_${args.threads}_threads_vs_rust`, oursPool.tokensPerSecond, rustRun.tokensPerSecond, unit,
    { ...common, note: `ours: TokenizerPool(${args.threads} workers).encodeBatch(${batchSize}); peer: @anush008/tokenizers encodeBatch(${batchSize})` });
  const bestPeer = Math.max(hfRun.tokensPerSecond, rustRun.tokensPerSecond);
  line('best_ours_vs_best_peer', Math.max(oursBatch.tokensPerSecond, oursPool.tokensPerSecond), bestPeer, unit,
    { ...common, target: 1.5 });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
