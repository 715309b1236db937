// Python's notion of whitespace (str.isspace, str.split(), str.strip()), which the reference scripts rely on and
// JavaScript's \s does not share: Python's has U+001C..U+001F and U+0085, and lacks U+FEFF.

const WHITESPACE_CLASS = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const RUN = new RegExp(`[${WHITESPACE_CLASS}]+`);
const LEADING = new RegExp(`^[${WHITESPACE_CLASS}]+`);
const ALL = new RegExp(`^[${WHITESPACE_CLASS}]+$`);

// str.split() without arguments: runs of whitespace separate, no empty strings at either end.
export function pythonSplit(text: string): string[] {
  return text.split(RUN).filter((word) => word !== '');
}

// str.lstrip() without arguments.
export function pythonLstrip(text: string): string {
  return text.replace(LEADING, '');
}

// str.isspace(): non-empty and whitespace only.
export function pythonIsSpace(text: string): boolean {
  return ALL.test(text);
}
