// A pickle writer for exactly what torch.save writes for a state dict (protocol 2): an OrderedDict of
// torch._utils._rebuild_tensor_v2 calls whose storages are persistent ids ('storage', FloatStorage, key, 'cpu',
// numel[, None] in the legacy format). Strides default to contiguous; a test may give its own.

export interface PickledTensor {
  name: string;
  shape: number[];
  stride?: number[];
  storageKey: string;
  storageNumel: number;
}

const op = (...bytes: number[]): Buffer => Buffer.from(bytes);
const global = (module: string, name: string): Buffer => Buffer.concat([op(0x63), Buffer.from(`${module}\n${name}\n`, 'latin1')]);
const tuple = (items: Buffer[]): Buffer => Buffer.concat([op(0x28), ...items, op(0x74)]);

export function pickleString(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(b.length);
  return Buffer.concat([op(0x58), len, b]);
}

export function pickleInt(v: number): Buffer {
  if (v >= 0 && v < 256) return op(0x4b, v);
  if (v >= -(2 ** 31) && v < 2 ** 31) {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    return Buffer.concat([op(0x4a), b]);
  }
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(v));
  return Buffer.concat([op(0x8a, 8), b]); // LONG1, 8 bytes
}

export function contiguousStride(shape: number[]): number[] {
  return shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
}

export function stateDictPickle(tensors: PickledTensor[], legacy = false): Buffer {
  const entries = tensors.map((t) => {
    const pid = tuple([pickleString('storage'), global('torch', 'FloatStorage'), pickleString(t.storageKey), pickleString('cpu'),
      pickleInt(t.storageNumel), ...(legacy ? [op(0x4e)] : [])]);
    const args = tuple([pid, op(0x51), pickleInt(0), tuple(t.shape.map(pickleInt)), tuple((t.stride ?? contiguousStride(t.shape)).map(pickleInt)),
      op(0x89), global('collections', 'OrderedDict'), op(0x29, 0x52)]);
    return Buffer.concat([pickleString(t.name), global('torch._utils', '_rebuild_tensor_v2'), args, op(0x52)]);
  });
  return Buffer.concat([op(0x80, 2), global('collections', 'OrderedDict'), op(0x29, 0x52, 0x71, 0), op(0x28), ...entries, op(0x75, 0x2e)]);
}
