// Runs onnxruntime-node and transformers.js in a plain Node process for test/onnx: inside Jest's sandbox,
// onnxruntime's native outputs are typed arrays of another realm and its Tensor constructor rejects them.
//   node runtime-child.js ort <model.onnx>                          stdin: {input_ids, attention_mask, token_type_ids: {data, dims}}
//   node runtime-child.js pipeline <localModelPath> <name> <dtype>  stdin: texts
// Prints the logits [[...], ...] or the pipeline's [[{label, score}, ...], ...] as JSON.
'use strict';
const fs = require('node:fs');

async function main() {
  const [mode, ...args] = process.argv.slice(2);
  const input = JSON.parse(fs.readFileSync(0, 'utf8'));
  if (mode === 'ort') {
    const ort = require('onnxruntime-node');
    const session = await ort.InferenceSession.create(args[0]);
    const feeds = {};
    for (const [name, { data, dims }] of Object.entries(input)) {
      feeds[name] = new ort.Tensor('int64', BigInt64Array.from(data, BigInt), dims);
    }
    const { logits } = await session.run(feeds);
    const [B, L] = logits.dims;
    return Array.from({ length: B }, (_, b) => Array.from(logits.data.subarray(b * L, (b + 1) * L)));
  }
  if (mode === 'pipeline') {
    const { pipeline, env } = require('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.localModelPath = args[0];
    const classify = await pipeline('text-classification', args[1], { dtype: args[2] });
    const results = await classify(input, { top_k: null });
    await classify.dispose();
    return results;
  }
  throw new Error(`unknown mode ${mode}`);
}

main().then((out) => process.stdout.write(JSON.stringify(out)), (e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
