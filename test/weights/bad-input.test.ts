// Malformed weights files give WeightsFormatError naming the file and the reason — never a crash or a hang.
// The broken files are derived here from the good fixtures or built byte by byte.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { WeightsFormatError } from '../../lib/errors';
import { parseConfig, readConfig, readPytorchBin, readSafetensors, toHfConfig } from '../../lib/weights';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'weights');
let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bertnode-bad-weights-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function write(name: string, data: Uint8Array | string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, data);
  return file;
}

function safetensors(header: unknown, data: Uint8Array, headerLength?: bigint): Buffer {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(headerLength ?? BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

async function formatError(p: Promise<unknown>): Promise<WeightsFormatError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WeightsFormatError);
  return err as WeightsFormatError;
}

const f32x4 = new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer);

describe('safetensors', () => {
  test.each([
    ['header length past the end', safetensors({}, f32x4, 1000n), /header length 1000 runs past the end/],
    ['huge header length', safetensors({}, f32x4, 2n ** 63n), /runs past the end/],
    ['non-JSON header', safetensors('{"a": [1, 2', f32x4), /header is not valid UTF-8 JSON/],
    ['header not an object', safetensors('[1]', f32x4), /header must be a JSON object/],
    ['unknown dtype', safetensors({ a: { dtype: 'F8_E4M3X', shape: [4], data_offsets: [0, 16] } }, f32x4), /tensor 'a' has unknown dtype "F8_E4M3X"/],
    ['negative dimension', safetensors({ a: { dtype: 'F32', shape: [-4], data_offsets: [0, 16] } }, f32x4), /invalid shape/],
    ['offsets out of range', safetensors({ a: { dtype: 'F32', shape: [8], data_offsets: [0, 32] } }, f32x4), /run past the data buffer \(16 bytes\)/],
    ['begin after end', safetensors({ a: { dtype: 'F32', shape: [0], data_offsets: [8, 4] } }, f32x4), /begin after end/],
    ['shape/size mismatch', safetensors({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }, f32x4), /needs 12 bytes, data_offsets give 16/],
    ['overlapping tensors', safetensors({
      a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] },
      b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] },
    }, f32x4), /tensors 'a' \[0, 12\) and 'b' \[8, 16\) overlap/],
    ['shorter than the length field', Buffer.from([1, 2, 3]), /too short/],
  ])('%s', async (name, data, reason) => {
    const file = write(`${name.replace(/\W/g, '_')}.safetensors`, data);
    const err = await formatError(readSafetensors(file));
    expect(err.file).toBe(file);
    expect(err.message).toMatch(reason);
  });

  test('a file truncated inside a tensor fails when that tensor is read', async () => {
    const good = fs.readFileSync(path.join(FIXTURES, 'safetensors-f32', 'model.safetensors'));
    const file = write('truncated.safetensors', good.subarray(0, good.length - 100));
    // The header's offsets now run past the shortened data buffer.
    const err = await formatError(readSafetensors(file));
    expect(err.message).toMatch(/run past the data buffer/);
  });

  test('a file that shrinks after its header was read is reported as truncated', async () => {
    const good = fs.readFileSync(path.join(FIXTURES, 'safetensors-f32', 'model.safetensors'));
    const file = write('shrinks.safetensors', good);
    const { tensors } = await readSafetensors(file);
    fs.truncateSync(file, good.length - 100);
    const results = await Promise.allSettled(tensors.map((t) => t.read()));
    const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(failed.length).toBeGreaterThan(0);
    for (const f of failed) {
      expect(f.reason).toBeInstanceOf(WeightsFormatError);
      expect(f.reason.message).toMatch(/file is truncated/);
    }
  });
});

test('a folder where a weights file should be is a typed error (it was an untyped EISDIR)', async () => {
  const folder = path.join(tmp, 'model.safetensors');
  fs.mkdirSync(folder);
  expect((await formatError(readSafetensors(folder))).message).toMatch(/cannot read: EISDIR/);
  expect((await formatError(readPytorchBin(folder))).message).toMatch(/cannot read: EISDIR/);
});

