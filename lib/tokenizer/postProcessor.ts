// Stage 4 of the pipeline: the post-processor (Hugging Face `TemplateProcessing` / `BertProcessing`).
//
// Wraps the word pieces of one or two sequences in special tokens: for BERT "[CLS] A [SEP]" and
// "[CLS] A [SEP] B [SEP]", with token type 0 for the first part and 1 for the second.

/** One element of a template: a special token's ids, or the pieces of sequence 0 (A) or 1 (B). */
export type TemplateItem =
  | { kind: 'special'; token: string; ids: readonly number[]; typeId: number }
  | { kind: 'sequence'; sequence: 0 | 1; typeId: number };

export interface Template {
  single: readonly TemplateItem[];
  pair: readonly TemplateItem[];
}

/** BERT's template for a vocabulary whose [CLS] and [SEP] have the given ids. */
export function bertTemplate(cls: { token: string; id: number }, sep: { token: string; id: number }): Template {
  const c: TemplateItem = { kind: 'special', token: cls.token, ids: [cls.id], typeId: 0 };
  const s0: TemplateItem = { kind: 'special', token: sep.token, ids: [sep.id], typeId: 0 };
  const s1: TemplateItem = { kind: 'special', token: sep.token, ids: [sep.id], typeId: 1 };
  return {
    single: [c, { kind: 'sequence', sequence: 0, typeId: 0 }, s0],
    pair: [c, { kind: 'sequence', sequence: 0, typeId: 0 }, s0, { kind: 'sequence', sequence: 1, typeId: 1 }, s1],
  };
}

/** Number of tokens the template adds around the sequences (truncation keeps room for them). */
export function addedTokenCount(items: readonly TemplateItem[]): number {
  let n = 0;
  for (const item of items) if (item.kind === 'special') n += item.ids.length;
  return n;
}
