// Bad files and bad options: typed errors that name the file (or the option) and the reason, never a crash.

import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { TokenizerFileError, TokenizerOptionsError } from '../../lib/errors';
import { BertTokenizer } from '../../lib/tokenizer';

const FIXTURES = join(__dirname, '..', 'fixtures', 'tokenizer');
const dir = mkdtempSync(join(tmpdir(), 'bertnode-tokenizer-'));
const realJson = JSON.parse(readFileSync(join(FIXTURES, 'tokenizer.json'), 'utf8')) as Record<string, unknown>;

function write(name: string, content: string | Buffer): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

/** The tokenizer.json fixture with `edit` applied. */
function jsonWith(name: string, edit: (j: Record<string, any>) => void): string {
  const j = JSON.parse(JSON.stringify(realJson));
  edit(j);
  return write(name, JSON.stringify(j));
}

function fileError(fn: () => unknown): TokenizerFileError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TokenizerFileError);
    return e as TokenizerFileError;
  }
  throw new Error('expected a TokenizerFileError');
}

describe('vocab.txt', () => {
  test('without [UNK] is refused, naming the file and the token', () => {
    const file = write('no-unk.txt', '[PAD]\n[CLS]\n[SEP]\nhello\n');
    const e = fileError(() => BertTokenizer.fromVocabFile(file));
    expect(e).toMatchObject({ code: 'ERR_BERTNODE_TOKENIZER_VOCAB', file });
    expect(e.reason).toMatch(/unknown token '\[UNK\]' is not in the vocabulary/);
  });

  test('without [SEP] is refused (the template needs it)', () => {
    const e = fileError(() => BertTokenizer.fromVocabFile(write('no-sep.txt', '[PAD]\n[UNK]\n[CLS]\n')));
    expect(e.reason).toMatch(/\[SEP\]/);
  });

  test('that is not UTF-8 is refused', () => {
    const file = write('latin1.txt', Buffer.from([0x5b, 0x55, 0x4e, 0x4b, 0x5d, 0x0a, 0xe9, 0x0a]));
    expect(fileError(() => BertTokenizer.fromVocabFile(file))).toMatchObject({
      code: 'ERR_BERTNODE_TOKENIZER_FILE', reason: 'not valid UTF-8',
    });
  });

  test('that does not exist is refused', () => {
    expect(fileError(() => BertTokenizer.fromVocabFile(join(dir, 'missing.txt')))).toMatchObject({
      code: 'ERR_BERTNODE_TOKENIZER_FILE',
    });
  });

  test('with \\r\\n line ends reads the same ids', () => {
    const text = readFileSync(join(FIXTURES, 'vocab.txt'), 'utf8');
    const crlf = BertTokenizer.fromVocabFile(write('crlf.txt', text.split('\n').join('\r\n')));
    const lf = BertTokenizer.fromVocabFile(join(FIXTURES, 'vocab.txt'));
    expect(crlf.encode('Hello, wörld!').inputIds).toEqual(lf.encode('Hello, wörld!').inputIds);
  });
});

describe('tokenizer.json', () => {
  test.each([
    ['not JSON', () => write('broken.json', '{"model": '), 'ERR_BERTNODE_TOKENIZER_FILE', /not JSON/],
    ['an array', () => write('array.json', '[]'), 'ERR_BERTNODE_TOKENIZER_FORMAT', /top level must be an object/],
    ['no model', () => jsonWith('no-model.json', (j) => { delete j.model; }), 'ERR_BERTNODE_TOKENIZER_FORMAT', /^model must be an object/],
    ['a BPE model', () => jsonWith('bpe.json', (j) => { j.model.type = 'BPE'; }), 'ERR_BERTNODE_TOKENIZER_FORMAT', /model.type 'BPE'/],
    ['a vocab id that is not an integer', () => jsonWith('vocab-id.json', (j) => { j.model.vocab.hello = 'x'; }),
      'ERR_BERTNODE_TOKENIZER_FORMAT', /model.vocab\["hello"\] must be a non-negative integer/],
    ['an unk_token missing from the vocab', () => jsonWith('no-unk.json', (j) => { delete j.model.vocab['[UNK]']; }),
      'ERR_BERTNODE_TOKENIZER_VOCAB', /unknown token '\[UNK\]'/],
    ['another normalizer', () => jsonWith('nfc.json', (j) => { j.normalizer = { type: 'NFC' }; }),
      'ERR_BERTNODE_TOKENIZER_FORMAT', /normalizer.type 'NFC'/],
    ['a lowercase flag that is a string', () => jsonWith('lower.json', (j) => { j.normalizer.lowercase = 'yes'; }),
      'ERR_BERTNODE_TOKENIZER_FORMAT', /normalizer.lowercase must be a boolean/],
    ['another pre-tokenizer', () => jsonWith('ws.json', (j) => { j.pre_tokenizer = { type: 'Whitespace' }; }),
      'ERR_BERTNODE_TOKENIZER_FORMAT', /pre_tokenizer.type 'Whitespace'/],
    ['a template naming an unknown special token', () => jsonWith('tpl.json', (j) => {
      j.post_processor.single[0].SpecialToken.id = '[BOS]';
    }), 'ERR_BERTNODE_TOKENIZER_FORMAT', /special token '\[BOS\]'/],
    ['a template id outside the vocabulary', () => jsonWith('tpl-id.json', (j) => {
      j.post_processor.special_tokens['[CLS]'].ids = [999999];
    }), 'ERR_BERTNODE_TOKENIZER_VOCAB', /id 999999/],
    ['a single_word added token', () => jsonWith('single-word.json', (j) => { j.added_tokens[0].single_word = true; }),
      'ERR_BERTNODE_TOKENIZER_FORMAT', /single_word/],
    ['another decoder', () => jsonWith('bpe-dec.json', (j) => { j.decoder = { type: 'BPEDecoder' }; }),
      'ERR_BERTNODE_TOKENIZER_FORMAT', /decoder.type 'BPEDecoder'/],
  ])('%s is refused with the file and the field', (_what, make, code, reason) => {
    const file = make();
    const e = fileError(() => BertTokenizer.fromTokenizerJson(file));
    expect(e.code).toBe(code);
    expect(e.file).toBe(file);
    expect(e.reason).toMatch(reason);
    expect(e.message).toContain(file);
  });
});

