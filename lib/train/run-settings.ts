// The settings a checkpoint records so that a resume either reproduces the interrupted run exactly or is refused.
//
// Every setting the numbers of the continued run depend on is recorded by name: the loop's own options (seed,
// schedule, AdamW and clipping, evaluation and best-model choice), the engine's (device, CPU kernel family,
// precision, head and its problem type, trainable layers, the model config with its dropout rates), and the data's (batch size, padding,
// order, a digest of the examples, and whether batches start from the frozen-layer cache, with its dtype and build
// batch size).
//
// On resume a different value is refused with a ResumeSettingsError naming the setting and both values, except the
// settings in WARN_ON_CHANGE, which continue with a process warning. Settings that only decide where or how often
// things are written (checkpointDir, checkpointEvery, keepCheckpoints, frozen-cache storage and folder) are not
// recorded: they do not change a single number.

import { ResumeSettingsError } from '../errors';
import { NativeBert, cpuKernelFamily } from '../native';
import type { RunSettingValue, RunSettings } from './types';

// A device change is allowed: resuming a GPU run on a CPU (or the reverse) is legitimate when a machine goes away,
// and both compute the same model. The kernels differ (summation order, fused operations), so the continued run
// agrees with an uninterrupted one to float32 rounding, not bit for bit; the warning says so.
// Likewise the CPU kernel family of the run's precision (AMX, AVX-512 BF16, AVX-512, AVX2, scalar: a checkpoint moved
// to another CPU). The CPU thread count is not recorded at all: it does not change a number
// (test/native/thread-count.test.ts).
const WARN_ON_CHANGE: Record<string, string> = {
  device: 'the continued run agrees with an uninterrupted one to float32 rounding, not bit for bit (other kernels)',
  cpuKernels: 'the continued run agrees with an uninterrupted one to float32 rounding, not bit for bit ' +
    '(other vector width)',
};

export function nativeRunSettings(model: NativeBert): RunSettings {
  return {
    device: model.device,
    ...(model.device === 'cpu' ? { cpuKernels: cpuKernelFamily(model.precision) } : {}),
    precision: model.precision,
    head: model.head,
    // Recorded only when it is not the default, so checkpoints written before it was recorded still resume.
    ...(model.problemType && model.problemType !== 'single_label_classification' ? { problemType: model.problemType } : {}),
    trainableLayers: model.trainableLayers,
    trainEmbeddings: model.trainEmbeddings,
    modelConfig: JSON.stringify(model.config),
  };
}

// The engine's settings: the model's own description, NativeBert's fields, or none (a model the loop knows nothing
// about, such as a test double).
export function modelRunSettings(model: { runSettings?(): RunSettings }): RunSettings {
  if (model.runSettings) return model.runSettings();
  return model instanceof NativeBert ? nativeRunSettings(model) : {};
}

export function prefixed(prefix: string, settings: RunSettings): RunSettings {
  return Object.fromEntries(Object.entries(settings).map(([k, v]) => [`${prefix}${k}`, v]));
}

function show(v: RunSettingValue | undefined): string {
  if (v === undefined) return 'not set';
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

// Compares the settings a checkpoint recorded with the current run's. `recorded` undefined: the checkpoint predates
// recorded settings; `checkedElsewhere` names those its older fingerprint did record (the caller compared them), the
// rest cannot be verified and a warning lists them.
export function checkResumeSettings(where: string, recorded: RunSettings | undefined, current: RunSettings, checkedElsewhere: readonly string[]): void {
  if (recorded === undefined) {
    const unverified = Object.keys(current).filter((k) => !checkedElsewhere.includes(k));
    process.emitWarning(`bertnode: ${where} was written by an older bertnode that did not record ${unverified.join(', ')}; ` +
      'resuming on the assumption that they are unchanged (if one differs, the continued run is not the interrupted one)',
    { code: 'BERTNODE_CHECKPOINT_UNVERIFIED' });
    return;
  }
  const names = [...new Set([...Object.keys(current), ...Object.keys(recorded)])];
  const changed = names
    .map((name) => ({ name, checkpoint: recorded[name], current: current[name] }))
    .filter((c) => c.checkpoint !== c.current);
  const refused = changed.filter((c) => !(c.name in WARN_ON_CHANGE));
  if (refused.length > 0) {
    const list = refused.map((c) => `${c.name}: checkpoint ${show(c.checkpoint)}, now ${show(c.current)}`).join('; ');
    throw new ResumeSettingsError(`${where} was written with other settings (${list}); resume with the settings of the interrupted run`, refused);
  }
  for (const c of changed) {
    process.emitWarning(`bertnode: resuming ${where} with ${c.name} ${show(c.current)} instead of ${show(c.checkpoint)}: ${WARN_ON_CHANGE[c.name]}`,
      { code: 'BERTNODE_RESUME_SETTING_CHANGED' });
  }
}
