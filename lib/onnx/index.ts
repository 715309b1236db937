// ONNX export of a saved BERT classifier folder, in the layout transformers.js loads:
//   <dir>/config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx (fp32), onnx/model_quantized.onnx (int8)
// The files are written here, without onnx or Python: ./protobuf.ts writes the wire format, ./bert-graph.ts the graph.
import { promises as fsp } from 'fs';
import * as path from 'path';
import { BertnodeError } from '../errors';
import { loadModel } from '../weights';
import { buildBertGraph, OnnxHead } from './bert-graph';
import { encodeModel } from './onnx-proto';
import { writeTransformersJsTokenizerFiles } from './tokenizer-files';

export type { OnnxHead } from './bert-graph';

/** The files {@link exportOnnx} wrote. */
export interface OnnxExport {
  /** `onnx/model.onnx`: fp32, the model's own numbers. */
  model: string;
  /** `onnx/model_quantized.onnx`: weight MatMuls in int8 (dynamic quantisation), about a quarter of the size. */
  quantized: string;
}

// ONNX files are one protobuf message, which protobuf caps at 2 GiB.
const PROTOBUF_LIMIT = 2 ** 31 - 1;

/**
 * Adds ONNX files to a saved classifier folder (`BertClassifier.save`, or any Hugging Face BERT
 * sequence-classification folder): `onnx/model.onnx` and `onnx/model_quantized.onnx` with inputs `input_ids`,
 * `attention_mask`, `token_type_ids` (int64, [batch, sequence]) and output `logits` ([batch, labels]), plus the
 * `tokenizer.json` transformers.js needs. The head is the folder's `bertnode_head` (`cls` or `pooler`; transformers'
 * pooler head when absent).
 */
export async function exportOnnx(dir: string): Promise<OnnxExport> {
  const loaded = await loadModel(dir);
  const missing = loaded.missing.filter((n) => n.startsWith('classifier.'));
  if (missing.length > 0) {
    throw new BertnodeError('ERR_BERTNODE_ONNX_NO_HEAD', `${dir} has no classification head (${missing.join(', ')}): ` +
      'train or load a classifier before exporting it');
  }
  const head: OnnxHead = loaded.rawConfig.bertnode_head === 'cls' ? 'cls' : 'pooler';
  const version = (require('../../package.json') as { version: string }).version;
  const onnxDir = path.join(dir, 'onnx');
  await fsp.mkdir(onnxDir, { recursive: true });
  const write = async (file: string, quantize: boolean) => {
    const graph = buildBertGraph(loaded.config, loaded.tensors, { head, quantize });
    const proto = encodeModel({ graph, opsetVersion: 17, producerName: 'bertnode', producerVersion: version });
    if (proto.byteLength > PROTOBUF_LIMIT) {
      throw new BertnodeError('ERR_BERTNODE_ONNX_TOO_LARGE', `the ONNX model would be ${proto.byteLength} bytes; ` +
        'one ONNX file holds at most 2 GiB');
    }
    const target = path.join(onnxDir, file);
    await fsp.writeFile(`${target}.part`, proto.chunks);
    await fsp.rename(`${target}.part`, target);
    return target;
  };
  const result = { model: await write('model.onnx', false), quantized: await write('model_quantized.onnx', true) };
  await writeTransformersJsTokenizerFiles(dir);
  return result;
}
