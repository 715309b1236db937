// Terminal progress for scripts/finetune-imdb.js: a one-line bar redrawn in place on a terminal, plain lines
// (every ~2 % of the run, and the first steps) when the output is a file or a pipe.
'use strict';

function formatDuration(seconds) {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

class ProgressPrinter {
  constructor({ bar, largeCpuModel }) {
    this.bar = bar;
    this.largeCpuModel = largeCpuModel;
    this.lastLine = 0;
    this.estimated = false;
    this.open = false;
  }

  line(e) {
    return `epoch ${e.epoch + 1}/${Math.ceil(e.epochs)} step ${e.step}/${e.totalSteps} loss ${e.loss.toFixed(4)} ` +
      `lr ${e.lr.toExponential(2)} ${e.examplesPerSecond.toFixed(1)} ex/s ETA ${formatDuration(e.etaSeconds)}`;
  }

  step(e) {
    // After a few steps the throughput is known: say how long the whole run will take, once.
    if (!this.estimated && e.step >= Math.min(5, e.totalSteps)) {
      this.estimated = true;
      this.write(`estimate: ${formatDuration(e.etaSeconds + e.elapsedSeconds)} for training and validation at ${e.examplesPerSecond.toFixed(1)} examples/s` +
        (this.largeCpuModel && e.etaSeconds > 3600 ? ' (a smaller --model or --limit makes this minutes)' : ''));
    }
    if (this.bar) {
      const width = 24;
      const filled = Math.round((width * e.step) / e.totalSteps);
      process.stdout.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${this.line(e)}\x1b[K`);
      this.open = true;
      return;
    }
    const every = Math.max(1, Math.floor(e.totalSteps / 50));
    if (e.step <= 3 || e.step % every === 0 || e.step === e.totalSteps) console.log(this.line(e));
  }

  // Batches of a running evaluation: redrawn on a terminal, a line every ~10 % otherwise.
  evaluating(what, done, total) {
    if (this.bar) {
      process.stdout.write(`\r${what}: batch ${done}/${total}\x1b[K`);
      this.open = done < total;
      if (done === total) process.stdout.write('\r\x1b[K');
      return;
    }
    if (total >= 20 && done % Math.ceil(total / 10) === 0 && done < total) console.log(`${what}: batch ${done}/${total}`);
  }

  evaluation(r) {
    const m = r.metrics;
    this.write(`evaluation at step ${r.step} (epoch ${r.epoch.toFixed(2)}): accuracy ${m.accuracy.toFixed(4)} F1 ${m.f1.toFixed(4)} loss ${m.loss.toFixed(4)}`);
  }

  write(text) {
    if (this.open) process.stdout.write('\n');
    this.open = false;
    console.log(text);
  }

  done() {
    if (this.open) process.stdout.write('\n');
    this.open = false;
  }
}

module.exports = { ProgressPrinter, formatDuration };
