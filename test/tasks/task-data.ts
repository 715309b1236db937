// Generated task data with a learnable signal for the task classes' end-to-end tests (no network): sentences of
// the tiny model's vocabulary (../classifier/tiny-model.ts) where sentiment words carry the answer.
import { mulberry32 } from '../../lib/data/random';
import { NEGATIVE, POSITIVE } from '../classifier/tiny-model';

const FILLER = ['the', 'a', 'movie', 'film', 'plot', 'acting', 'was', 'is', 'and', 'but', 'really', 'quite', 'story', 'cast', 'scene'];

function picker(seed: number) {
  const random = mulberry32(seed);
  return { random, pick: <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] };
}

// Tagging: positive words are B-POS, negative words B-NEG, the rest O.
export function taggedSentences(n: number, seed = 5): { tokens: string[]; tags: string[] }[] {
  const { random, pick } = picker(seed);
  return Array.from({ length: n }, () => {
    const tokens: string[] = [];
    const tags: string[] = [];
    const length = 5 + Math.floor(random() * 5);
    for (let i = 0; i < length; i++) {
      const r = random();
      if (r < 0.2) { tokens.push(pick(POSITIVE)); tags.push('B-POS'); }
      else if (r < 0.4) { tokens.push(pick(NEGATIVE)); tags.push('B-NEG'); }
      else { tokens.push(pick(FILLER)); tags.push('O'); }
    }
    return { tokens, tags };
  });
}

// Extractive QA: the answer is the one sentiment word of the context; the question names its polarity.
export function squadExamples(n: number, seed = 7): { id: string; question: string; context: string; answers: { text: string[]; answerStart: number[] } }[] {
  const { random, pick } = picker(seed);
  return Array.from({ length: n }, (_, i) => {
    const words = Array.from({ length: 6 + Math.floor(random() * 5) }, () => pick(FILLER));
    const answer = pick(i % 2 ? POSITIVE : NEGATIVE);
    const at = Math.floor(random() * words.length);
    words.splice(at, 0, answer);
    const context = words.join(' ');
    const answerStart = words.slice(0, at).join(' ').length + (at > 0 ? 1 : 0);
    return { id: `q${i}`, question: 'which word ?', context, answers: { text: [answer], answerStart: [answerStart] } };
  });
}

// Multiple choice: the right ending is the one that carries a sentiment word (the others are filler).
export function swagExamples(n: number, seed = 9): { context: string; questionHeader: string; endings: string[]; label: number }[] {
  const { random, pick } = picker(seed);
  return Array.from({ length: n }, () => {
    const label = Math.floor(random() * 4);
    const endings = Array.from({ length: 4 }, (_, k) => `${pick(FILLER)} ${pick(k === label ? [...POSITIVE, ...NEGATIVE] : FILLER)}`);
    return { context: `${pick(FILLER)} ${pick(FILLER)} ${pick(FILLER)}`, questionHeader: 'it was', endings, label };
  });
}

// Masked LM: lines that repeat one word, so a masked position is predictable from the others.
export function repetitiveLines(n: number, seed = 13): string[] {
  const { random, pick } = picker(seed);
  return Array.from({ length: n }, () => {
    const w = pick([...POSITIVE, ...NEGATIVE]);
    return Array.from({ length: 6 + Math.floor(random() * 4) }, () => w).join(' ');
  });
}
