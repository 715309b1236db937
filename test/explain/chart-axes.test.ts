// The run report's charts: every plotted point lies inside the plot area and between labelled y ticks.
import { axisTicks, lineChart } from '../../lib/explain/svg-chart';

test('axis ticks reach from at or below the lowest value to at or above the highest', () => {
  for (const [lo, hi] of [[0, 0.693], [0.12, 0.693], [0.8125, 0.9375], [0, 5e-5], [1.5, 97]]) {
    const t = axisTicks(lo, hi);
    expect(t[0]).toBeLessThanOrEqual(lo);
    expect(t[t.length - 1]).toBeGreaterThanOrEqual(hi);
    expect(t.length).toBeLessThanOrEqual(12);
  }
});

test('a loss curve above the last round tick stays inside the plot and under a labelled tick', () => {
  const svg = lineChart([{ name: 'loss', points: [[0.1, 0.693], [0.5, 0.41], [1, 0.12]], color: '#000' }], { title: 'Loss', xLabel: 'epoch', yMin: 0 });
  const rect = /<rect x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)"/.exec(svg)!.slice(1).map(Number);
  const points = /points="([^"]+)"/.exec(svg)![1].split(' ').map((p) => p.split(',').map(Number));
  for (const [x, y] of points) {
    expect(x).toBeGreaterThanOrEqual(rect[0]);
    expect(x).toBeLessThanOrEqual(rect[0] + rect[2]);
    expect(y).toBeGreaterThanOrEqual(rect[1]);
    expect(y).toBeLessThanOrEqual(rect[1] + rect[3]);
  }
  const labels = [...svg.matchAll(/text-anchor="end" font-size="11" fill="#57606a">([^<]+)</g)].map((m) => Number(m[1]));
  expect(Math.max(...labels)).toBeGreaterThanOrEqual(0.693);
});
