// Where a JSON text first breaks the grammar. Node's JSON.parse names the position for some errors only
// ("Unexpected token '}', ..."graphs": [}..." has none), so a reader that must report the line runs this scanner
// once parsing has failed. Iterative (an explicit stack), so deep nesting cannot overflow the call stack.

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const STRING_BODY = /(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*/y;

// The UTF-16 offset of the first character that cannot continue a valid JSON text (text.length for a text that
// ends too early), or -1 when the text is valid JSON.
export function jsonErrorOffset(text: string): number {
  let pos = 0;
  const stack: Array<'object' | 'array'> = [];
  const skipSpace = (): void => {
    while (pos < text.length && ' \t\n\r'.includes(text[pos])) pos++;
  };
  const scanString = (): boolean => {
    if (text[pos] !== '"') return false;
    STRING_BODY.lastIndex = pos + 1;
    STRING_BODY.exec(text);
    pos = STRING_BODY.lastIndex;
    if (text[pos] !== '"') return false;
    pos++;
    return true;
  };
  // An object member's name and colon.
  const scanKey = (): boolean => {
    if (!scanString()) return false;
    skipSpace();
    if (text[pos] !== ':') return false;
    pos++;
    return true;
  };
  for (;;) {
    skipSpace();
    // A value starts here.
    const c = text[pos];
    if (c === '{' || c === '[') {
      pos++;
      skipSpace();
      if (text[pos] === (c === '{' ? '}' : ']')) {
        pos++;
      } else {
        stack.push(c === '{' ? 'object' : 'array');
        if (c === '{' && !scanKey()) return pos;
        continue;
      }
    } else if (c === '"') {
      if (!scanString()) return pos;
    } else if (text.startsWith('true', pos) || text.startsWith('null', pos)) {
      pos += 4;
    } else if (text.startsWith('false', pos)) {
      pos += 5;
    } else {
      NUMBER.lastIndex = pos;
      if (!NUMBER.test(text)) return pos;
      pos = NUMBER.lastIndex;
    }
    // The value is complete: what may follow depends on the enclosing container.
    for (;;) {
      skipSpace();
      const top = stack[stack.length - 1];
      if (top === undefined) return pos === text.length ? -1 : pos;
      if (text[pos] === ',') {
        pos++;
        skipSpace();
        if (top === 'object' && !scanKey()) return pos;
        break;
      }
      if (text[pos] !== (top === 'object' ? '}' : ']')) return pos;
      pos++;
      stack.pop();
    }
  }
}

// The 1-based line of an offset.
export function lineOfOffset(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}
