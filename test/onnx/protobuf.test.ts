// The protobuf writer against bytes from the protobuf encoding spec (developers.google.com/protocol-buffers/docs/encoding).
import { ProtoWriter, varint } from '../../lib/onnx/protobuf';

const bytes = (w: ProtoWriter) => [...Buffer.concat(w.chunks)];

test('varints: 1, 150 and 300 as the spec writes them; 2^63 - 1 in nine bytes', () => {
  expect([...varint(1n)]).toEqual([0x01]);
  expect([...varint(150n)]).toEqual([0x96, 0x01]);
  expect([...varint(300n)]).toEqual([0xac, 0x02]);
  expect(varint(2n ** 63n - 1n).length).toBe(9);
});

test('fields: int 150 in field 1, a string in field 2, a negative int64 in ten bytes, a float, a nested message', () => {
  expect(bytes(new ProtoWriter().int(1, 150))).toEqual([0x08, 0x96, 0x01]);
  expect(bytes(new ProtoWriter().string(2, 'testing'))).toEqual([0x12, 0x07, ...Buffer.from('testing')]);
  expect(bytes(new ProtoWriter().int(3, -1))).toEqual([0x18, ...Array(9).fill(0xff), 0x01]);
  expect(bytes(new ProtoWriter().float(2, 1))).toEqual([0x15, 0x00, 0x00, 0x80, 0x3f]);
  const inner = new ProtoWriter().int(1, 150);
  const outer = new ProtoWriter().message(3, inner);
  expect(bytes(outer)).toEqual([0x1a, 0x03, 0x08, 0x96, 0x01]);
  expect(outer.byteLength).toBe(5);
});

test('packed repeated ints: field 4 holding 3, 270 and 86942', () => {
  expect(bytes(new ProtoWriter().packedInts(4, [3, 270, 86942]))).toEqual([0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05]);
});
