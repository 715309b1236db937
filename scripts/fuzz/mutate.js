// Mutations for the fuzzer, all driven by one seeded PRNG (lib/data/random's mulberry32) so that a run is
// reproducible from its seed. Byte-level: flips, interesting values, inserts, deletes, duplicated and repeated
// ranges, truncation, splices with another seed. Structure-aware: JSON (values swapped for hostile ones: huge,
// negative, fractional, deep, long, of another type) and pickle (opcodes with hostile arguments inserted at
// random places).
'use strict';

// Values that sit on the edges parsers get wrong: sign bits, 2^31, 2^32, 2^53, all-ones.
const INTERESTING_U32 = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];
const INTERESTING_U64 = [0n, 1n, 0x7fffffffn, 0xffffffffn, 0x100000000n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 64n - 1n];
const MAX_INPUT = 1 << 20;

class Mutator {
  constructor(random) {
    this.random = random;
  }

  int(n) {
    return Math.floor(this.random() * n);
  }

  pick(items) {
    return items[this.int(items.length)];
  }

  chance(p) {
    return this.random() < p;
  }

  // A few stacked byte-level mutations of `input`; `other` is another seed to splice from.
  bytes(input, other) {
    let b = Buffer.from(input);
    const rounds = 1 + this.int(this.chance(0.2) ? 16 : 4);
    for (let r = 0; r < rounds; r++) b = this.byteOnce(b, other);
    return b.length > MAX_INPUT ? b.subarray(0, MAX_INPUT) : b;
  }

  byteOnce(b, other) {
    const at = b.length === 0 ? 0 : this.int(b.length);
    switch (this.int(10)) {
      case 0: // flip one bit
        if (b.length > 0) b[at] ^= 1 << this.int(8);
        return b;
      case 1: // a random byte
        if (b.length > 0) b[at] = this.int(256);
        return b;
      case 2: { // an interesting 8/16/32/64-bit value, either endianness
        const width = this.pick([1, 2, 4, 8]);
        if (b.length < width) return b;
        const pos = this.int(b.length - width + 1);
        const out = Buffer.from(b);
        if (width === 8) {
          const v = this.pick(INTERESTING_U64);
          if (this.chance(0.5)) out.writeBigUInt64LE(v, pos);
          else out.writeBigUInt64BE(v, pos);
        } else {
          const v = this.pick(INTERESTING_U32) % 2 ** (8 * width);
          out.writeUIntLE(v, pos, width);
        }
        return out;
      }
      case 3: // insert random bytes
        return Buffer.concat([b.subarray(0, at), randomBytes(this, 1 + this.int(16)), b.subarray(at)]);
      case 4: { // delete a range
        const len = 1 + this.int(Math.min(64, Math.max(1, b.length - at)));
        return Buffer.concat([b.subarray(0, at), b.subarray(at + len)]);
      }
      case 5: { // duplicate a range in place
        const len = 1 + this.int(Math.min(256, Math.max(1, b.length - at)));
        return Buffer.concat([b.subarray(0, at + len), b.subarray(at, at + len), b.subarray(at + len)]);
      }
      case 6: { // repeat a short range many times (long runs: huge counts, long strings, deep nesting)
        const len = 1 + this.int(Math.min(4, Math.max(1, b.length - at)));
        const times = 100 + this.int(20000);
        const chunk = b.subarray(at, at + len);
        return Buffer.concat([b.subarray(0, at), Buffer.concat(new Array(times).fill(chunk)), b.subarray(at)]);
      }
      case 7: // truncate
        return b.subarray(0, at);
      case 8: { // splice: our head, the other seed's tail
        if (!other || other.length === 0) return b;
        return Buffer.concat([b.subarray(0, at), other.subarray(this.int(other.length))]);
      }
      default: { // copy a range over another place
        if (b.length < 2) return b;
        const from = this.int(b.length);
        const len = 1 + this.int(Math.min(32, b.length - from));
        const out = Buffer.from(b);
        b.copy(out, at, from, from + len);
        return out;
      }
    }
  }

