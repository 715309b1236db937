// IOB tag schemes. IOB2 (CoNLL-2003 as distributed by Hugging Face, run_ner's default): every entity starts with
// B-. IOB1 (the original CoNLL-2003 files): an entity starts with I-, and B- only marks a new entity right after
// one of the same type. Training and strict evaluation want IOB2; iob1ToIob2 converts.

// The tag with its prefix and type split: "B-PER" → { prefix: 'B', type: 'PER' }; "O" → { prefix: 'O', type: '' }.
function splitTag(tag: string): { prefix: string; type: string } {
  if (tag === 'O') return { prefix: 'O', type: '' };
  const dash = tag.indexOf('-');
  return dash === -1 ? { prefix: tag, type: '' } : { prefix: tag.slice(0, dash), type: tag.slice(dash + 1) };
}

// An I-X that does not continue an entity of type X (at the start, after O, after another type) becomes B-X.
export function iob1ToIob2(tags: readonly string[]): string[] {
  return tags.map((tag, i) => {
    const { prefix, type } = splitTag(tag);
    if (prefix !== 'I') return tag;
    const previous = i === 0 ? { prefix: 'O', type: '' } : splitTag(tags[i - 1]);
    return previous.prefix === 'O' || previous.type !== type ? `B-${type}` : tag;
  });
}

// The position of the first tag that breaks IOB2 (an I-X not after B-X or I-X, or a prefix other than B/I/O), or
// -1 when the sequence is valid IOB2.
export function firstIob2Violation(tags: readonly string[]): number {
  for (let i = 0; i < tags.length; i++) {
    const { prefix, type } = splitTag(tags[i]);
    if (prefix === 'O' || prefix === 'B') continue;
    if (prefix !== 'I') return i;
    const previous = i === 0 ? { prefix: 'O', type: '' } : splitTag(tags[i - 1]);
    if (previous.prefix === 'O' || previous.type !== type) return i;
  }
  return -1;
}

// run_ner's b_to_i_label: the id of I-X for B-X where the label list has it, the label itself otherwise (used for
// the continuation sub-tokens of a word when every sub-token is labelled).
export function beginToInsideIds(labels: readonly string[]): number[] {
  return labels.map((label, index) => {
    if (!label.startsWith('B-')) return index;
    const inside = labels.indexOf(label.replace('B-', 'I-'));
    return inside === -1 ? index : inside;
  });
}
