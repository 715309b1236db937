// 'fill-mask': transformers' FillMaskPipeline on the masked-LM head. For each [MASK] of a text, the topK tokens
// with their softmax probability, id, text and the sequence with the mask filled in.

import { InputError, OptionTypeError } from '../errors';
import { checkOptions, integer, type OptionCheck } from '../train/option-check';
import type { BertTokenizer } from '../tokenizer';
import { forwardRows, softmax, topIndices } from './batches';
import type { PipelineModel } from './load';

export interface FillMaskOptions {
  /** Predictions per mask, best first (default 5; at most the number of targets). */
  topK?: number;
  /**
   * Score only these tokens (their probabilities under the full softmax). A target that is not a token of the
   * vocabulary stands for the first piece of its tokenization, with a process warning (as transformers).
   */
  targets?: string | string[];
}

export interface FillMaskPrediction {
  score: number;
  token: number;
  token_str: string;
  sequence: string;
}

const targetsCheck: OptionCheck = (value, name) => {
  if (typeof value === 'string') return;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new OptionTypeError(name, 'a string or an array of strings', value);
};
const OPTIONS = { topK: integer(1), targets: targetsCheck };

// One text with one mask → its predictions; with several masks → one list per mask (as transformers); several
// texts → one of those per text.
export async function fillMask(loaded: PipelineModel, batchSize: number, input: string | readonly string[],
  options: FillMaskOptions = {}): Promise<FillMaskPrediction[] | FillMaskPrediction[][] | Array<FillMaskPrediction[] | FillMaskPrediction[][]>> {
  checkOptions('fill-mask', options, OPTIONS);
  const { tokenizer } = loaded;
  // BERT's mask token; tokenizer.json marks it as an added token, so it is never split.
  const maskToken = '[MASK]';
  const maskId = tokenizer.tokenToId(maskToken);
  if (maskId === undefined) throw new InputError(`fill-mask: the tokenizer of ${loaded.directory} has no ${maskToken} token`);
  const batched = Array.isArray(input);
  const texts = (batched ? input : [input]) as string[];
  const rows = texts.map((t, i) => {
    if (typeof t !== 'string') throw new InputError(`fill-mask: input ${i} is not a string`, i);
    const enc = tokenizer.encode(t, undefined, { maxLength: loaded.maxLength, truncation: true });
    if (!enc.inputIds.includes(maskId)) throw new InputError(`fill-mask: input ${i} has no ${maskToken} token`, i);
    return enc;
  });
  const vocab = loaded.config.vocabSize;
  const targets = options.targets === undefined ? undefined : targetIds(tokenizer, options.targets);
  const topK = Math.min(options.topK ?? 5, targets?.length ?? vocab);
  const perText = await forwardRows(loaded.model, rows, batchSize, tokenizer.padTokenId(), ({ result, indexInBatch, seqLen }, r) => {
    const ids = rows[r].inputIds;
    const masks = ids.flatMap((id, t) => (id === maskId ? [t] : []));
    const single = masks.length === 1;
    const perMask = masks.map((t) => {
      const start = (indexInBatch * seqLen + t) * vocab;
      const probs = softmax(result.logits.subarray(start, start + vocab));
      const candidates = targets ?? [...probs.keys()];
      return topIndices(candidates.map((id) => probs[id]), topK).map((k) => {
        const token = candidates[k];
        const filled = ids.map((id, position) => (position === t ? token : id));
        // transformers decodes the filled ids, special tokens left out only when there is one mask.
        return { score: probs[token], token, token_str: tokenizer.decode([token]), sequence: tokenizer.decode(filled, { skipSpecialTokens: single }) };
      });
    });
    return single ? perMask[0] : perMask;
  });
  return batched ? perText : perText[0];
}

// transformers' get_target_ids: the token itself, else the first piece of its tokenization; each id once.
function targetIds(tokenizer: BertTokenizer, targets: string | string[]): number[] {
  const ids = new Set<number>();
  for (const target of typeof targets === 'string' ? [targets] : targets) {
    const id = tokenizer.tokenToId(target);
    if (id !== undefined) {
      ids.add(id);
      continue;
    }
    const first = tokenizer.encode(target, undefined, { addSpecialTokens: false }).inputIds[0];
    if (first === undefined) {
      process.emitWarning(`fill-mask: the target '${target}' has no token in the vocabulary; it is left out`, { code: 'BERTNODE_FILL_MASK_TARGET' });
      continue;
    }
    process.emitWarning(`fill-mask: the target '${target}' is not a token of the vocabulary; '${tokenizer.idToToken(first)}' stands for it`, { code: 'BERTNODE_FILL_MASK_TARGET' });
    ids.add(first);
  }
  if (ids.size === 0) throw new InputError('fill-mask: none of the targets is in the vocabulary');
  return [...ids];
}
