// Dynamic int8 quantisation of the weight MatMuls, in the form onnxruntime's quantize_dynamic writes (its default
// settings: weights int8, symmetric, one scale per tensor; activations uint8, asymmetric, scale and zero point
// computed per call by DynamicQuantizeLinear):
//   x ─DynamicQuantizeLinear─► (xq, xScale, xZero) ─MatMulInteger(xq, Wq, xZero, 0)─► int32 ─Cast─► ·(xScale·wScale)
// Embeddings, LayerNorm and the attention products stay fp32, as quantize_dynamic leaves them.
import { DataType } from './onnx-proto';
import { GraphBuilder } from './graph-builder';

// Symmetric int8 over [-127, 127] (onnxruntime's range for symmetric int8, so -128 is never used).
export function quantizeSymmetric(w: Float32Array): { q: Int8Array; scale: number } {
  let absMax = 0;
  for (const v of w) absMax = Math.max(absMax, Math.abs(v));
  const scale = absMax === 0 ? 1 : absMax / 127;
  const q = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) q[i] = Math.max(-127, Math.min(127, Math.round(w[i] / scale)));
  return { q, scale: Math.fround(scale) };
}

// x [.., in] times the [in, out] weight `w`, quantised; returns the fp32 product's name.
export function quantizedMatMul(g: GraphBuilder, x: string, name: string, w: Float32Array, dims: [number, number]): string {
  const { q, scale } = quantizeSymmetric(w);
  const wq = g.bytes(`${name}_quantized`, DataType.INT8, dims, q);
  const wScale = g.float(`${name}_scale`, [], Float32Array.of(scale));
  const wZero = g.bytes(`${name}_zero_point`, DataType.INT8, [], Int8Array.of(0));
  const [xq, xScale, xZero] = g.op('DynamicQuantizeLinear', [x], undefined, 3);
  const product = g.op1('MatMulInteger', [xq, wq, xZero, wZero]);
  const asFloat = g.op1('Cast', [product], { to: { int: DataType.FLOAT } });
  return g.op1('Mul', [asFloat, g.op1('Mul', [xScale, wScale])]);
}
