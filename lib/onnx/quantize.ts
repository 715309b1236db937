// Dynamic int8 quantisation of the weight MatMuls, in the form onnxruntime's quantize_dynamic writes with
// per_channel=True and reduce_range=True: weights int8, symmetric, one scale per output column, in the 7-bit range
// [-64, 64] so that CPUs without VNNI cannot saturate the int16 pair sums of their u8×s8 kernels; activations uint8,
// asymmetric, scale and zero point computed per call by DynamicQuantizeLinear:
//   x ─DynamicQuantizeLinear─► (xq, xScale, xZero) ─MatMulInteger(xq, Wq, xZero, 0)─► int32 ─Cast─► ·(xScale·wScale[n])
// Embeddings, LayerNorm and the attention products stay fp32, as quantize_dynamic leaves them. On a fine-tuned
// MiniLM, per-column scales halve the logit error of one scale per tensor (scripts/onnx-int8-agreement.js).
import { DataType } from './onnx-proto';
import { GraphBuilder } from './graph-builder';

const Q_MAX = 64;

// w is [rows, cols] row-major; each column gets its own scale.
export function quantizePerColumn(w: Float32Array, rows: number, cols: number): { q: Int8Array; scales: Float32Array } {
  const scales = new Float32Array(cols);
  for (let c = 0; c < cols; c++) {
    let absMax = 0;
    for (let r = 0; r < rows; r++) absMax = Math.max(absMax, Math.abs(w[r * cols + c]));
    scales[c] = absMax === 0 ? 1 : absMax / Q_MAX;
  }
  const q = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) {
    q[i] = Math.max(-Q_MAX, Math.min(Q_MAX, Math.round(w[i] / scales[i % cols])));
  }
  return { q, scales };
}

// x [.., in] times the [in, out] weight `w`, quantised; returns the fp32 product's name.
export function quantizedMatMul(g: GraphBuilder, x: string, name: string, w: Float32Array, dims: [number, number]): string {
  const [rows, cols] = dims;
  const { q, scales } = quantizePerColumn(w, rows, cols);
  const wq = g.bytes(`${name}_quantized`, DataType.INT8, dims, q);
  const wScale = g.float(`${name}_scale`, [cols], scales);
  const wZero = g.bytes(`${name}_zero_point`, DataType.INT8, [cols], new Int8Array(cols));
  const [xq, xScale, xZero] = g.op('DynamicQuantizeLinear', [x], undefined, 3);
  const product = g.op1('MatMulInteger', [xq, wq, xZero, wZero]);
  const asFloat = g.op1('Cast', [product], { to: { int: DataType.FLOAT } });
  return g.op1('Mul', [asFloat, g.op1('Mul', [xScale, wScale])]);
}
