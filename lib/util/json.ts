// JSON.parse for files from outside: V8 parses any nesting depth, but every recursive walk afterwards (a
// validator, JSON.stringify in an error message, a checkpoint's tensor references) overflows the stack on a value
// nested a few thousand levels deep, with an untyped RangeError. The depth is measured first, in one linear pass,
// and a deeper document is refused with a SyntaxError, which each caller already turns into its typed error.

// Hugging Face's config.json and tokenizer.json nest 5 levels, safetensors headers 3, checkpoints under 10.
const MAX_JSON_DEPTH = 64;

export function parseJson(text: string, maxDepth = MAX_JSON_DEPTH): unknown {
  const depth = nestingDepth(text, maxDepth);
  if (depth > maxDepth) throw new SyntaxError(`JSON nested deeper than ${maxDepth} levels`);
  return JSON.parse(text);
}

// The deepest [ / { nesting outside strings, counted up to `stop` + 1 (enough to refuse).
function nestingDepth(text: string, stop: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > stop) return deepest;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return deepest;
}
