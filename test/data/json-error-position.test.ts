import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { mulberry32 } from '../../lib/data';
import { jsonErrorOffset, lineOfOffset } from '../../lib/data/json-error-position';
import { TASKDATA } from './task-fixtures';

describe('jsonErrorOffset (where JSON.parse failed, for line numbers in errors)', () => {
  it('accepts what JSON.parse accepts', () => {
    for (const text of ['0', ' -1.5e+3 ', '"a\\u00e9\\n"', '[]', '{}', '[1, [2, {"a": [true, false, null]}], "x"]', '{"a": {"b": {}}, "c": []}']) {
      expect(() => JSON.parse(text)).not.toThrow();
      expect(jsonErrorOffset(text)).toBe(-1);
    }
  });

  it('points at the first character that breaks the grammar', () => {
    const cases: Array<[string, number]> = [
      ['{"a": [}', 7], ['[1, 2', 5], ['[1 2]', 3], ['{"a" 1}', 5], ['{a: 1}', 1], ['[01]', 2], ['"tab\there"', 4],
      ['[1,]', 3], ['{"a": 1,}', 8], ['tru', 0], ['"\\x"', 1], ['[] []', 3], ['', 0], ['{"a": 1 "b": 2}', 8],
    ];
    for (const [text, offset] of cases) {
      expect(() => JSON.parse(text)).toThrow();
      expect([text, jsonErrorOffset(text)]).toEqual([text, offset]);
    }
  });

  it('survives deep nesting and finds lines', () => {
    expect(jsonErrorOffset('['.repeat(100000) + ']'.repeat(100000))).toBe(-1);
    expect(jsonErrorOffset('['.repeat(100000))).toBe(100000);
    expect(lineOfOffset('a\nb\nc', 4)).toBe(3);
  });
});

test('agrees with JSON.parse on 500 damaged copies of the SQuAD fixture (fails exactly where it fails)', () => {
  const original = readFileSync(path.join(TASKDATA, 'squad', 'dev-v2.0.json'), 'utf8');
  const random = mulberry32(99);
  const pieces = ['"', '{', '}', '[', ']', ',', ':', '\\', '\n', '1', '-', 'e', 'tru', '\u0001'];
  let broken = 0;
  for (let i = 0; i < 500; i++) {
    let text = original;
    for (let r = 0; r < 1 + Math.floor(random() * 2); r++) {
      const at = Math.floor(random() * text.length);
      const cut = Math.floor(random() * 3);
      text = text.slice(0, at) + pieces[Math.floor(random() * pieces.length)] + text.slice(at + cut);
    }
    let parses = true;
    try {
      JSON.parse(text);
    } catch {
      parses = false;
      broken++;
    }
    expect(jsonErrorOffset(text) === -1).toBe(parses);
  }
  expect(broken).toBeGreaterThan(250);
});
