// Entity-level precision, recall and F1 exactly as seqeval computes them (transformers' run_ner reports them
// through evaluate's "seqeval" metric: overall_precision/recall/f1 are seqeval's micro average, overall_accuracy
// its token accuracy, and a per-type entry for every entity type seen).
//
// Two ways to read entities from tags, as seqeval has:
// - default mode (seqeval's get_entities, the CoNLL-2000 conlleval rules): lenient; an I- after O or after another
//   type starts an entity, E-/S- end one, so IOB1, IOB2, IOE and IOBES tags all read sensibly;
// - strict mode (seqeval's mode='strict' with a scheme): an entity counts only if it is well formed under the
//   scheme (IOB2: it must start with B-; IOBES: it must end with E- or be an S-), otherwise it is dropped.
// Tags are "<prefix>-<type>" (B-PER), or a bare prefix (type "_"); "O" is outside.

import { MetricInputError } from '../errors';
import { checkPaired } from './check';

export type TagScheme = 'IOB1' | 'IOB2' | 'IOE1' | 'IOE2' | 'IOBES' | 'BILOU';

export interface Entity {
  type: string;
  // Token positions, both inclusive, within the sentence.
  start: number;
  end: number;
}

export interface EntityScores {
  precision: number;
  recall: number;
  f1: number;
  // Entities of this type in the references (seqeval's support).
  number: number;
}

export interface SeqevalResult {
  overallPrecision: number;
  overallRecall: number;
  overallF1: number;
  overallAccuracy: number;
  // Per entity type, keys sorted as seqeval sorts them.
  perType: Record<string, EntityScores>;
}

export interface SeqevalOptions {
  // 'default' (seqeval's default) or 'strict' (needs a scheme; seqeval guesses one among IOB2, IOE2, IOBES, BILOU
  // from the references' prefixes when none is given).
  mode?: 'default' | 'strict';
  scheme?: TagScheme;
}

// ---- default mode: seqeval.metrics.sequence_labeling.get_entities --------------------------------------------

// The entities of one sentence, in the order they end.
export function getEntities(tags: readonly string[]): Entity[] {
  const entities: Entity[] = [];
  let prevTag = 'O';
  let prevType = '';
  let begin = 0;
  for (let i = 0; i <= tags.length; i++) {
    const chunk = i < tags.length ? tags[i] : 'O';
    const tag = chunk.charAt(0);
    const rest = chunk.slice(1);
    const dash = rest.indexOf('-');
    const type = (dash === -1 ? rest : rest.slice(dash + 1)) || '_';
    if (endOfChunk(prevTag, tag, prevType, type)) entities.push({ type: prevType, start: begin, end: i - 1 });
    if (startOfChunk(prevTag, tag, prevType, type)) begin = i;
    prevTag = tag;
    prevType = type;
  }
  return entities;
}

function endOfChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  if (prevTag === 'E' || prevTag === 'S') return true;
  if ((prevTag === 'B' || prevTag === 'I') && (tag === 'B' || tag === 'S' || tag === 'O')) return true;
  return prevTag !== 'O' && prevTag !== '.' && prevType !== type;
}

function startOfChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  if (tag === 'B' || tag === 'S') return true;
  if ((prevTag === 'E' || prevTag === 'S' || prevTag === 'O') && (tag === 'E' || tag === 'I')) return true;
  return tag !== 'O' && tag !== '.' && prevType !== type;
}

// ---- strict mode: seqeval.scheme -----------------------------------------------------------------------------

// A pattern (previous prefixes, current prefixes, type condition) as seqeval's scheme classes list them.
type Pattern = readonly [string, string, 'same' | 'diff' | 'any'];
interface SchemeRules {
  allowed: string;
  start: readonly Pattern[];
  inside: readonly Pattern[];
  end: readonly Pattern[];
}

