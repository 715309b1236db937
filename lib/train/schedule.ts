// Learning-rate schedules, as pure functions of the optimizer step so a resumed run needs no schedule state beyond
// the step count. `linear` is Hugging Face's get_linear_schedule_with_warmup: 0 → lr over the warmup steps, then
// linearly down to 0 at the last step. `constant` keeps lr after the (optional) warmup.

import { TrainingOptionsError } from '../errors';

export type ScheduleKind = 'linear' | 'constant';

export interface ScheduleOptions {
  kind: ScheduleKind;
  lr: number;
  warmupSteps: number;
  totalSteps: number;
}

export function validateSchedule(s: ScheduleOptions): void {
  if (s.kind !== 'linear' && s.kind !== 'constant') throw new TrainingOptionsError(`unknown schedule '${String(s.kind)}' (linear | constant)`);
  if (!(s.lr > 0) || !Number.isFinite(s.lr)) throw new TrainingOptionsError(`lr must be a positive number, got ${s.lr}`);
  if (!Number.isInteger(s.warmupSteps) || s.warmupSteps < 0) throw new TrainingOptionsError(`warmupSteps must be an integer >= 0, got ${s.warmupSteps}`);
  if (!Number.isInteger(s.totalSteps) || s.totalSteps < 1) throw new TrainingOptionsError(`totalSteps must be an integer >= 1, got ${s.totalSteps}`);
}

// Learning rate for optimizer step `step` (0-based: the first update uses step 0). Same values as Hugging Face's
// LambdaLR schedules, which the first update also reads at step 0 (so with warmup the first update has lr 0).
export function learningRateAt(s: ScheduleOptions, step: number): number {
  if (step < s.warmupSteps) return (s.lr * step) / s.warmupSteps;
  if (s.kind === 'constant') return s.lr;
  const decaySteps = Math.max(1, s.totalSteps - s.warmupSteps);
  return s.lr * Math.max(0, (s.totalSteps - step) / decaySteps);
}