  // Replaces, removes or retypes values of a parsed JSON document; falls back to bytes when it does not parse.
  json(input, other) {
    let doc;
    try {
      doc = JSON.parse(input.toString('utf8'));
    } catch {
      return this.bytes(input, other);
    }
    const rounds = 1 + this.int(4);
    for (let r = 0; r < rounds; r++) doc = this.jsonOnce(doc);
    let text = JSON.stringify(doc) ?? 'null';
    // Nesting far deeper than JSON.stringify could write: brackets around one value, added as text.
    if (this.chance(0.05)) {
      const depth = this.pick([65, 1000, 100000]);
      const at = this.int(text.length + 1);
      text = `${text.slice(0, at)}${'['.repeat(depth)}${']'.repeat(depth)}${text.slice(at)}`;
    }
    const out = Buffer.from(text, 'utf8');
    return this.chance(0.2) ? this.bytes(out, other) : out;
  }

  jsonOnce(doc) {
    const slots = [];
    collectSlots(doc, slots, 0);
    if (slots.length === 0) return this.hostileValue();
    const { parent, key } = this.pick(slots);
    if (parent === null) return this.hostileValue();
    const action = this.int(5);
    if (action === 0 && !Array.isArray(parent)) delete parent[key];
    else if (action === 1) { // another part of the document, copied (a reference could make it circular)
      const from = this.pick(slots);
      parent[key] = from.parent === null ? this.hostileValue() : JSON.parse(JSON.stringify(from.parent[from.key]) ?? 'null');
    }
    else if (action === 2 && Array.isArray(parent)) parent.push(...new Array(this.int(3) + 1).fill(parent[key]));
    else parent[key] = this.hostileValue();
    return doc;
  }

  hostileValue() {
    switch (this.int(12)) {
      case 0: return this.pick([0, -1, 1, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 1e300, -1e300, 30000000]);
      case 1: return this.pick([0.5, -0.0, 1e-320, 3.0000001]);
      case 2: return null;
      case 3: return this.chance(0.5);
      case 4: return '';
      case 5: return 'x'.repeat(this.pick([1, 100, 100000]));
      case 6: return this.pick(['[UNK]', '[CLS]', '[SEP]', '##', 'WordPiece', 'F32', 'BF16', 'I64', 'f32', 'bert', 'gelu']);
      case 7: return [];
      case 8: return {};
      case 9: return new Array(this.pick([2, 100, 10000])).fill(this.int(5));
      case 10: { // nested a little (JSON.stringify writes it recursively, so not too deep)
        let v = [];
        for (let i = this.int(80); i > 0; i--) v = [v];
        return v;
      }
      default: return { $tensor: this.pick(['f32', 'u8', 'toString']), offset: this.pick([0, 8, -8, 2 ** 60]), length: this.pick([0, 1, -1, 1e9]) };
    }
  }

  // One line of a JSON-lines file mutated as JSON (or the whole file as bytes).
  jsonLines(input, other) {
    if (this.chance(0.3)) return this.bytes(input, other);
    const lines = input.toString('utf8').split('\n');
    const at = this.int(lines.length);
    lines[at] = this.json(Buffer.from(lines[at], 'utf8'), other).toString('utf8').replace(/\n/g, ' ');
    return Buffer.from(lines.join('\n'), 'utf8');
  }

  // Inserts pickle opcodes with hostile arguments at a random position (or mutates bytes).
  pickle(input, other) {
    if (this.chance(0.4)) return this.bytes(input, other);
    let b = Buffer.from(input);
    for (let r = 1 + this.int(3); r > 0; r--) {
      const at = this.int(b.length + 1);
      b = Buffer.concat([b.subarray(0, at), this.opcode(), b.subarray(at)]);
    }
    return b;
  }

