// The masked-LM collator's masking, as transformers' DataCollatorForLanguageModeling does it (torch_mask_tokens),
// from a seeded generator (./random.ts) instead of torch's:
//   token masking (default): each non-special token is chosen with probability mlmProbability (15 %); of the chosen,
//     80 % become [MASK], half of the rest (10 %) a uniformly random id of the vocabulary, the rest stay as they are;
//   whole-word masking: words are runs of tokens without a gap between one token's end and the next one's start (as
//     transformers 5 finds them from the offsets); each word is chosen with probability mlmProbability and all its
//     tokens become [MASK] (transformers 5 turns random replacement off for whole words).
// Labels are the original ids at chosen positions and −100 everywhere else; special tokens (and padding) are never
// chosen. One masker draws from one stream: the same seed and the same rows give the same masks.

import { ValidationError } from '../errors';
import { mulberry32, type Random } from './random';
import { IGNORE_INDEX } from './token-alignment';

export interface MaskingOptions {
  maskTokenId: number;
  // Random replacements are drawn from [0, vocabSize).
  vocabSize: number;
  seed: number;
  mlmProbability?: number; // default 0.15
  maskReplaceProbability?: number; // default 0.8
  randomReplaceProbability?: number; // default 0.1
  wholeWordMask?: boolean; // default false
}

export interface MaskableRow {
  inputIds: readonly number[];
  specialTokensMask: readonly number[];
  // Needed for whole-word masking: [start, end) of each token in its text.
  offsets?: ReadonlyArray<readonly [number, number]>;
}

export interface MaskedRow {
  inputIds: number[];
  labels: number[];
}

export class MlmMasker {
  private readonly random: Random;
  private readonly probability: number;
  private readonly maskProbability: number;
  private readonly randomProbability: number;

  constructor(private readonly options: MaskingOptions) {
    this.random = mulberry32(options.seed);
    this.probability = probability('mlmProbability', options.mlmProbability ?? 0.15);
    const wholeWord = options.wholeWordMask ?? false;
    this.maskProbability = wholeWord ? 1 : probability('maskReplaceProbability', options.maskReplaceProbability ?? 0.8);
    this.randomProbability = wholeWord ? 0 : probability('randomReplaceProbability', options.randomReplaceProbability ?? 0.1);
    if (this.maskProbability + this.randomProbability > 1) {
      throw new ValidationError('maskReplaceProbability + randomReplaceProbability must not exceed 1');
    }
    if (!Number.isInteger(options.vocabSize) || options.vocabSize < 1) throw new ValidationError(`vocabSize must be a positive integer, got ${options.vocabSize}`);
    if (!Number.isInteger(options.maskTokenId) || options.maskTokenId < 0 || options.maskTokenId >= options.vocabSize) {
      throw new ValidationError(`maskTokenId ${options.maskTokenId} is not an id of the vocabulary`);
    }
  }

  mask(row: MaskableRow): MaskedRow {
    const n = row.inputIds.length;
    if (row.specialTokensMask.length !== n) throw new ValidationError(`specialTokensMask has ${row.specialTokensMask.length} entries for ${n} tokens`);
    const chosen = this.options.wholeWordMask ? this.chooseWords(row) : this.chooseTokens(row);
    const inputIds = Array.from(row.inputIds);
    const labels = new Array<number>(n).fill(IGNORE_INDEX);
    // The scaled share of the non-[MASK] remainder that gets a random id (0.1 / 0.2 = half by default).
    const randomShare = this.maskProbability < 1 ? this.randomProbability / (1 - this.maskProbability) : 0;
    for (let i = 0; i < n; i++) {
      if (!chosen[i]) continue;
      labels[i] = row.inputIds[i];
      if (this.random() < this.maskProbability) inputIds[i] = this.options.maskTokenId;
      else if (this.random() < randomShare) inputIds[i] = Math.floor(this.random() * this.options.vocabSize);
    }
    return { inputIds, labels };
  }

  private chooseTokens(row: MaskableRow): boolean[] {
    return row.specialTokensMask.map((special) => special === 0 && this.random() < this.probability);
  }

  private chooseWords(row: MaskableRow): boolean[] {
    const { offsets, specialTokensMask } = row;
    if (offsets === undefined || offsets.length !== specialTokensMask.length) {
      throw new ValidationError('whole-word masking needs the offsets of every token');
    }
    const chosen = new Array<boolean>(offsets.length).fill(false);
    let wordChosen = false;
    for (let i = 0; i < offsets.length; i++) {
      if (specialTokensMask[i] !== 0) continue;
      const startsWord = i === 0 || specialTokensMask[i - 1] !== 0 || offsets[i][0] !== offsets[i - 1][1];
      if (startsWord) wordChosen = this.random() < this.probability;
      chosen[i] = wordChosen;
    }
    return chosen;
  }
}

function probability(name: string, value: number): number {
  if (!(value >= 0 && value <= 1)) throw new ValidationError(`${name} must be between 0 and 1, got ${value}`);
  return value;
}