const ANY = 'IOBESUL';
const SCHEMES: Record<TagScheme, SchemeRules> = {
  IOB1: {
    allowed: 'IOB',
    start: [['O', 'I', 'any'], ['I', 'I', 'diff'], ['B', 'I', 'any'], ['I', 'B', 'same'], ['B', 'B', 'same']],
    inside: [['B', 'I', 'same'], ['I', 'I', 'same']],
    end: [['I', 'I', 'diff'], ['I', 'O', 'any'], ['I', 'B', 'any'], ['B', 'O', 'any'], ['B', 'I', 'diff'], ['B', 'B', 'same']],
  },
  IOE1: {
    allowed: 'IOE',
    start: [['O', 'I', 'any'], ['I', 'I', 'diff'], ['E', 'I', 'any'], ['E', 'E', 'same']],
    inside: [['I', 'I', 'same'], ['I', 'E', 'same']],
    end: [['I', 'I', 'diff'], ['I', 'O', 'any'], ['I', 'E', 'diff'], ['E', 'I', 'same'], ['E', 'E', 'same']],
  },
  IOB2: {
    allowed: 'IOB',
    start: [[ANY, 'B', 'any']],
    inside: [['B', 'I', 'same'], ['I', 'I', 'same']],
    end: [['I', 'O', 'any'], ['I', 'I', 'diff'], ['I', 'B', 'any'], ['B', 'O', 'any'], ['B', 'I', 'diff'], ['B', 'B', 'any']],
  },
  IOE2: {
    allowed: 'IOE',
    start: [['O', 'I', 'any'], ['O', 'E', 'any'], ['E', 'I', 'any'], ['E', 'E', 'any'], ['I', 'I', 'diff'], ['I', 'E', 'diff']],
    inside: [['I', 'E', 'same'], ['I', 'I', 'same']],
    end: [['E', ANY, 'any']],
  },
  IOBES: {
    allowed: 'IOBES',
    start: [[ANY, 'B', 'any'], [ANY, 'S', 'any']],
    inside: [['B', 'I', 'same'], ['B', 'E', 'same'], ['I', 'I', 'same'], ['I', 'E', 'same']],
    end: [['S', ANY, 'any'], ['E', ANY, 'any']],
  },
  BILOU: {
    allowed: 'BILOU',
    start: [[ANY, 'B', 'any'], [ANY, 'U', 'any']],
    inside: [['B', 'I', 'same'], ['B', 'L', 'same'], ['I', 'I', 'same'], ['I', 'L', 'same']],
    end: [['U', ANY, 'any'], ['L', ANY, 'any']],
  },
};

interface SchemeToken {
  prefix: string;
  type: string;
}

// seqeval's Token: the prefix is the first character, the type the rest without leading/trailing '-' ("_" if none).
function schemeToken(tag: string): SchemeToken {
  const prefix = tag.charAt(0);
  if (!ANY.includes(prefix) || prefix === '') {
    throw new MetricInputError(`seqeval: tag '${tag}' has no scheme prefix (one of ${ANY.split('').join(', ')})`);
  }
  return { prefix, type: tag.slice(1).replace(/^-+|-+$/g, '') || '_' };
}

function matches(prev: SchemeToken, current: SchemeToken, patterns: readonly Pattern[]): boolean {
  return patterns.some(([prevPrefixes, currentPrefixes, condition]) =>
    prevPrefixes.includes(prev.prefix) && currentPrefixes.includes(current.prefix) &&
    (condition === 'any' || (condition === 'same') === (prev.type === current.type)));
}

// seqeval's Tokens.entities: an entity starts where the start patterns match, extends while the inside patterns
// do, and is kept only if the end patterns match where it stops.
export function getStrictEntities(tags: readonly string[], scheme: TagScheme): Entity[] {
  const rules = SCHEMES[scheme];
  const outside: SchemeToken = { prefix: 'O', type: '_' };
  const tokens = [...tags.map(schemeToken), outside];
  const entities: Entity[] = [];
  let prev = outside;
  let i = 0;
  while (i < tokens.length) {
    const token = tokens[i];
    if (!rules.allowed.includes(token.prefix)) {
      throw new MetricInputError(`seqeval: tag '${tags[i]}' is not allowed in scheme ${scheme} (prefixes ${rules.allowed.split('').join(', ')})`);
    }
    if (matches(prev, token, rules.start)) {
      let end = i + 1;
      let inside = token;
      while (end < tokens.length && matches(inside, tokens[end], rules.inside)) inside = tokens[end++];
      if (matches(tokens[end - 1], tokens[end], rules.end)) entities.push({ type: token.type, start: i, end: end - 1 });
      i = end;
    } else {
      i++;
    }
    prev = tokens[i - 1];
  }
  return entities;
}

// seqeval's auto_detect: the scheme whose list of prefix sets holds exactly the prefixes seen in the references.
const DETECTABLE: ReadonlyArray<[TagScheme, readonly string[]]> = [
  ['IOB2', ['BIO', 'BI', 'BO', 'B']],
  ['IOE2', ['EIO', 'EI', 'EO', 'E']],
  ['IOBES', ['BEIOS', 'BEIS', 'BEIO', 'BEOS', 'BEI', 'BES', 'BEO', 'BE', 'S']],
  ['BILOU', ['BILOU', 'BILU', 'BILO', 'BLOU', 'BIL', 'BLU', 'BLO', 'BL', 'U']],
];

