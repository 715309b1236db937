#!/usr/bin/env node
// Writes the fuzzer's seed corpus (scripts/fuzz/seeds/<target>/) from scratch: small valid inputs of every format,
// built here by hand (tensors of a few elements, a 40-token vocabulary, made-up one-line reviews), so the corpus
// is reproducible and holds no third-party data. Run it again after changing a format; commit the result.
'use strict';
require('../../test/ts-register.js');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { writeZip } = require('../../test/weights/helpers/zip-writer.ts');
const { pickleString, stateDictPickle: writeStateDictPickle } = require('../../test/weights/helpers/state-dict-pickle.ts');
const { writeTar } = require('../../test/data/helpers/tar-writer.ts');
const { saveCheckpoint } = require('../../lib/train/checkpoint.ts');

// Another folder may be given, e.g. to check that the committed corpus is what this script writes.
const SEEDS = path.resolve(process.argv[2] ?? path.join(__dirname, 'seeds'));

function put(target, name, data) {
  fs.mkdirSync(path.join(SEEDS, target), { recursive: true });
  fs.writeFileSync(path.join(SEEDS, target, name), data);
}

// ---- weights -------------------------------------------------------------------------------------------------

const TENSORS = [
  { name: 'bert.embeddings.word_embeddings.weight', shape: [4, 3] },
  { name: 'bert.pooler.dense.bias', shape: [3] },
];
const floats = (n, k) => Float32Array.from({ length: n }, (_, i) => (i + 1) * k);
const numel = (shape) => shape.reduce((a, b) => a * b, 1);

function safetensors(dtypes, metadata) {
  const header = {};
  const parts = [];
  let offset = 0;
  TENSORS.forEach((t, i) => {
    const dtype = dtypes[i % dtypes.length];
    const f = floats(numel(t.shape), 0.5);
    const bytes = dtype === 'F32' ? Buffer.from(f.buffer)
      : Buffer.from(Uint16Array.from(f, (x) => (dtype === 'BF16' ? new Uint32Array(Float32Array.of(x).buffer)[0] >>> 16 : 0x3c00)).buffer);
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  });
  if (metadata) header.__metadata__ = metadata;
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, ...parts]);
}

const stateDictPickle = (legacy) => writeStateDictPickle(
  TENSORS.map((t, i) => ({ name: t.name, shape: t.shape, storageKey: String(i), storageNumel: numel(t.shape) })), legacy);
const str = pickleString;
const op = (...bytes) => Buffer.from(bytes);

function storages() {
  return TENSORS.map((t) => Buffer.from(floats(numel(t.shape), 0.25).buffer));
}

function torchZip(opts) {
  const entries = [
    { name: 'archive/data.pkl', data: stateDictPickle(false) },
    { name: 'archive/byteorder', data: Buffer.from('little') },
    ...storages().map((data, i) => ({ name: `archive/data/${i}`, data })),
    { name: 'archive/version', data: Buffer.from('3\n') },
  ];
  return writeZip(entries, opts);
}

function torchLegacy() {
  // magic number 0x1950a86a20f9469cfc6c (LONG1, 10 bytes little-endian), protocol version 1001, sys info, the
  // state dict, the storage keys, then the storages.
  const parts = [
    Buffer.concat([op(0x80, 2, 0x8a, 10), Buffer.from('6cfc9c46f9206aa85019', 'hex'), op(0x2e)]),
    Buffer.concat([op(0x80, 2, 0x4d, 0xe9, 0x03, 0x2e)]),
    Buffer.concat([op(0x80, 2, 0x7d, 0x28), str('little_endian'), op(0x88, 0x75, 0x2e)]),
    stateDictPickle(true),
    Buffer.concat([op(0x80, 2, 0x5d, 0x28), ...TENSORS.map((_, i) => str(String(i))), op(0x65, 0x2e)]),
  ];
  storages().forEach((data) => {
    const count = Buffer.alloc(8);
    count.writeBigInt64LE(BigInt(data.length / 4));
    parts.push(count, data);
  });
  return Buffer.concat(parts);
}

