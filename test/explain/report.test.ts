import { spawnSync } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ExplainToken, clsAttention, renderAttentionReport, renderRunReport } from '../../lib/explain';
import { MetricsAccumulator, TrainingHistory } from '../../lib/train';
import { readPng } from './png';

// Reports land in a temporary folder, or in BERTNODE_REPORT_DIR when set (to look at them).
let outDir: string;
beforeAll(async () => {
  outDir = process.env.BERTNODE_REPORT_DIR ?? (await fsp.mkdtemp(path.join(os.tmpdir(), 'bertnode-report-')));
  await fsp.mkdir(outDir, { recursive: true });
});
afterAll(async () => {
  if (!process.env.BERTNODE_REPORT_DIR) await fsp.rm(outDir, { recursive: true, force: true });
});

function explained(text: string, pieces: string[], trueLabel: string, predicted: string) {
  const tokens: ExplainToken[] = [{ text: '[CLS]', start: -1, end: -1, segment: 0, special: true }];
  let at = 0;
  for (const p of pieces) {
    const bare = p.replace(/^##/, '');
    const start = text.toLowerCase().indexOf(bare, at);
    tokens.push({ text: p, start, end: start + bare.length, segment: 0, special: false });
    at = start + bare.length;
  }
  tokens.push({ text: '[SEP]', start: -1, end: -1, segment: 0, special: true });
  const T = tokens.length + 2; // two padding positions that must not show
  const H = 4;
  const att = new Float32Array(H * T * T);
  for (let h = 0; h < H; h++) for (let t = 0; t < T; t++) att[h * T * T + t] = t >= tokens.length ? 5 : 0.05 + ((t * (h + 3)) % 7) / 10;
  const mask = Int32Array.from({ length: T }, (_, t) => (t < tokens.length ? 1 : 0));
  return {
    text, tokens, layer: 1, numLayers: 2, attention: clsAttention(att, { batchSize: 1, numHeads: H, seqLen: T }, mask, 0),
    predicted, probabilities: { neg: predicted === 'neg' ? 0.91 : 0.09, pos: predicted === 'pos' ? 0.91 : 0.09 }, trueLabel,
  };
}

const items = [
  explained('A wonderful, unforgettable film <b>really</b>!', ['a', 'wonderful', ',', 'un', '##forget', '##table', 'film', '<', 'b', '>', 'really', '<', '/', 'b', '>', '!'], 'pos', 'pos'),
  explained('Boring and awful.', ['boring', 'and', 'awful', '.'], 'neg', 'pos'),
];

function history(): TrainingHistory {
  const h: TrainingHistory = { steps: [], epochs: [], evaluations: [] };
  for (let s = 1; s <= 30; s++) h.steps.push({ step: s, epoch: Math.floor((s - 1) / 10), loss: 0.7 * Math.exp(-s / 12) + 0.05 * Math.sin(s), lr: 5e-5, gradNorm: 1 });
  for (let e = 0; e < 3; e++) {
    const acc = new MetricsAccumulator(['neg', 'pos']);
    acc.addPredictions(Int32Array.from([0, 1, 1, e > 0 ? 0 : 1]), Int32Array.from([0, 1, 1, 0]), 0.6 - 0.15 * e);
    const evaluation = { step: (e + 1) * 10, epoch: e + 1, metrics: acc.result() };
    h.evaluations.push(evaluation);
    h.epochs.push({ epoch: e, trainLoss: 0.6 - 0.2 * e, evaluation });
  }
  return h;
}

test('attention report: self-contained, escaped, prediction vs truth, joined words, padding and specials hidden', () => {
  const html = renderAttentionReport(items, { title: 'IMDb <test>' });
  expect(html).not.toMatch(/\b(src|href)\s*=/i); // nothing to fetch: no network
  expect(html).not.toMatch(/<script/i);
  expect(html).toContain('IMDb &lt;test&gt;');
  expect(html).toContain('>&lt;<'); // review HTML shown as text, never interpreted
  expect(html).not.toContain('<b>');
  expect(html).toContain('>unforgettable<'); // joined through offsets
  expect(html).not.toContain('##forget');
  expect(html).toMatch(/>wonderful<\/span><span[^>]*>,<\/span> <span[^>]*>unforgettable</); // spacing as in the text
  expect(html).not.toContain('>[SEP]<');
  expect(html).toContain('true: neg');
  expect(html).toContain('class="badge wrong"');
  expect((html.match(/head \d+</g) ?? []).length).toBe(8); // 4 heads x 2 texts
  const pieces = renderAttentionReport(items, { joinWordPieces: false, showSpecialTokens: true });
  expect(pieces).toContain('##forget');
  expect(pieces).toContain('>[SEP]<');
});

test('run report: SVG curves for loss, accuracy and learning rate, metrics tables, settings', () => {
  const h = history();
  const html = renderRunReport({ history: h, stepsPerEpoch: 10, settings: { model: 'tiny', lr: 5e-5 }, results: { validation: h.evaluations[2].metrics } });
  expect((html.match(/<svg /g) ?? []).length).toBe(3); // loss, accuracy/F1, learning rate
  expect((html.match(/<polyline /g) ?? []).length).toBeGreaterThanOrEqual(4);
  expect(html).toContain('true \\ predicted');
  expect(html).not.toMatch(/\b(src|href)\s*=/i);
});

// Renders both reports in headless Chromium and checks the screenshot shows a page with orange highlights.
const chromium = ['chromium', 'chromium-browser'].map((c) => `/usr/bin/${c}`).find((p) => existsSync(p));
(chromium ? test : test.skip)('reports render in headless Chromium (screenshot)', async () => {
  const cases = [
    { name: 'attention', html: renderAttentionReport(items, { title: 'Attention report' }), orange: true },
    { name: 'run', html: renderRunReport({ history: history(), stepsPerEpoch: 10 }), orange: false },
  ];
  for (const c of cases) {
    const file = path.join(outDir, `${c.name}.html`);
    const png = path.join(outDir, `${c.name}.png`);
    await fsp.writeFile(file, c.html);
    const profile = await fsp.mkdtemp(path.join(os.tmpdir(), 'bertnode-chromium-'));
    const r = spawnSync(chromium!, [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`, `--screenshot=${png}`, '--window-size=1200,900',
      `file://${file}`,
    ], { timeout: 60000, encoding: 'utf8' });
    await fsp.rm(profile, { recursive: true, force: true });
    expect(r.error).toBeUndefined();
    const img = readPng(await fsp.readFile(png));
    expect([img.width, img.height]).toEqual([1200, 900]);
    let ink = 0;
    let orange = 0;
    for (let i = 0; i < img.pixels.length; i += img.channels) {
      const [R, G, B] = [img.pixels[i], img.pixels[i + 1], img.pixels[i + 2]];
      if (R < 200 || G < 200 || B < 200) ink++;
      if (R > G + 40 && G > B + 20) orange++;
    }
    expect(ink).toBeGreaterThan(2000); // text and lines drawn, not a blank page
    if (c.orange) expect(orange).toBeGreaterThan(2000); // highlighted words
  }
}, 120000);
if (!chromium) console.warn('report.test: chromium not found (apt-get install -y chromium); the rendering test is skipped');