  opcode() {
    const u32 = (v) => { const x = Buffer.alloc(4); x.writeUInt32LE(v >>> 0); return x; };
    const u64 = (v) => { const x = Buffer.alloc(8); x.writeBigUInt64LE(v); return x; };
    const text = (s) => Buffer.from(s, 'latin1');
    switch (this.int(16)) {
      case 0: { const n = this.pick([0, 1, 8, 9, 16, 17, 255]); return Buffer.concat([Buffer.from([0x8a, n]), randomBytes(this, n)]); } // LONG1
      case 1: { const n = this.pick([0, 8, 16, 17, 4096, 100000]); return Buffer.concat([Buffer.from([0x8b]), u32(n), randomBytes(this, Math.min(n, 4096))]); } // LONG4
      case 2: return Buffer.concat([Buffer.from([0x4a]), u32(this.pick(INTERESTING_U32))]); // BININT
      case 3: return Buffer.from(new Array(1 + this.int(2000)).fill(this.pick([0x28, 0x5d, 0x7d, 0x29, 0x4e]))); // MARK / EMPTY_LIST / ... runs
      case 4: return Buffer.from([this.pick([0x65, 0x75, 0x74, 0x6c, 0x64, 0x61, 0x73, 0x31, 0x30, 0x32, 0x85, 0x86, 0x87])]); // containers
      case 5: return Buffer.from([this.pick([0x52, 0x81, 0x62, 0x51, 0x93, 0x2e, 0x94])]); // REDUCE NEWOBJ BUILD BINPERSID STACK_GLOBAL STOP MEMOIZE
      case 6: return Buffer.from([this.pick([0x71, 0x68]), this.int(256)]); // BINPUT / BINGET
      case 7: return Buffer.concat([Buffer.from([this.pick([0x72, 0x6a])]), u32(this.pick(INTERESTING_U32))]); // LONG_BINPUT / LONG_BINGET
      case 8: return Buffer.concat([Buffer.from([0x63]), text(this.pick(['collections\nOrderedDict\n', 'torch._utils\n_rebuild_tensor_v2\n',
        'torch\nFloatStorage\n', 'torch._utils\n_rebuild_parameter\n', 'os\nsystem\n', 'builtins\neval\n']))]); // GLOBAL
      case 9: return Buffer.concat([Buffer.from([0x58]), u32(this.pick([0, 1, 5, 0x7fffffff, 0xffffffff])), text('hello')]); // BINUNICODE
      case 10: return Buffer.concat([Buffer.from([0x8d]), u64(this.pick(INTERESTING_U64)), text('x')]); // BINUNICODE8
      case 11: return Buffer.concat([Buffer.from([0x8c, 7]), text('storage')]); // SHORT_BINUNICODE 'storage'
      case 12: return Buffer.concat([Buffer.from([this.pick([0x49, 0x4c, 0x46, 0x70, 0x67])]), text(`${this.pick(['1', '-1', '00', '01', '9'.repeat(50), '1e999', 'x'])}\n`)]); // text INT LONG FLOAT PUT GET
      case 13: return Buffer.from([0x80, this.int(7)]); // PROTO
      case 14: return Buffer.concat([Buffer.from([0x95]), u64(this.pick(INTERESTING_U64))]); // FRAME
      default: return Buffer.from([this.int(256)]);
    }
  }
}

function randomBytes(m, n) {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = m.int(256);
  return out;
}

// Every (container, key) of the document, depth-first, plus the root (parent null).
function collectSlots(value, slots, depth) {
  if (depth === 0) slots.push({ parent: null, key: null });
  if (value === null || typeof value !== 'object' || depth > 40 || slots.length > 5000) return;
  for (const key of Object.keys(value)) {
    slots.push({ parent: value, key });
    collectSlots(value[key], slots, depth + 1);
  }
}

// The mutation a target asked for by name.
function mutate(mutator, kind, input, other) {
  if (kind === 'json') return mutator.json(input, other);
  if (kind === 'json-lines') return mutator.jsonLines(input, other);
  if (kind === 'pickle') return mutator.pickle(input, other);
  return mutator.bytes(input, other);
}

module.exports = { Mutator, mutate };