function weightSeeds() {
  put('safetensors', 'f32.safetensors', safetensors(['F32']));
  put('safetensors', 'f16-bf16.safetensors', safetensors(['F16', 'BF16'], { format: 'pt' }));
  put('pytorch-bin', 'zip-stored.bin', torchZip({ deflate: false, zip64: false }));
  put('pytorch-bin', 'zip-deflated.bin', torchZip({ deflate: true, zip64: false }));
  put('pytorch-bin', 'zip64.bin', torchZip({ deflate: false, zip64: true }));
  put('pytorch-bin', 'legacy.bin', torchLegacy());
  put('pickle', 'state-dict.pkl', stateDictPickle(false));
  put('safetensors-index', 'model.safetensors.index.json', JSON.stringify({
    metadata: { total_size: 60 }, weight_map: { [TENSORS[0].name]: 'f32.safetensors', [TENSORS[1].name]: 'f16-bf16.safetensors' } }, null, 2));

  put('config', 'config.json', JSON.stringify({
    architectures: ['BertForSequenceClassification'], model_type: 'bert', vocab_size: 40, hidden_size: 8,
    num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 16, max_position_embeddings: 32,
    type_vocab_size: 2, layer_norm_eps: 1e-12, hidden_act: 'gelu', hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1, id2label: { 0: 'negative', 1: 'positive' }, label2id: { negative: 0, positive: 1 },
  }, null, 2));
}

// ---- tokenizer -----------------------------------------------------------------------------------------------

const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a', 'the', 'film', 'fine', 'was', 'not', 'good', 'bad',
  'un', '##aff', '##able', '##s', '##ing', 'play', 'act', ',', '.', '!', '?', "'", 'it', 'is', 'i', 'liked', 'plot',
  '東', '京', 'é', '##é', 'cafe', '##e', 'b', '##b', 'x', '##x'];
function vocabSeeds() {
  put('vocab-txt', 'vocab.txt', `${VOCAB.join('\n')}\n`);
  put('vocab-txt', 'vocab-crlf.txt', `${VOCAB.slice(0, 12).join('\r\n')}\r\n`);
  put('tokenizer-config', 'tokenizer_config.json', JSON.stringify({
    do_lower_case: true, strip_accents: null, tokenize_chinese_chars: true, model_max_length: 512,
    unk_token: '[UNK]', sep_token: '[SEP]', pad_token: '[PAD]', cls_token: '[CLS]',
    mask_token: { content: '[MASK]', lstrip: false, normalized: false, rstrip: false, single_word: false, special: true },
  }, null, 2));
}

const special = (id, content) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
const tokenizerJson = (postProcessor) => JSON.stringify({
  version: '1.0', truncation: null, padding: null,
  added_tokens: VOCAB.slice(0, 5).map((t, i) => special(i, t)),
  normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
  pre_tokenizer: { type: 'BertPreTokenizer' },
  post_processor: postProcessor,
  decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
  model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100,
    vocab: Object.fromEntries(VOCAB.map((t, i) => [t, i])) },
}, null, 1);
function tokenizerJsonSeeds() {
  put('tokenizer-json', 'template.json', tokenizerJson({
  type: 'TemplateProcessing',
  single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
  pair: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } },
    { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } }],
  special_tokens: { '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] } },
}));
  put('tokenizer-json', 'bert-processing.json', tokenizerJson({ type: 'BertProcessing', sep: ['[SEP]', 3], cls: ['[CLS]', 2] }));
}

// ---- data files (made-up one-line reviews) -------------------------------------------------------------------

const REVIEWS = [['a fine film, i liked the plot', 'positive'], ['not good. the acting was bad!', 'negative'],
  ['"quoted", with a comma', 'positive'], ['tabs\tinside the text', 'negative']];
