// Builds an ONNX graph node by node: fresh value names, constants as initializers, tensors in ONNX's byte layout.
import * as os from 'os';
import { AttributeValue, DataType, Node, Tensor } from './onnx-proto';

export class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly initializers: Tensor[] = [];
  private count = 0;

  // Adds a node and returns its output names (`outputs` of them), named after the op so the graph reads in Netron.
  op(opType: string, inputs: string[], attributes?: Record<string, AttributeValue>, outputs = 1): string[] {
    const id = this.count++;
    const names = Array.from({ length: outputs }, (_, i) => `/${opType}_${id}${outputs > 1 ? `_${i}` : ''}`);
    this.nodes.push({ opType, inputs, outputs: names, name: `${opType}_${id}`, attributes });
    return names;
  }

  // A one-output node.
  op1(opType: string, inputs: string[], attributes?: Record<string, AttributeValue>): string {
    return this.op(opType, inputs, attributes)[0];
  }

  float(name: string, dims: number[], data: Float32Array): string {
    this.initializers.push({ name, dataType: DataType.FLOAT, dims, raw: float32Bytes(data) });
    return name;
  }

  int64(name: string, dims: number[], values: readonly number[]): string {
    const raw = Buffer.alloc(values.length * 8);
    values.forEach((v, i) => raw.writeBigInt64LE(BigInt(v), i * 8));
    this.initializers.push({ name, dataType: DataType.INT64, dims, raw });
    return name;
  }

  bytes(name: string, dataType: typeof DataType.INT8 | typeof DataType.UINT8, dims: number[], data: Int8Array | Uint8Array): string {
    this.initializers.push({ name, dataType, dims, raw: Buffer.from(data.buffer, data.byteOffset, data.byteLength) });
    return name;
  }
}

// ONNX stores tensors little-endian; on a little-endian machine the Float32Array's own bytes are shared, not copied.
function float32Bytes(data: Float32Array): Buffer {
  if (os.endianness() === 'LE') return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const raw = Buffer.alloc(data.length * 4);
  data.forEach((v, i) => raw.writeFloatLE(v, i * 4));
  return raw;
}

// PyTorch's Linear weight is [out, in]; ONNX MatMul multiplies by [in, out].
export function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}
