// The part of the protobuf wire format an ONNX file needs, for writing only: varints, length-delimited fields
// (strings, bytes, nested messages, packed repeated scalars) and 32-bit floats. A message is built as a list of
// chunks so the weights (hundreds of MB) are referenced, not copied, until the file is written.
const WIRE_VARINT = 0;
const WIRE_LENGTH = 2;
const WIRE_FIXED32 = 5;

export class ProtoWriter {
  readonly chunks: Buffer[] = [];
  byteLength = 0;

  private push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.byteLength += chunk.length;
  }

  private tag(field: number, wire: number): void {
    this.push(varint(BigInt(field * 8 + wire)));
  }

  // int32/int64/enum/bool fields; negative values take ten bytes (two's complement), as protobuf specifies.
  int(field: number, value: number | bigint): this {
    this.tag(field, WIRE_VARINT);
    this.push(varint(BigInt.asUintN(64, BigInt(value))));
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, WIRE_FIXED32);
    const b = Buffer.alloc(4);
    b.writeFloatLE(value);
    this.push(b);
    return this;
  }

  bytes(field: number, value: Buffer): this {
    this.tag(field, WIRE_LENGTH);
    this.push(varint(BigInt(value.length)));
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  message(field: number, message: ProtoWriter): this {
    this.tag(field, WIRE_LENGTH);
    this.push(varint(BigInt(message.byteLength)));
    for (const c of message.chunks) this.push(c);
    return this;
  }

  packedInts(field: number, values: readonly (number | bigint)[]): this {
    return this.bytes(field, Buffer.concat(values.map((v) => varint(BigInt.asUintN(64, BigInt(v))))));
  }
}

export function varint(value: bigint): Buffer {
  const out: number[] = [];
  let v = value;
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return Buffer.from(out);
}
