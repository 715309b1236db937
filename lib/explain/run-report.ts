// The run report: training curves (loss per step and per epoch, evaluation loss and accuracy / F1 per evaluation,
// the learning rate) as inline SVG, the final metrics with the confusion matrix, and the run's settings, in one
// HTML file.

import type { ClassificationMetrics } from '../train/metrics';
import type { TrainingHistory } from '../train/trainer';
import { escapeHtml, formatNumber, htmlDocument } from './html';
import { lineChart } from './svg-chart';

export interface RunReportInput {
  /** Page title. */
  title?: string;
  /** The run's training history (FitResult.history). */
  history: TrainingHistory;
  /** converts steps to epochs on the x axis */
  stepsPerEpoch: number;
  /** Settings shown in a table (name: value). */
  settings?: Record<string, string | number | boolean>;
  /** e.g. { validation: ..., test: ... } */
  results?: Record<string, ClassificationMetrics>;
}

function metricsTable(name: string, m: ClassificationMetrics): string {
  const labels = m.perClass.map((c) => c.label);
  let s = `<div class="card"><h3>${escapeHtml(name)}: accuracy ${formatNumber(m.accuracy, 4)}, macro F1 ${formatNumber(m.f1, 4)}, `;
  s += `loss ${formatNumber(m.loss, 4)}, ${m.count} examples</h3><table><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>`;
  for (const c of m.perClass) {
    s += `<tr><th>${escapeHtml(c.label)}</th><td>${formatNumber(c.precision, 4)}</td><td>${formatNumber(c.recall, 4)}</td>`;
    s += `<td>${formatNumber(c.f1, 4)}</td><td>${c.support}</td></tr>`;
  }
  s += '</table><br><table><tr><th>true \\ predicted</th>' + labels.map((l) => `<th>${escapeHtml(l)}</th>`).join('') + '</tr>';
  m.confusionMatrix.forEach((row, i) => {
    s += `<tr><th>${escapeHtml(labels[i])}</th>${row.map((v) => `<td>${v}</td>`).join('')}</tr>`;
  });
  return s + '</table></div>';
}

export function renderRunReport(input: RunReportInput): string {
  const title = input.title ?? 'bertnode training run';
  const h = input.history;
  const perEpoch = Math.max(1, input.stepsPerEpoch);
  const stepLoss = h.steps.map((s) => [s.step / perEpoch, s.loss] as [number, number]);
  const epochLoss = h.epochs.map((e) => [e.epoch + 1, e.trainLoss] as [number, number]);
  const evalLoss = h.evaluations.map((e) => [e.epoch, e.metrics.loss] as [number, number]);
  const evalAcc = h.evaluations.map((e) => [e.epoch, e.metrics.accuracy] as [number, number]);
  const evalF1 = h.evaluations.map((e) => [e.epoch, e.metrics.f1] as [number, number]);

  let body = `<h1>${escapeHtml(title)}</h1>`;
  body += `<div class="meta">${h.steps.length} optimizer steps, ${h.epochs.length} complete epochs, ${h.evaluations.length} evaluations</div>`;
  body += '<h2>Training curves</h2><div class="charts">';
  body += lineChart(
    [
      { name: 'train loss (step)', points: stepLoss, color: '#9ecae1' },
      { name: 'train loss (epoch)', points: epochLoss, color: '#08519c', markers: true },
      { name: 'validation loss', points: evalLoss, color: '#d94801', markers: true },
    ],
    { title: 'Loss', xLabel: 'epoch', yMin: 0 },
  );
  body += lineChart(
    [
      { name: 'validation accuracy', points: evalAcc, color: '#238b45', markers: true },
      { name: 'validation macro F1', points: evalF1, color: '#6a51a3', markers: true },
    ],
    { title: 'Validation accuracy and F1', xLabel: 'epoch' },
  );
  body += lineChart([{ name: 'learning rate', points: h.steps.map((s) => [s.step / perEpoch, s.lr]), color: '#525252' }], {
    title: 'Learning rate', xLabel: 'epoch', yMin: 0,
  });
  body += '</div>';
  if (input.results && Object.keys(input.results).length > 0) {
    body += '<h2>Results</h2>' + Object.entries(input.results).map(([k, m]) => metricsTable(k, m)).join('');
  }
  if (h.epochs.length > 0) {
    body += '<h2>Per epoch</h2><table><tr><th>epoch</th><th>train loss</th><th>validation loss</th><th>validation accuracy</th><th>validation F1</th></tr>';
    for (const e of h.epochs) {
      const m = e.evaluation?.metrics;
      body += `<tr><td>${e.epoch + 1}</td><td>${formatNumber(e.trainLoss)}</td><td>${m ? formatNumber(m.loss) : '–'}</td>`;
      body += `<td>${m ? formatNumber(m.accuracy) : '–'}</td><td>${m ? formatNumber(m.f1) : '–'}</td></tr>`;
    }
    body += '</table>';
  }
  if (input.settings) {
    body += '<h2>Settings</h2><table>';
    for (const [k, v] of Object.entries(input.settings)) body += `<tr><th>${escapeHtml(k)}</th><td style="text-align:left">${escapeHtml(String(v))}</td></tr>`;
    body += '</table>';
  }
  return htmlDocument(title, body);
}
