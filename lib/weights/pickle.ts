// A restricted unpickler for PyTorch state dicts (pickle protocols 0-5, the opcodes a state dict uses).
//
// Nothing here executes anything: a pickle can only name a global (GLOBAL / STACK_GLOBAL / INST) and later ask
// for it to be called (REDUCE / NEWOBJ / BUILD). Every global is checked against a short allowlist at the moment
// its name is read, and refused with UnsafePickleError there — before any later opcode is looked at — so
// `os.system`, `builtins.eval`, `subprocess.Popen` & co. never even become values. The allowed globals are
// modelled by small pure functions that build descriptions (dicts, storage references, tensor views).
import { UnsafePickleError, WeightsFormatError } from '../errors';

// A Python dict / OrderedDict. Keys are whatever the pickle uses (strings for a state dict).
export class PyDict {
  readonly map = new Map<unknown, unknown>();
}

// A tensor as torch._utils._rebuild_tensor describes it: a strided view into `storage`, which is whatever the
// caller's persistentLoad returned for the persistent id (for PyTorch: a storage in the archive).
export interface TensorView {
  kind: 'tensor';
  storage: unknown;
  storageOffset: number;
  shape: number[];
  stride: number[];
}

// A global from the allowlist, as a value on the stack. `name` is "module.qualname".
export class PyGlobal {
  constructor(readonly name: string) {}
}

const REBUILD_TENSOR = new Set(['torch._utils._rebuild_tensor', 'torch._utils._rebuild_tensor_v2']);
const REBUILD_PARAMETER = new Set(['torch._utils._rebuild_parameter', 'torch._utils._rebuild_parameter_with_state']);
const STORAGE_TYPES = ['Float', 'Half', 'BFloat16', 'Double', 'Long', 'Int', 'Short', 'Char', 'Byte', 'Bool']
  .map((t) => `torch.${t}Storage`);