describe('options', () => {
  const tok = BertTokenizer.fromVocabFile(join(FIXTURES, 'vocab.txt'));
  const optionError = (fn: () => unknown, code: string, message: RegExp): void => {
    expect(fn).toThrow(TokenizerOptionsError);
    expect(fn).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message) }));
  };

  test('unknown option names are refused everywhere', () => {
    const bad = { lowercase: true } as unknown as object;
    optionError(() => BertTokenizer.fromVocabFile(join(FIXTURES, 'vocab.txt'), bad), 'ERR_BERTNODE_TOKENIZER_OPTION', /unknown option 'lowercase'/);
    optionError(() => BertTokenizer.fromTokenizerJson(join(FIXTURES, 'tokenizer.json'), bad), 'ERR_BERTNODE_TOKENIZER_OPTION', /unknown option/);
    optionError(() => tok.encode('a', undefined, { max_length: 3 } as object), 'ERR_BERTNODE_TOKENIZER_OPTION', /unknown option 'max_length'/);
    optionError(() => tok.encodeBatch(['a'], { pad: true } as object), 'ERR_BERTNODE_TOKENIZER_OPTION', /unknown option 'pad'/);
    optionError(() => tok.decode([1], { skip: true } as object), 'ERR_BERTNODE_TOKENIZER_OPTION', /unknown option 'skip'/);
  });

  test('values out of range are refused', () => {
    optionError(() => tok.encode('a', undefined, { maxLength: -1 }), 'ERR_BERTNODE_TOKENIZER_OPTION', /maxLength/);
    optionError(() => tok.encode('a', undefined, { maxLength: 1.5 }), 'ERR_BERTNODE_TOKENIZER_OPTION', /maxLength/);
    optionError(() => tok.encode('a', undefined, { maxLength: 1 }), 'ERR_BERTNODE_TOKENIZER_OPTION', /no room for the 2 special tokens/);
    optionError(() => tok.encode('a', undefined, { truncation: 'longest' as 'longest_first', maxLength: 4 }),
      'ERR_BERTNODE_TOKENIZER_OPTION', /truncation must be/);
    optionError(() => tok.encode('a', undefined, { truncation: true }), 'ERR_BERTNODE_TOKENIZER_OPTION', /truncation needs maxLength/);
    optionError(() => tok.encode('a', undefined, { padding: true }), 'ERR_BERTNODE_TOKENIZER_OPTION', /needs maxLength/);
    optionError(() => BertTokenizer.fromVocabFile(join(FIXTURES, 'vocab.txt'), { doLowerCase: 'no' as unknown as boolean }),
      'ERR_BERTNODE_TOKENIZER_OPTION', /doLowerCase/);
  });

  test('truncation that cannot reach maxLength is refused as Hugging Face refuses it', () => {
    optionError(() => tok.encode('a b', 'k l m n o p', { truncation: 'only_first', maxLength: 8 }),
      'ERR_BERTNODE_TOKENIZER_TRUNCATION', /first sequence has 2 tokens/);
    optionError(() => tok.encode('a b c d e f', undefined, { truncation: 'only_second', maxLength: 4 }),
      'ERR_BERTNODE_TOKENIZER_TRUNCATION', /needs a second sequence/);
  });

  test('padding with a tokenizer that has no pad token is refused; equal rows need none', () => {
    const file = jsonWith('no-pad.json', (j) => {
      delete j.padding;
      delete j.model.vocab['[PAD]'];
      j.added_tokens = j.added_tokens.filter((t: { content: string }) => t.content !== '[PAD]');
    });
    const noPad = BertTokenizer.fromTokenizerJson(file);
    expect(noPad.encodeBatch(['a b', 'c d']).seqLen).toBe(4);
    optionError(() => noPad.encodeBatch(['a', 'b c']), 'ERR_BERTNODE_TOKENIZER_OPTION', /needs a pad token/);
  });

  test('decode refuses ids outside the vocabulary', () => {
    optionError(() => tok.decode([101, 30522]), 'ERR_BERTNODE_TOKENIZER_ID', /id 30522 at position 1/);
    optionError(() => tok.decode([-1]), 'ERR_BERTNODE_TOKENIZER_ID', /id -1/);
    optionError(() => tok.decode([0.5]), 'ERR_BERTNODE_TOKENIZER_ID', /id 0.5/);
  });
});
