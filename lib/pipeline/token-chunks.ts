// The chunks a text is read in by token classification: the text truncated to the model's length, or, with a
// stride, every window of it — the fast tokenizer's return_overflowing_tokens: windows of the room the template
// leaves, each starting `stride` pieces before the previous one ended, the last reaching the end.

import { fillTemplate } from '../data/template';
import { OptionValueError } from '../errors';
import type { BertTokenizer } from '../tokenizer';
import { addedTokenCount } from '../tokenizer/postProcessor';

export interface TokenChunk {
  inputIds: number[];
  tokenTypeIds: number[];
  tokens: string[];
  // [start, end) of each token in the text; special tokens have specialTokensMask 1.
  offsets: Array<[number, number]>;
  specialTokensMask: number[];
}

export function tokenChunks(tokenizer: BertTokenizer, text: string, maxLength: number, stride: number | undefined): TokenChunk[] {
  if (stride === undefined) return [tokenizer.encode(text, undefined, { maxLength, truncation: true })];
  const template = tokenizer.config.template.single;
  const room = maxLength - addedTokenCount(template);
  if (stride >= room) throw new OptionValueError('stride', `must be below the ${room} tokens of text a chunk of ${maxLength} holds, got ${stride}`);
  const pieces = tokenizer.encode(text, undefined, { addSpecialTokens: false });
  const chunks: TokenChunk[] = [];
  for (let start = 0; ; start += room - stride) {
    const end = Math.min(start + room, pieces.inputIds.length);
    const row = fillTemplate(template, pieces.inputIds.slice(start, end));
    chunks.push({
      inputIds: row.inputIds,
      tokenTypeIds: row.tokenTypeIds,
      tokens: row.inputIds.map((id) => tokenizer.idToToken(id) ?? ''),
      offsets: row.pieceIndex.map((p): [number, number] => (p < 0 ? [0, 0] : pieces.offsets[start + p])),
      specialTokensMask: row.sequenceIds.map((s) => (s === null ? 1 : 0)),
    });
    if (end === pieces.inputIds.length) return chunks;
  }
}
