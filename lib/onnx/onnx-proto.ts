// ONNX's protobuf messages (onnx/onnx.proto, IR version 8) as plain objects, and their encoding. Only the fields a
// feed-forward inference graph uses are here; field numbers are onnx.proto's.
import { ProtoWriter } from './protobuf';

// TensorProto.DataType
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7 } as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

export interface Tensor {
  name: string;
  dataType: DataTypeCode;
  dims: number[];
  // Little-endian element bytes, as TensorProto.raw_data stores them.
  raw: Buffer;
}

export type AttributeValue = number | number[] | string | { int: number } | Tensor;

export interface Node {
  opType: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attributes?: Record<string, AttributeValue>;
}

// A graph input or output: element type and shape, each dimension a size or a symbolic name ('batch').
export interface ValueInfo {
  name: string;
  elemType: DataTypeCode;
  shape: Array<number | string>;
}

export interface Graph {
  name: string;
  nodes: Node[];
  initializers: Tensor[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

export interface Model {
  graph: Graph;
  opsetVersion: number;
  producerName: string;
  producerVersion: string;
  docString?: string;
}

const IR_VERSION = 8;
// AttributeProto.AttributeType
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, INTS: 7 } as const;

export function encodeModel(model: Model): ProtoWriter {
  const opset = new ProtoWriter().string(1, '').int(2, model.opsetVersion);
  const w = new ProtoWriter()
    .int(1, IR_VERSION)
    .string(2, model.producerName)
    .string(3, model.producerVersion);
  if (model.docString) w.string(6, model.docString);
  return w.message(7, encodeGraph(model.graph)).message(8, opset);
}

function encodeGraph(graph: Graph): ProtoWriter {
  const w = new ProtoWriter();
  for (const node of graph.nodes) w.message(1, encodeNode(node));
  w.string(2, graph.name);
  for (const t of graph.initializers) w.message(5, encodeTensor(t));
  for (const v of graph.inputs) w.message(11, encodeValueInfo(v));
  for (const v of graph.outputs) w.message(12, encodeValueInfo(v));
  return w;
}

function encodeNode(node: Node): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of node.inputs) w.string(1, i);
  for (const o of node.outputs) w.string(2, o);
  w.string(3, node.name).string(4, node.opType);
  for (const [name, value] of Object.entries(node.attributes ?? {})) w.message(5, encodeAttribute(name, value));
  return w;
}

// A plain number is a float attribute, { int } an integer one; arrays are integer lists (the only lists used).
function encodeAttribute(name: string, value: AttributeValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if (typeof value === 'number') return w.float(2, value).int(20, ATTR.FLOAT);
  if (typeof value === 'string') return w.bytes(4, Buffer.from(value, 'utf8')).int(20, ATTR.STRING);
  if (Array.isArray(value)) return w.packedInts(8, value).int(20, ATTR.INTS);
  if ('int' in value) return w.int(3, value.int).int(20, ATTR.INT);
  return w.message(5, encodeTensor(value)).int(20, ATTR.TENSOR);
}

function encodeTensor(t: Tensor): ProtoWriter {
  return new ProtoWriter().packedInts(1, t.dims).int(2, t.dataType).string(8, t.name).bytes(9, t.raw);
}

function encodeValueInfo(v: ValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.shape) {
    shape.message(1, typeof d === 'number' ? new ProtoWriter().int(1, d) : new ProtoWriter().string(2, d));
  }
  const tensorType = new ProtoWriter().int(1, v.elemType).message(2, shape);
  return new ProtoWriter().string(1, v.name).message(2, new ProtoWriter().message(1, tensorType));
}
