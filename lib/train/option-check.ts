// Checks an options object against a table of what each option takes, when the options are given (constructor,
// fit, evaluate), so a mistake is reported where it was made and names the option. One error class per kind of
// mistake (lib/errors.ts): an unknown name (with the closest valid one), a wrong type, a value out of range or not
// among the choices (with the closest choice).

import { OptionTypeError, OptionValueError, UnknownOptionError } from '../errors';

// Checks one value (never undefined: an option left undefined takes its default). Throws OptionTypeError or
// OptionValueError naming `name`.
export type OptionCheck = (value: unknown, name: string) => void;

// What other libraries call our options (Hugging Face TrainingArguments, tokenizer and Keras spellings), written
// normalised (lower case, no '_' or '-'): a name is suggested by meaning when its spelling is not close.
const SYNONYMS: Record<string, string> = {
  learningrate: 'lr',
  numtrainepochs: 'epochs',
  numepochs: 'epochs',
  maxlen: 'maxLength',
  maxseqlength: 'maxLength',
  modelmaxlength: 'maxLength',
  perdevicetrainbatchsize: 'batchSize',
  perdeviceevalbatchsize: 'batchSize',
  gradientaccumulationsteps: 'gradientAccumulation',
  lrschedulertype: 'schedule',
  adambeta1: 'beta1',
  adambeta2: 'beta2',
  adamepsilon: 'eps',
  numlabels: 'labels',
  id2label: 'labels',
  evalsteps: 'evaluateEvery',
  savesteps: 'checkpointEvery',
  savetotallimit: 'keepCheckpoints',
  outputdir: 'checkpointDir',
  numthreads: 'threads',
  gpu: 'cuda',
};

export function checkOptions(what: string, given: object, table: Readonly<Record<string, OptionCheck>>): void {
  if (given === null || typeof given !== 'object' || Array.isArray(given)) throw new OptionTypeError(what, 'an options object', given);
  for (const [name, value] of Object.entries(given)) {
    const check = table[name];
    if (!check) {
      const suggestion = closestName(name, Object.keys(table));
      throw new UnknownOptionError(
        `${what}: unknown option '${name}'${suggestion ? ` (did you mean '${suggestion}'?)` : `; valid options: ${Object.keys(table).join(', ')}`}`,
        name, suggestion);
    }
    if (value !== undefined) check(value, name);
  }
}

export const integer = (min: number, max = Number.MAX_SAFE_INTEGER): OptionCheck => (value, name) => {
  if (typeof value !== 'number') throw new OptionTypeError(name, 'an integer', value);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new OptionValueError(name, `must be an integer in ${min}..${max === Number.MAX_SAFE_INTEGER ? '' : max}, got ${value}`);
  }
};

export const finite = (min: number, max: number, minExclusive = false): OptionCheck => (value, name) => {
  if (typeof value !== 'number') throw new OptionTypeError(name, 'a number', value);
  if (!Number.isFinite(value) || value < min || (minExclusive && value === min) || value > max) {
    throw new OptionValueError(name, `must be a finite number in ${minExclusive ? '(' : '['}${min}, ${max}], got ${value}`);
  }
};

export const oneOf = (...choices: readonly (string | number)[]): OptionCheck => (value, name) => {
  if (choices.includes(value as string | number)) return;
  const expected = choices.map((c) => (typeof c === 'string' ? `'${c}'` : String(c))).join(' | ');
  if (typeof value !== 'string' && typeof value !== 'number') throw new OptionTypeError(name, expected, value);
  const strings = choices.filter((c): c is string => typeof c === 'string');
  const suggestion = typeof value === 'string' ? closestChoice(value, strings) : undefined;
  throw new OptionValueError(name, `must be ${expected}, got ${typeof value === 'string' ? `'${value}'` : value}`, suggestion);
};

export const ofType = (type: 'boolean' | 'string' | 'function' | 'object', expected = `a ${type}`): OptionCheck => (value, name) => {
  if (typeof value !== type || value === null) throw new OptionTypeError(name, expected, value);
};

// The first check a value's type fits decides (`trainableLayers`: an integer or 'all').
export const either = (expected: string, ...checks: { accepts: (v: unknown) => boolean; check: OptionCheck }[]): OptionCheck => (value, name) => {
  const fitting = checks.find((c) => c.accepts(value));
  if (!fitting) throw new OptionTypeError(name, expected, value);
  fitting.check(value, name);
};

export const isNumber = (v: unknown): boolean => typeof v === 'number';
export const isString = (v: unknown): boolean => typeof v === 'string';

function normalise(name: string): string {
  return name.toLowerCase().replace(/[_-]/g, '');
}

// The valid name meant by `name`: the same name in another case or spelling, a synonym, a prefix (`maxLen` of
// `maxLength`), or the valid name within a few edits.
export function closestName(name: string, valid: readonly string[]): string | undefined {
  const wanted = normalise(name);
  const exact = valid.find((v) => normalise(v) === wanted);
  if (exact) return exact;
  const synonym = SYNONYMS[wanted];
  if (synonym && valid.includes(synonym)) return synonym;
  const prefixed = valid.find((v) => wanted.length >= 3 && normalise(v).startsWith(wanted));
  if (prefixed) return prefixed;
  return closestChoice(name, valid);
}

// A choice within a third of its length in edits (case ignored), the nearest first.
function closestChoice(value: string, choices: readonly string[]): string | undefined {
  const wanted = normalise(value);
  const synonym = SYNONYMS[wanted];
  if (synonym && choices.includes(synonym)) return synonym;
  let best: { choice: string; distance: number } | undefined;
  for (const choice of choices) {
    const distance = editDistance(wanted, normalise(choice));
    if (distance <= Math.max(1, Math.floor(choice.length / 3)) && (!best || distance < best.distance)) best = { choice, distance };
  }
  return best?.choice;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length];
}