export function detectScheme(sequences: readonly (readonly string[])[]): TagScheme {
  const seen = new Set<string>();
  for (const tags of sequences) for (const tag of tags) seen.add(schemeToken(tag).prefix);
  const key = [...seen].sort().join('');
  for (const [scheme, prefixSets] of DETECTABLE) {
    if (prefixSets.some((set) => [...set].sort().join('') === key)) return scheme;
  }
  throw new MetricInputError(`seqeval: no scheme fits the prefixes {${key.split('').join(', ')}}; pass one`);
}

// ---- scores --------------------------------------------------------------------------------------------------

export function seqevalScores(predictions: readonly (readonly string[])[], references: readonly (readonly string[])[],
  options: SeqevalOptions = {}): SeqevalResult {
  checkPaired('seqeval', predictions, references);
  let tokens = 0;
  let correctTokens = 0;
  for (let s = 0; s < references.length; s++) {
    if (predictions[s].length !== references[s].length) {
      throw new MetricInputError(`seqeval: sentence ${s} has ${predictions[s].length} predicted tags but ${references[s].length} reference tags`);
    }
    tokens += references[s].length;
    for (let t = 0; t < references[s].length; t++) if (predictions[s][t] === references[s][t]) correctTokens++;
  }
  if (tokens === 0) throw new MetricInputError('seqeval: no tags to score');
  const mode = options.mode ?? 'default';
  if (mode !== 'default' && mode !== 'strict') throw new MetricInputError(`seqeval: mode must be 'default' or 'strict', got ${String(mode)}`);
  const scheme = mode === 'strict' ? options.scheme ?? detectScheme(references) : undefined;
  if (scheme !== undefined && !(scheme in SCHEMES)) throw new MetricInputError(`seqeval: unknown scheme ${String(scheme)}`);
  const truth = scheme === undefined ? flatEntityKeys(references) : strictEntityKeys(references, scheme);
  const predicted = scheme === undefined ? flatEntityKeys(predictions) : strictEntityKeys(predictions, scheme);
  const types = [...new Set([...truth.keys(), ...predicted.keys()])].sort(pythonStringOrder);
  const perType: Record<string, EntityScores> = {};
  let tpAll = 0;
  let predAll = 0;
  let trueAll = 0;
  for (const type of types) {
    const t = truth.get(type) ?? new Set<string>();
    const p = predicted.get(type) ?? new Set<string>();
    let tp = 0;
    for (const key of p) if (t.has(key)) tp++;
    perType[type] = { ...prf(tp, p.size, t.size), number: t.size };
    tpAll += tp;
    predAll += p.size;
    trueAll += t.size;
  }
  const overall = prf(tpAll, predAll, trueAll);
  return {
    overallPrecision: overall.precision, overallRecall: overall.recall, overallF1: overall.f1,
    overallAccuracy: correctTokens / tokens, perType,
  };
}

// Default mode reads all sentences as one sequence with an "O" after each (as seqeval flattens them), so that
// even the odd cases of malformed tags read as there; a span is keyed by its position in that sequence.
function flatEntityKeys(sequences: readonly (readonly string[])[]): Map<string, Set<string>> {
  const flat: string[] = [];
  for (const tags of sequences) flat.push(...tags, 'O');
  return groupByType(getEntities(flat).map((e) => ({ type: e.type, key: `${e.start}:${e.end}` })));
}

// Strict mode reads each sentence on its own (seqeval's Entities keep the sentence index in each entity).
function strictEntityKeys(sequences: readonly (readonly string[])[], scheme: TagScheme): Map<string, Set<string>> {
  return groupByType(sequences.flatMap((tags, sentence) =>
    getStrictEntities(tags, scheme).map((e) => ({ type: e.type, key: `${sentence}:${e.start}:${e.end}` }))));
}

function groupByType(entities: Array<{ type: string; key: string }>): Map<string, Set<string>> {
  const byType = new Map<string, Set<string>>();
  for (const { type, key } of entities) {
    let set = byType.get(type);
    if (set === undefined) byType.set(type, (set = new Set()));
    set.add(key);
  }
  return byType;
}

// Precision, recall and F1 with seqeval's zero-division rule: a ratio with a zero denominator is 0.
function prf(tp: number, predicted: number, actual: number): { precision: number; recall: number; f1: number } {
  const precision = predicted === 0 ? 0 : tp / predicted;
  const recall = actual === 0 ? 0 : tp / actual;
  const denominator = precision + recall;
  return { precision, recall, f1: denominator === 0 ? 0 : (2 * precision * recall) / denominator };
}

// Python sorts strings by code point; JavaScript's default sort compares UTF-16 units, which differs only above
// the BMP, so compare code points explicitly.
function pythonStringOrder(a: string, b: string): number {
  const x = [...a].map((c) => c.codePointAt(0)!);
  const y = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}