describe('pytorch_model.bin', () => {
  const zip = fs.readFileSync(path.join(FIXTURES, 'pytorch-zip', 'pytorch_model.bin'));
  const legacy = fs.readFileSync(path.join(FIXTURES, 'pytorch-legacy', 'pytorch_model.bin'));

  test('a zip cut before its central directory', async () => {
    const err = await formatError(readPytorchBin(write('cut.bin', zip.subarray(0, zip.length - 300))));
    expect(err.message).toMatch(/corrupt zip: no end-of-central-directory record/);
  });

  test('a zip whose pickle bytes are damaged', async () => {
    const damaged = Buffer.from(zip);
    // data.pkl is the first entry: its bytes start right after the first local header.
    const start = 30 + damaged.readUInt16LE(26) + damaged.readUInt16LE(28);
    damaged[start + 40] ^= 0xff;
    const err = await formatError(readPytorchBin(write('damaged.bin', damaged)));
    expect(err.message).toMatch(/CRC-32 mismatch in '.*data\.pkl'/);
  });

  test('a zip whose central directory points past the file', async () => {
    const damaged = Buffer.from(zip);
    const eocd = damaged.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    damaged.writeUInt32LE(damaged.length, eocd + 16);
    const err = await formatError(readPytorchBin(write('cd-past-end.bin', damaged)));
    expect(err.message).toMatch(/central directory .* runs past the end/);
  });

  test('a legacy checkpoint cut inside its pickles', async () => {
    const err = await formatError(readPytorchBin(write('legacy-cut-pickle.bin', legacy.subarray(0, 300))));
    expect(err.message).toMatch(/pickle is truncated/);
  });

  test('a legacy checkpoint cut inside its storages', async () => {
    const err = await formatError(readPytorchBin(write('legacy-cut-data.bin', legacy.subarray(0, legacy.length - 10))));
    expect(err.message).toMatch(/file is truncated inside storage/);
  });

  test('neither zip nor pickle', async () => {
    const err = await formatError(readPytorchBin(write('text.bin', 'hello world, not a checkpoint')));
    expect(err.message).toMatch(/not a PyTorch checkpoint/);
  });
});

describe('config.json', () => {
  test.each([
    ['{"hidden_size": 16,', /not valid JSON/],
    ['{"hidden_size": 16, "num_attention_heads": 3}', /not a multiple of num_attention_heads/],
    ['{"hidden_act": "relu"}', /hidden_act "relu" is not supported/],
    ['{"id2label": {"0": "a", "2": "b"}}', /'id2label' keys must be the ids 0\.\.1/],
    ['{"vocab_size": 0}', /'vocab_size' must be an integer >= 1/],
    // Issue 12 item 10: 2^32 labels ended in an untyped "Invalid array length", 10^8 in gigabytes of label names.
    ['{"num_labels": 4294967296}', /'num_labels' must be an integer from 1 to 100000/],
    ['{"num_labels": 100000000}', /'num_labels' must be an integer from 1 to 100000/],
  ])('%s', async (text, reason) => {
    const file = write('config.json', text);
    const err = await formatError(readConfig(file));
    expect(err.code).toBe('ERR_BERTNODE_CONFIG');
    expect(err.message).toMatch(reason);
  });

  test('the config written for transformers says float32, whatever the source said', () => {
    const { config, labels, raw } = parseConfig({ hidden_size: 16, num_attention_heads: 2, dtype: 'bfloat16', torch_dtype: 'float16', num_labels: 2, foo: 1 });
    const hf = toHfConfig(config, labels, raw);
    expect(hf).toMatchObject({ dtype: 'float32', foo: 1, architectures: ['BertForSequenceClassification'], id2label: { 0: 'LABEL_0', 1: 'LABEL_1' } });
    expect(hf).not.toHaveProperty('torch_dtype');
    expect(hf).not.toHaveProperty('num_labels');
  });

  test('HF defaults fill a terse config', async () => {
    const { config, labels } = await readConfig(write('terse.json', '{"num_labels": 3}'));
    expect(config).toMatchObject({ hiddenSize: 768, layerNormEps: 1e-12, typeVocabSize: 2, classifierDropout: null, numLabels: 3 });
    expect(labels).toEqual(['LABEL_0', 'LABEL_1', 'LABEL_2']);
  });
});
