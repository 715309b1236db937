// BERT for sequence classification as an ONNX graph (opset 17), the computation of transformers'
// BertForSequenceClassification in eval mode:
//   inputs input_ids, attention_mask, token_type_ids: int64 [batch, sequence]
//   embeddings (word + position + token type, LayerNorm) → L × (self-attention with the padding mask, residual +
//   LayerNorm, GELU (erf) MLP, residual + LayerNorm) → the [CLS] vector → head → output logits: float [batch, labels]
// Head 'pooler' is transformers' (classifier(tanh(pooler(cls)))); 'cls' (bertnode's classic recipe) is
// classifier(cls). Weights come by their Hugging Face names.
import { BertConfig } from '../weights';
import { GraphBuilder, transpose } from './graph-builder';
import { DataType, Graph } from './onnx-proto';
import { quantizedMatMul } from './quantize';

export type OnnxHead = 'cls' | 'pooler';

export interface BertGraphOptions {
  head: OnnxHead;
  // Weight MatMuls as int8 dynamic quantisation (./quantize.ts) instead of fp32.
  quantize: boolean;
}

export function buildBertGraph(config: BertConfig, tensors: ReadonlyMap<string, Float32Array>, options: BertGraphOptions): Graph {
  const g = new GraphBuilder();
  const weight = (name: string) => {
    const t = tensors.get(name);
    if (t === undefined) throw new Error(`buildBertGraph: tensor ${name} is missing`);
    return t;
  };
  const H = config.hiddenSize;
  const heads = config.numAttentionHeads;
  const headSize = H / heads;

  // A Linear layer (PyTorch weight [out, in]) on the last axis of x.
  const linear = (x: string, prefix: string, inSize: number, outSize: number) => {
    const w = transpose(weight(`${prefix}.weight`), outSize, inSize);
    const product = options.quantize
      ? quantizedMatMul(g, x, `${prefix}.weight`, w, [inSize, outSize])
      : g.op1('MatMul', [x, g.float(`${prefix}.weight`, [inSize, outSize], w)]);
    return g.op1('Add', [product, g.float(`${prefix}.bias`, [outSize], weight(`${prefix}.bias`))]);
  };
  const layerNorm = (x: string, prefix: string) => g.op1('LayerNormalization',
    [x, g.float(`${prefix}.weight`, [H], weight(`${prefix}.weight`)), g.float(`${prefix}.bias`, [H], weight(`${prefix}.bias`))],
    { axis: { int: -1 }, epsilon: config.layerNormEps });
  const scalar = (name: string, value: number) => g.float(name, [], Float32Array.of(value));

  // Embeddings; position ids are 0..sequence-1, as transformers makes them when none are given.
  const embedding = (name: string, rows: number, ids: string) =>
    g.op1('Gather', [g.float(name, [rows, H], weight(name)), ids]);
  const seqLen = g.op1('Gather', [g.op1('Shape', ['input_ids']), g.int64('/const/one', [], [1])], { axis: { int: 0 } });
  const positions = g.op1('Range', [g.int64('/const/zero', [], [0]), seqLen, '/const/one']);
  let hidden = g.op1('Add', [
    g.op1('Add', [embedding('bert.embeddings.word_embeddings.weight', config.vocabSize, 'input_ids'),
      embedding('bert.embeddings.token_type_embeddings.weight', config.typeVocabSize, 'token_type_ids')]),
    embedding('bert.embeddings.position_embeddings.weight', config.maxPositionEmbeddings, positions)]);
  hidden = layerNorm(hidden, 'bert.embeddings.LayerNorm');

  // Padding mask as transformers adds it to the scores: 0 where attended, float32's lowest value where padded.
  const keep = g.op1('Cast', ['attention_mask'], { to: { int: DataType.FLOAT } });
  const padded = g.op1('Sub', [scalar('/const/one_f', 1), keep]);
  const maskBias = g.op1('Unsqueeze', [g.op1('Mul', [padded, scalar('/const/lowest', -3.4028234663852886e38)]),
    g.int64('/const/axes_1_2', [2], [1, 2])]);

  const splitShape = g.int64('/const/split_heads', [4], [0, 0, heads, headSize]);
  const mergeShape = g.int64('/const/merge_heads', [3], [0, 0, H]);
  const invSqrt = scalar('/const/inv_sqrt_head_size', 1 / Math.sqrt(headSize));
  const sqrtHalf = scalar('/const/sqrt_half', Math.SQRT1_2);
  const half = scalar('/const/half', 0.5);
  for (let l = 0; l < config.numHiddenLayers; l++) {
    const p = `bert.encoder.layer.${l}`;
    const split = (x: string, perm: number[]) => g.op1('Transpose', [g.op1('Reshape', [x, splitShape])], { perm });
    const q = split(linear(hidden, `${p}.attention.self.query`, H, H), [0, 2, 1, 3]);
    const kT = split(linear(hidden, `${p}.attention.self.key`, H, H), [0, 2, 3, 1]);
    const v = split(linear(hidden, `${p}.attention.self.value`, H, H), [0, 2, 1, 3]);
    const scores = g.op1('Add', [g.op1('Mul', [g.op1('MatMul', [q, kT]), invSqrt]), maskBias]);
    const probs = g.op1('Softmax', [scores], { axis: { int: -1 } });
    const context = g.op1('Reshape', [g.op1('Transpose', [g.op1('MatMul', [probs, v])], { perm: [0, 2, 1, 3] }), mergeShape]);
    const attended = layerNorm(g.op1('Add', [linear(context, `${p}.attention.output.dense`, H, H), hidden]),
      `${p}.attention.output.LayerNorm`);
    const inner = linear(attended, `${p}.intermediate.dense`, H, config.intermediateSize);
    // GELU with erf, as BERT's hidden_act 'gelu': x · ½ · (1 + erf(x / √2)).
    const gelu = g.op1('Mul', [g.op1('Mul', [inner, half]),
      g.op1('Add', [g.op1('Erf', [g.op1('Mul', [inner, sqrtHalf])]), '/const/one_f'])]);
    hidden = layerNorm(g.op1('Add', [linear(gelu, `${p}.output.dense`, config.intermediateSize, H), attended]),
      `${p}.output.LayerNorm`);
  }

  let features = g.op1('Gather', [hidden, '/const/zero'], { axis: { int: 1 } });
  if (options.head === 'pooler') features = g.op1('Tanh', [linear(features, 'bert.pooler.dense', H, H)]);
  const logits = linear(features, 'classifier', H, config.numLabels);
  g.nodes.push({ opType: 'Identity', inputs: [logits], outputs: ['logits'], name: 'logits' });

  const ids = (name: string) => ({ name, elemType: DataType.INT64, shape: ['batch_size', 'sequence_length'] });
  return {
    name: 'bert_for_sequence_classification',
    nodes: g.nodes,
    initializers: g.initializers,
    inputs: [ids('input_ids'), ids('attention_mask'), ids('token_type_ids')],
    outputs: [{ name: 'logits', elemType: DataType.FLOAT, shape: ['batch_size', config.numLabels] }],
  };
}
