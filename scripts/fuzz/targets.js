// The fuzz targets: every parser of untrusted input, each run the way the package runs it (whole files through the
// public readers, tensors read, tokenizers used, archives walked to the end). `mutate` picks the mutator
// (scripts/fuzz/mutate.js); `run` gets the path of the mutated input and a scratch folder of its own.
'use strict';
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

// Each worker loads only its own target's modules (transpiling all of them would double its start-up).
const weights = () => require('../../lib/weights/index.ts');
const tokenizer = () => require('../../lib/tokenizer/index.ts').BertTokenizer;
const textFormats = () => require('../../lib/data/text-formats.ts');
const loadCheckpoint = (root) => require('../../lib/train/checkpoint.ts').loadCheckpoint(root);

const SHARED = path.join(__dirname, 'seeds', '_shared');
const TEXT = 'A fine film, unaffable!  東京 café [MASK] x\u0000\u200b ##ing';

async function readAllTensors(refs) {
  for (const ref of refs) await ref.read().catch(rethrowUnlessFloatRefusal);
}

// A tensor of an integer dtype cannot be read as float: that refusal is a typed error like any other, but it must
// not hide the tensors after it.
function rethrowUnlessFloatRefusal(e) {
  if (!/cannot be used as a float parameter/.test(String(e && e.message))) throw e;
}

function useTokenizer(tokenizer) {
  const one = tokenizer.encode(TEXT, undefined, { maxLength: 32, truncation: true, padding: 'max_length' });
  tokenizer.encode(TEXT, TEXT.slice(0, 9), { maxLength: 16, truncation: true });
  tokenizer.decode(one.inputIds);
  tokenizer.decode(one.inputIds, { skipSpecialTokens: true });
}

// checkpoint.json beside the seed's data.bin (and a latest.json naming it). With `reseal`, a mutated file that
// still parses gets its checksum recomputed as saveCheckpoint computes it, so the reader behind the checksum is
// fuzzed too; without, the checksum itself must catch every change.
function checkpointRoot(work, checkpointJson, reseal) {
  const root = path.join(work, 'ck');
  fs.rmSync(root, { recursive: true, force: true });
  const dir = path.join(root, 'step-00000002-seed');
  fs.mkdirSync(dir, { recursive: true });
  const data = fs.readFileSync(path.join(SHARED, 'checkpoint-data.bin'));
  fs.writeFileSync(path.join(dir, 'data.bin'), data);
  let text = checkpointJson;
  if (reseal) {
    try {
      const parsed = JSON.parse(checkpointJson.toString('utf8'));
      if (parsed && typeof parsed === 'object') {
        parsed.sha256 = createHash('sha256').update(data).update(JSON.stringify(parsed.value) ?? '').digest('hex');
        text = JSON.stringify(parsed);
      }
    } catch {
      // Not JSON (or too deep to re-serialise): written as it is.
    }
  }
  fs.writeFileSync(path.join(dir, 'checkpoint.json'), text);
  fs.writeFileSync(path.join(root, 'latest.json'), '{"checkpoint":"step-00000002-seed"}');
  return root;
}

async function walkTar(file) {
  const { openTarStream } = require('../../lib/data/archive.ts');
  const { readTarEntries } = require('../../lib/data/tar.ts');
  for await (const member of readTarEntries(openTarStream(file, 'fuzz.tar'), 'fuzz.tar')) {
    if (member.size <= 1 << 20) await member.read();
    else for await (const piece of member.pieces()) void piece;
  }
}

