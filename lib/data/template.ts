// Wraps already-tokenized pieces in the tokenizer's template ([CLS] A [SEP] or [CLS] A [SEP] B [SEP]) and
// remembers, for each position, which sequence and which piece of it the token is: the task readers that cut or
// regroup pieces themselves (word alignment, SQuAD windows) map word ids and character offsets through it.

import type { TemplateItem } from '../tokenizer/postProcessor';

export interface TemplatedRow {
  inputIds: number[];
  tokenTypeIds: number[];
  // 0 or 1 for a piece of sequence A or B, null for a special token.
  sequenceIds: Array<0 | 1 | null>;
  // Index of the piece within its sequence, -1 for a special token.
  pieceIndex: number[];
}

export function fillTemplate(items: readonly TemplateItem[], a: ArrayLike<number>, b?: ArrayLike<number>): TemplatedRow {
  const row: TemplatedRow = { inputIds: [], tokenTypeIds: [], sequenceIds: [], pieceIndex: [] };
  for (const item of items) {
    if (item.kind === 'special') {
      for (const id of item.ids) {
        row.inputIds.push(id);
        row.tokenTypeIds.push(item.typeId);
        row.sequenceIds.push(null);
        row.pieceIndex.push(-1);
      }
      continue;
    }
    const pieces = item.sequence === 0 ? a : b;
    if (pieces === undefined) continue;
    for (let i = 0; i < pieces.length; i++) {
      row.inputIds.push(pieces[i]);
      row.tokenTypeIds.push(item.typeId);
      row.sequenceIds.push(item.sequence);
      row.pieceIndex.push(i);
    }
  }
  return row;
}
