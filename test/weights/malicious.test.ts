// The restricted unpickler refuses every global a state dict does not need, at the opcode that names it.
// The fixtures' payloads (scripts/golden/generate_weights_fixtures.py) touch a marker file when a normal Python
// unpickler loads them — the generator checks that they do — so the marker's absence proves nothing ran.
import * as fs from 'fs';
import * as path from 'path';
import { UnsafePickleError, WeightsFormatError } from '../../lib/errors';
import { readPytorchBin } from '../../lib/weights';
import { unpickle } from '../../lib/weights/pickle';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'weights');
const { payloadMarker } = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'manifest.json'), 'utf8')) as { payloadMarker: string };

beforeEach(() => fs.rmSync(payloadMarker, { force: true }));

test.each([
  ['system-zip.bin', 'posix.system'],
  // Protocol 2 writes Python 3's builtins under their Python 2 module name.
  ['eval-legacy.bin', '__builtin__.eval'],
  ['subprocess-proto4.bin', 'subprocess.call'],
])('%s is refused naming %s, and its payload never runs', async (file, global) => {
  const err = await readPytorchBin(path.join(FIXTURES, 'malicious', file)).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(UnsafePickleError);
  expect((err as UnsafePickleError).code).toBe('ERR_BERTNODE_UNSAFE_PICKLE');
  expect((err as UnsafePickleError).global).toBe(global);
  expect((err as Error).message).toContain(file);
  expect(fs.existsSync(payloadMarker)).toBe(false);
});

// Hand-written pickles, to show where the refusal happens and what else is rejected.
const opts = { file: 'test.pkl' };
const bytes = (...parts: Array<string | number[]>) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

test('a forbidden GLOBAL is refused before any later opcode is read', () => {
  // GLOBAL os.system, then bytes that are not even valid pickle: the refusal comes first.
  const data = bytes([0x80, 2], 'cos\nsystem\n', [0xff, 0xff]);
  expect(() => unpickle(data, 0, opts)).toThrow(UnsafePickleError);
  expect(() => unpickle(data, 0, opts)).toThrow(/'os\.system'/);
});

test('STACK_GLOBAL is checked the same way', () => {
  // SHORT_BINUNICODE 'builtins', SHORT_BINUNICODE 'getattr', STACK_GLOBAL
  const data = bytes([0x80, 4, 0x8c, 8], 'builtins', [0x8c, 7], 'getattr', [0x93, 0x2e]);
  expect(() => unpickle(data, 0, opts)).toThrow(/'builtins\.getattr'/);
});

test('an allowed global cannot be called with arbitrary arguments', () => {
  // OrderedDict('x') -> refused (OrderedDict is only ever called without arguments in a state dict)
  const data = bytes([0x80, 2], 'ccollections\nOrderedDict\n', [0x8c, 1], 'x', [0x85, 0x52, 0x2e]);
  expect(() => unpickle(data, 0, opts)).toThrow(WeightsFormatError);
});

test('unknown opcodes are typed errors naming the byte', () => {
  expect(() => unpickle(bytes([0x80, 2, 0xfe]), 0, opts)).toThrow(/pickle at byte 2: unknown or unsupported opcode 0xfe/);
  // EXT1 (extension registry) is not something a state dict uses.
  expect(() => unpickle(bytes([0x80, 2, 0x82, 1]), 0, opts)).toThrow(/opcode 0x82/);
});

test('a pickle that ends early is reported as truncated', () => {
  const data = bytes([0x80, 2, 0x7d, 0x71, 0x00, 0x28, 0x58, 10, 0, 0, 0], 'abc');
  expect(() => unpickle(data, 0, opts)).toThrow(/truncated/);
});

test('the opcodes of a state dict build the expected values', () => {
  // {'a': (1, -2, 3.5, None, True, [70000])} via EMPTY_DICT, BINPUT, MARK, SETITEMS, TUPLE, LONG1, BINFLOAT ...
  const f = Buffer.alloc(8);
  f.writeDoubleBE(3.5);
  const data = bytes([0x80, 2, 0x7d, 0x71, 0, 0x28, 0x8c, 1], 'a',
    [0x28, 0x4b, 1, 0x8a, 1, 0xfe, 0x47], [...f], [0x4e, 0x88, 0x5d, 0x4a, 0x70, 0x11, 0x01, 0x00, 0x61, 0x74, 0x75, 0x2e]);
  const { value, end } = unpickle(data, 0, opts);
  expect(end).toBe(data.length);
  expect((value as { map: Map<string, unknown> }).map.get('a')).toEqual([1, -2, 3.5, null, true, [70000]]);
});
