// The plain-node GPU check scripts (scripts/gpu-check: what a machine with a GPU but no npm runs) against this
// suite's CUDA addon: op-parity.js (every backend op against the CPU) and golden-parity.js (the CUDA backend against
// PyTorch's golden fixtures: forward, every gradient, 3 AdamW steps) must end with a summary line reporting
// comparisons and no failure. Each script states its own tolerances. Under the emulated device op-parity.js takes
// about a minute of CPU (63 comparisons), several on a loaded 2-core machine: hence the long timeouts.
import { spawnSync } from 'child_process';
import * as path from 'path';
import { availability, describeCuda } from './cuda-env';

const scripts = path.resolve(__dirname, '..', '..', 'scripts', 'gpu-check');

describeCuda('scripts/gpu-check pass on this device', () => {
  test.each([
    ['op-parity.js'],
    ['golden-parity.js', '--precision', 'fp32'],
    ['golden-parity.js', '--precision', 'tf32'],
    ['golden-parity.js', '--precision', 'bf16'],
  ])('%s %s %s', (script, ...args) => {
    const run = spawnSync(process.execPath, [path.join(scripts, script), ...args], { encoding: 'utf8',
      timeout: 300000, env: { ...process.env, BERTNODE_CUDA_ADDON: availability.addonPath } });
    const lines = run.stdout.trim().split('\n');
    const failures = lines.map((line) => JSON.parse(line) as { passed?: boolean }).filter((r) => r.passed === false);
    expect(failures).toEqual([]);
    const summary = JSON.parse(lines[lines.length - 1]) as { comparisons?: number; failed?: number };
    expect(summary.comparisons).toBeGreaterThan(0);
    expect(summary.failed).toBe(0);
    expect(run.status).toBe(0);
  }, 360000);
});
