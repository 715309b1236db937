// 'fill-mask': transformers' FillMaskPipeline on the masked-LM head. For each [MASK] of a text, the topK tokens
// with their softmax probability, id, text and the sequence with the mask filled in.

import { InputError } from '../errors';
import { checkOptions, integer } from '../train/option-check';
import { forwardRows, softmax, topIndices } from './batches';
import type { PipelineModel } from './load';

export interface FillMaskOptions {
  /** Predictions per mask, best first (default 5). */
  topK?: number;
}

export interface FillMaskPrediction {
  score: number;
  token: number;
  token_str: string;
  sequence: string;
}

const OPTIONS = { topK: integer(1) };

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
  const topK = Math.min(options.topK ?? 5, vocab);
  const perText = await forwardRows(loaded.model, rows, batchSize, tokenizer.padTokenId(), ({ result, indexInBatch, seqLen }, r) => {
    const ids = rows[r].inputIds;
    const masks = ids.flatMap((id, t) => (id === maskId ? [t] : []));
    const single = masks.length === 1;
    const perMask = masks.map((t) => {
      const start = (indexInBatch * seqLen + t) * vocab;
      const probs = softmax(result.logits.subarray(start, start + vocab));
      return topIndices(probs, topK).map((token) => {
        const filled = ids.map((id, k) => (k === t ? token : id));
        // transformers decodes the filled ids, special tokens left out only when there is one mask.
        return { score: probs[token], token, token_str: tokenizer.decode([token]), sequence: tokenizer.decode(filled, { skipSpecialTokens: single }) };
      });
    });
    return single ? perMask[0] : perMask;
  });
  return batched ? perText : perText[0];
}