const TARGETS = [
  { name: 'safetensors', mutate: 'bytes', run: async (file) => readAllTensors((await weights().readSafetensors(file)).tensors) },
  {
    // A shard index beside the two safetensors seeds as its shards.
    name: 'safetensors-index',
    mutate: 'json',
    run: async (file, work) => {
      for (const shard of ['f32.safetensors', 'f16-bf16.safetensors']) fs.copyFileSync(path.join(__dirname, 'seeds', 'safetensors', shard), path.join(work, shard));
      const index = path.join(work, 'model.safetensors.index.json');
      fs.copyFileSync(file, index);
      await readAllTensors((await weights().readShardedSafetensors(index)).tensors);
    },
  },
  { name: 'pytorch-bin', mutate: 'bytes', run: async (file) => readAllTensors(await weights().readPytorchBin(file)) },
  {
    // data.pkl mutated opcode-aware, packed into a valid archive beside the seed's storages, so every input reaches
    // the unpickler (a byte flip in a zip mostly stops at the CRC).
    name: 'pickle',
    mutate: 'pickle',
    run: async (file, work) => {
      const storages = [12, 3].map((n, i) => ({ name: `archive/data/${i}`, data: Buffer.alloc(4 * n, 0x3f) }));
      const zip = path.join(work, 'pytorch_model.bin');
      const { writeZip } = require('../../test/weights/helpers/zip-writer.ts');
      fs.writeFileSync(zip, writeZip([{ name: 'archive/data.pkl', data: fs.readFileSync(file) }, ...storages], { deflate: false, zip64: false }));
      await readAllTensors(await weights().readPytorchBin(zip));
    },
  },
  { name: 'config', mutate: 'json', run: (file) => weights().readConfig(file) },
  { name: 'tokenizer-json', mutate: 'json', run: (file) => useTokenizer(tokenizer().fromTokenizerJson(file)) },
  { name: 'vocab-txt', mutate: 'bytes', run: (file) => useTokenizer(tokenizer().fromVocabFile(file)) },
  {
    // tokenizer_config.json beside the seed vocab.txt, read the way BertTokenizer.fromPretrained reads a folder.
    name: 'tokenizer-config',
    mutate: 'json',
    run: (file, work) => {
      fs.copyFileSync(path.join(__dirname, 'seeds', 'vocab-txt', 'vocab.txt'), path.join(work, 'vocab.txt'));
      fs.copyFileSync(file, path.join(work, 'tokenizer_config.json'));
      useTokenizer(tokenizer().fromPretrained(work));
    },
  },
  { name: 'tar', mutate: 'bytes', run: walkTar },
  {
    // The same archives read as IMDb: member names classified by the aclImdb layout, reviews decoded.
    name: 'imdb-archive',
    seeds: 'tar',
    mutate: 'bytes',
    run: (file) => require('../../lib/data/imdb.ts').readImdbArchive(file, { includeUnsup: true }),
  },
  { name: 'tsv', mutate: 'bytes', run: (file) => textFormats().readTsv(file, { maxRecordLength: 1 << 16 }) },
  { name: 'csv', mutate: 'bytes', run: (file) => textFormats().readCsv(file, { maxRecordLength: 1 << 16 }) },
  { name: 'jsonl', mutate: 'json-lines', run: (file) => textFormats().readJsonl(file, { maxRecordLength: 1 << 16 }) },
  { name: 'checkpoint', mutate: 'json', run: (file, work) => loadCheckpoint(checkpointRoot(work, fs.readFileSync(file), true)) },
  { name: 'checkpoint-raw', seeds: 'checkpoint', mutate: 'json', run: (file, work) => loadCheckpoint(checkpointRoot(work, fs.readFileSync(file), false)) },
  {
    name: 'checkpoint-latest',
    mutate: 'json',
    run: (file, work) => {
      const root = checkpointRoot(work, fs.readFileSync(path.join(__dirname, 'seeds', 'checkpoint', 'checkpoint.json')), false);
      fs.copyFileSync(file, path.join(root, 'latest.json'));
      return loadCheckpoint(root);
    },
  },
];

// The target a saved input belongs to, from its name (<target>-<id>, as the harness saves it).
function targetForFile(file) {
  const base = path.basename(file);
  return [...TARGETS].sort((a, b) => b.name.length - a.name.length).find((t) => base.startsWith(`${t.name}-`));
}

module.exports = { TARGETS, targetForFile };