const TORCH_DTYPES = ['float32', 'float16', 'bfloat16', 'float64', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool']
  .map((t) => `torch.${t}`);

// Everything a state dict (tensors, their storages, OrderedDict with _metadata) can contain. Nothing else.
export const ALLOWED_GLOBALS: ReadonlySet<string> = new Set([
  'collections.OrderedDict',
  ...REBUILD_TENSOR,
  ...REBUILD_PARAMETER,
  ...STORAGE_TYPES,
  ...TORCH_DTYPES,
]);

export interface UnpickleOptions {
  file: string;
  persistentLoad?: (pid: unknown) => unknown;
}

// Thrown when the input ends inside the pickle; the legacy reader catches it to read more of the file.
export class PickleTruncated extends Error {}

const MARK = Symbol('mark');

// The widest integer a checkpoint holds is the legacy format's 10-byte magic number; sizes and offsets take 8.
// Longer LONG1/LONG4/INT/LONG values are refused instead of being built (a 400 KB LONG4 took minutes).
const MAX_LONG_BYTES = 16;
const MAX_INT_DIGITS = 40;

export function unpickle(data: Uint8Array, start: number, opts: UnpickleOptions): { value: unknown; end: number } {
  const { file } = opts;
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let pos = start;
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();
  const fail = (reason: string): never => {
    throw new WeightsFormatError(file, `pickle at byte ${pos}: ${reason}`);
  };
  const need = (n: number): void => {
    if (n < 0 || pos + n > buf.length) throw new PickleTruncated(`pickle truncated at byte ${pos}`);
  };
  const u8 = (): number => {
    need(1);
    return buf[pos++];
  };
  const u16 = (): number => {
    need(2);
    pos += 2;
    return buf.readUInt16LE(pos - 2);
  };
  const u32 = (): number => {
    need(4);
    pos += 4;
    return buf.readUInt32LE(pos - 4);
  };
  const u64 = (): number => {
    need(8);
    const v = buf.readBigUInt64LE(pos);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`length ${v} is too large`);
    pos += 8;
    return Number(v);
  };
  const bytes = (n: number): Buffer => {
    need(n);
    pos += n;
    return buf.subarray(pos - n, pos);
  };
  const line = (): string => {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) throw new PickleTruncated(`pickle truncated at byte ${pos}`);
    const s = buf.toString('latin1', pos, nl);
    pos = nl + 1;
    return s;
  };
  const pop = (): unknown => {
    if (stack.length === 0) fail('stack underflow');
    const v = stack.pop();
    if (v === MARK) fail('unexpected MARK');
    return v;
  };
  const top = (): unknown => {
    if (stack.length === 0 || stack[stack.length - 1] === MARK) fail('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) fail('no MARK on the stack');
    const items = stack.splice(i);
    items.shift();
    return items;
  };
  const global = (module: string, name: string): PyGlobal => {
    const full = `${module}.${name}`;
    if (!ALLOWED_GLOBALS.has(full)) throw new UnsafePickleError(file, full);
    return new PyGlobal(full);
  };
  const decode = (b: Buffer): string => {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(b);
    } catch {
      return fail('string is not valid UTF-8');
    }
  };
  const memoGet = (i: number): unknown => {
    if (!memo.has(i)) fail(`memo key ${i} was never stored`);
    return memo.get(i);
  };
  const setItems = (target: unknown, items: unknown[]): void => {
    if (!(target instanceof PyDict)) fail('SETITEM(S) on something that is not a dict');
    if (items.length % 2 !== 0) fail('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) (target as PyDict).map.set(items[i], items[i + 1]);
  };
  const appendItems = (target: unknown, items: unknown[]): void => {
    if (!Array.isArray(target)) fail('APPEND(S) on something that is not a list');
    // One push per item: push(...items) passes them as arguments, and 300k arguments overflow the stack.
    for (const item of items) (target as unknown[]).push(item);
  };
  const longLength = (n: number): number => {
    if (n > MAX_LONG_BYTES) fail(`integer of ${n} bytes (a state dict needs at most ${MAX_LONG_BYTES})`);
    return n;
  };
  const call = (fn: unknown, args: unknown): unknown => {
    if (!(fn instanceof PyGlobal)) return fail('REDUCE on something that is not an allowed global');
    if (!Array.isArray(args)) return fail(`arguments of ${fn.name} are not a tuple`);
    return callAllowed(fn.name, args, fail);
  };

  for (;;) {
    const opPos = pos;
    const op = u8();
    switch (op) {
      case 0x80: { // PROTO
        const proto = u8();
        if (proto > 5) fail(`unsupported pickle protocol ${proto}`);
        break;
      }
      case 0x95: // FRAME: a length hint only
        bytes(8);
        break;
      case 0x2e: // STOP
        return { value: pop(), end: pos };
      case 0x28: stack.push(MARK); break; // MARK
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x4a: need(4); stack.push(buf.readInt32LE(pos)); pos += 4; break; // BININT
      case 0x8a: stack.push(longFromBytes(bytes(longLength(u8())))); break; // LONG1
      case 0x8b: { // LONG4
        need(4);
        const n = buf.readInt32LE(pos);
        pos += 4;
        if (n < 0) fail('negative LONG4 length');
        stack.push(longFromBytes(bytes(longLength(n))));
        break;
      }
      case 0x49: { // INT (protocol 0): "01"/"00" are True/False
        const s = line();
        if (s === '01') stack.push(true);
        else if (s === '00') stack.push(false);
        else stack.push(parseIntText(s, fail));
        break;
      }
      case 0x4c: stack.push(parseIntText(line().replace(/L$/, ''), fail)); break; // LONG (protocol 0)
      case 0x47: need(8); stack.push(buf.readDoubleBE(pos)); pos += 8; break; // BINFLOAT
      case 0x46: { // FLOAT (protocol 0)
        const v = Number(line());
        if (Number.isNaN(v)) fail('FLOAT is not a number');
        stack.push(v);
        break;
      }
      case 0x58: stack.push(decode(bytes(u32()))); break; // BINUNICODE
      case 0x8c: stack.push(decode(bytes(u8()))); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(decode(bytes(u64()))); break; // BINUNICODE8
      case 0x56: stack.push(line()); break; // UNICODE (raw-unicode-escape; state dict keys are ASCII)
      case 0x54: { // BINSTRING (py2 str)
        need(4);
        const n = buf.readInt32LE(pos);
        pos += 4;
        if (n < 0) fail('negative BINSTRING length');
        stack.push(bytes(n).toString('latin1'));
        break;
      }
      case 0x55: stack.push(bytes(u8()).toString('latin1')); break; // SHORT_BINSTRING
      case 0x53: stack.push(parseQuoted(line(), fail)); break; // STRING
      case 0x43: stack.push(Uint8Array.from(bytes(u8()))); break; // SHORT_BINBYTES
      case 0x42: stack.push(Uint8Array.from(bytes(u32()))); break; // BINBYTES
      case 0x8e: stack.push(Uint8Array.from(bytes(u64()))); break; // BINBYTES8
      case 0x96: stack.push(Uint8Array.from(bytes(u64()))); break; // BYTEARRAY8
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x74: stack.push(popMark()); break; // TUPLE
      case 0x85: stack.push([pop()]); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push([a, b]); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push([a, b, c]); break; } // TUPLE3
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x61: { const v = pop(); appendItems(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); appendItems(top(), items); break; } // APPENDS
      case 0x7d: stack.push(new PyDict()); break; // EMPTY_DICT
      case 0x64: { const d = new PyDict(); setItems(d, popMark()); stack.push(d); break; } // DICT
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x8f: stack.push([]); break; // EMPTY_SET (kept as a list; a state dict holds no sets)
      case 0x90: { const items = popMark(); appendItems(top(), items); break; } // ADDITEMS
      case 0x91: stack.push(popMark()); break; // FROZENSET
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x70: memo.set(parseIntText(line(), fail) as number, top()); break; // PUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: stack.push(memoGet(u8())); break; // BINGET
      case 0x6a: stack.push(memoGet(u32())); break; // LONG_BINGET
      case 0x67: stack.push(memoGet(parseIntText(line(), fail) as number)); break; // GET
      case 0x63: { const module = line(); const name = line(); stack.push(global(module, name)); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x69: { // INST: a global called with the items above the mark
        const g = global(line(), line());
        stack.push(call(g, popMark()));
        break;
      }
      case 0x6f: { // OBJ: class and arguments above the mark
        const items = popMark();
        if (items.length === 0) fail('OBJ without a class');
        stack.push(call(items[0], items.slice(1)));
        break;
      }
      case 0x52: { const args = pop(); const fn = pop(); stack.push(call(fn, args)); break; } // REDUCE
      case 0x81: { const args = pop(); const cls = pop(); stack.push(call(cls, args)); break; } // NEWOBJ
      case 0x92: { // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        if (!(kwargs instanceof PyDict) || kwargs.map.size !== 0) fail('NEWOBJ_EX with keyword arguments');
        stack.push(call(cls, args));
        break;
      }
      case 0x62: { // BUILD: only OrderedDict's attribute dict (the state dict's _metadata) is expected.
        const state = pop();
        const target = top();
        if (!(target instanceof PyDict)) fail('BUILD on an object that is not a dict');
        if (state !== null && !(state instanceof PyDict) && !Array.isArray(state)) fail('BUILD with an unexpected state');
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!opts.persistentLoad) fail('persistent id without a loader');
        stack.push(opts.persistentLoad!(pid));
        break;
      }
      case 0x50: { // PERSID
        const pid = line();
        if (!opts.persistentLoad) fail('persistent id without a loader');
        stack.push(opts.persistentLoad!(pid));
        break;
      }
      default:
        pos = opPos;
        fail(`unknown or unsupported opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }
}

function callAllowed(name: string, args: unknown[], fail: (reason: string) => never): unknown {
  if (name === 'collections.OrderedDict') {
    if (args.length !== 0) fail('OrderedDict called with arguments');
    return new PyDict();
  }
  if (REBUILD_TENSOR.has(name)) {
    // _rebuild_tensor(storage, offset, size, stride) and _v2 (..., requires_grad, backward_hooks[, metadata]).
    const [storage, offset, size, stride] = args;
    if (!isIntArray(size) || !isIntArray(stride) || size.length !== stride.length || !isNonNegInt(offset)) {
      fail(`${name} with invalid offset/size/stride`);
    }
    const view: TensorView = { kind: 'tensor', storage, storageOffset: offset as number, shape: size as number[], stride: stride as number[] };
    return view;
  }
  if (REBUILD_PARAMETER.has(name)) {
    // A Parameter is its data as far as a state dict is concerned.
    const data = args[0];
    if (!isTensorView(data)) fail(`${name} of something that is not a tensor`);
    return data;
  }
  return fail(`${name} cannot be called`);
}

export function isTensorView(v: unknown): v is TensorView {
  return typeof v === 'object' && v !== null && (v as TensorView).kind === 'tensor';
}

function isNonNegInt(v: unknown): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isIntArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every(isNonNegInt);
}

// Two's-complement little-endian integer; a number when it fits exactly, otherwise a bigint. Built from one hex
// string (linear), not a shift per byte (quadratic in the length).
function longFromBytes(b: Buffer): number | bigint {
  if (b.length === 0) return 0;
  let v = BigInt(`0x${Buffer.from(b).reverse().toString('hex')}`);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function parseIntText(s: string, fail: (reason: string) => never): number | bigint {
  if (!/^[-+]?\d+$/.test(s)) fail(`invalid integer literal ${JSON.stringify(s.slice(0, 40))}`);
  if (s.length > MAX_INT_DIGITS) fail(`integer literal of ${s.length} digits (a state dict needs at most ${MAX_INT_DIGITS})`);
  const v = BigInt(s);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

// Protocol 0 STRING: a quoted Python literal; state dicts only use plain ASCII here.
function parseQuoted(s: string, fail: (reason: string) => never): string {
  const q = s[0];
  if ((q !== "'" && q !== '"') || s.length < 2 || s[s.length - 1] !== q) fail('STRING is not quoted');
  return s.slice(1, -1);
}

// A short rendering of an unpickled value for error messages. Depth, items and string length are capped: a
// hostile pickle can nest lists 200k deep (JSON.stringify would overflow the stack) or hold 300k items.
export function describe(v: unknown, depth = 0): string {
  if (v instanceof PyGlobal) return v.name;
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}...` : v);
  if (typeof v === 'bigint') return v.toString();
  if (v === null || typeof v !== 'object') return String(v);
  if (depth >= 3) return '...';
  const items = v instanceof PyDict ? [...v.map.entries()].slice(0, 8).map(([k, x]) => `${describe(k, depth + 1)}: ${describe(x, depth + 1)}`)
    : Array.isArray(v) ? v.slice(0, 8).map((x) => describe(x, depth + 1)) : undefined;
  if (items === undefined) return isTensorView(v) ? 'a tensor' : v instanceof Uint8Array ? `bytes[${v.length}]` : 'an object';
  const size = v instanceof PyDict ? v.map.size : (v as unknown[]).length;
  if (size > 8) items.push(`... ${size - 8} more`);
  return v instanceof PyDict ? `{${items.join(', ')}}` : `[${items.join(', ')}]`;
}
