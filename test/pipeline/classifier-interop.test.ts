// A model saved by BertClassifier reads the same in pipeline('text-classification'): with the pooler head
// (transformers' layout) and with bertnode's classic 'cls' head, which config.json names as bertnode_head.
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BertClassifier } from '../../lib/classifier';
import { pipeline, type LabelScore } from '../../lib/pipeline';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'pipeline', 'text-classification');
const TEXTS = ['the movie was great!', 'I hated this boring film, really.'];
// Same engine, same weights, same tokens: only the order of float32 sums in the softmax may differ.
const TOLERANCE = 1e-6;

async function both(dir: string): Promise<{ pipe: Record<string, number>[]; clf: Record<string, number>[] }> {
  const classify = await pipeline('text-classification', dir);
  const pipe = (await classify(TEXTS, { topK: 'all' }) as LabelScore[][]).map((r) => Object.fromEntries(r.map((s) => [s.label, s.score])));
  classify.dispose();
  const classifier = await BertClassifier.fromPretrained(dir, { device: 'cpu' });
  const clf = (await classifier.predict(TEXTS)).map((p) => p.probabilities);
  classifier.dispose();
  return { pipe, clf };
}

function expectSame(a: Record<string, number>[], b: Record<string, number>[]): void {
  a.forEach((row, i) => {
    expect(Object.keys(row).sort()).toEqual(Object.keys(b[i]).sort());
    for (const label of Object.keys(row)) expect(Math.abs(row[label] - b[i][label])).toBeLessThan(TOLERANCE);
  });
}

test('pooler and cls heads read as BertClassifier reads them', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bertnode-pipeline-cls-'));
  try {
    for (const f of readdirSync(FIXTURE)) copyFileSync(path.join(FIXTURE, f), path.join(dir, f));
    const pooler = await both(dir);
    expectSame(pooler.pipe, pooler.clf);
    const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...config, bertnode_head: 'cls' }));
    const cls = await both(dir);
    expectSame(cls.pipe, cls.clf);
    // Without the pooler the scores move: the test would notice a pipeline that ignored bertnode_head.
    expect(Math.abs(cls.pipe[0].POSITIVE - pooler.pipe[0].POSITIVE)).toBeGreaterThan(1e-3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