function textSeeds() {
  put('tsv', 'plain.tsv', REVIEWS.map(([t, l]) => `${t}\t${l === 'positive' ? 1 : 0}`).join('\n'));
  put('tsv', 'header-crlf.tsv', `text\tlabel\r\n${REVIEWS.map(([t, l]) => `${t}\t${l}`).join('\r\n')}\r\n`);
  const csvField = (s) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  put('csv', 'kaggle.csv', `review,sentiment\n${REVIEWS.map(([t, l]) => `${csvField(t)},${l}`).join('\n')}\n`);
  put('csv', 'multiline.csv', 'text,label,text_pair\n"first line\nsecond line",1,"pair, with comma"\nshort,0,x\n');
  put('jsonl', 'reviews.jsonl', REVIEWS.map(([text, label], i) => JSON.stringify({ id: i, text, label })).join('\n'));
  put('jsonl', 'pairs.jsonl', `${JSON.stringify({ text: 'is it good?', text_pair: 'it is.', label: 1 })}\r\n{"review": "fine", "sentiment": "negative"}\n`);
}

// ---- tar / tar.gz ----------------------------------------------------------------------------------------------

const tarFiles = [
  { name: 'aclImdb/', type: '5' },
  { name: 'aclImdb/train/pos/0_9.txt', body: REVIEWS[0][0] },
  { name: 'aclImdb/train/neg/1_2.txt', body: REVIEWS[1][0] },
  { name: `aclImdb/${'long-directory-name/'.repeat(6)}3_7.txt`, body: 'a long name', longName: 'gnu' },
  { name: `aclImdb/${'pax-directory/'.repeat(9)}4_8.txt`, body: 'a pax name', longName: 'pax', pax: { mtime: '1.5' } },
  { name: 'aclImdb/link', type: '2', linkName: 'train/pos/0_9.txt' },
];
function tarSeeds() {
  const tar = writeTar(tarFiles, { globalPax: { comment: 'seed' } });
  put('tar', 'reviews.tar', tar);
  put('tar', 'reviews.tar.gz', zlib.gzipSync(tar));
  put('tar', 'gnu.tar', writeTar(tarFiles.slice(0, 4), { gnuMagic: true, endBlocks: 1 }));
}

// ---- checkpoints -----------------------------------------------------------------------------------------------

async function checkpointSeeds() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bertnode-fuzz-seeds-'));
  try {
    const value = {
      kind: 'bertnode-trainer',
      fingerprint: { parameters: ['classifier.weight', 'classifier.bias'], trainable: ['classifier.weight', 'classifier.bias'], settings: { lr: 0.05, seed: 3 } },
      state: { step: 2, microStep: 0, epoch: 0, batchInEpoch: 2, epochLossSum: 1.25, epochExamples: 16, evaluationsWithoutImprovement: 0,
        history: { steps: [{ step: 1, loss: 0.69, lr: 0.05 }, { step: 2, loss: 0.56, lr: 0.05 }], epochs: [], evaluations: [] } },
      parameters: new Map([['classifier.weight', floats(6, 0.1)], ['classifier.bias', floats(2, 0.2)]]),
      optimizer: { step: 2, m: new Map([['classifier.weight', floats(6, 0.01)]]), v: new Map([['classifier.weight', floats(6, 0.001)]]) },
      bestParameters: null,
      notes: { nan: NaN, inf: Infinity, bytes: Uint8Array.of(1, 2, 3), ids: Int32Array.of(-1, 7) },
    };
    const dir = await saveCheckpoint(root, 'step-00000002-seed', value);
    put('_shared', 'checkpoint-data.bin', fs.readFileSync(path.join(dir, 'data.bin')));
    put('checkpoint', 'checkpoint.json', fs.readFileSync(path.join(dir, 'checkpoint.json')));
    put('checkpoint-latest', 'latest.json', fs.readFileSync(path.join(root, 'latest.json')));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}


async function main() {
  fs.rmSync(SEEDS, { recursive: true, force: true });
  weightSeeds();
  vocabSeeds();
  tokenizerJsonSeeds();
  textSeeds();
  tarSeeds();
  await checkpointSeeds();
  for (const dir of fs.readdirSync(SEEDS).sort()) console.log(`${dir}: ${fs.readdirSync(path.join(SEEDS, dir)).join(', ')}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
