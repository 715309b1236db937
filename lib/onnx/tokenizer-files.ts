// transformers.js reads tokenizer.json and tokenizer_config.json only (never vocab.txt). A model saved from vocab.txt
// gets the tokenizer.json that transformers' BertTokenizerFast would write for the same vocabulary and settings
// (BertNormalizer, BertPreTokenizer, WordPiece, [CLS] A [SEP] B [SEP] with token types 0 and 1), so both libraries
// split text into the same ids; a tokenizer.json already there is kept as it is.
import { promises as fsp } from 'fs';
import * as path from 'path';
import { readTokenizerConfigJson } from '../tokenizer/tokenizerConfigJson';
import { parseVocabLines } from '../tokenizer/vocabFile';
import { pathExists } from '../util/fs';

export async function writeTransformersJsTokenizerFiles(dir: string): Promise<void> {
  const configFile = path.join(dir, 'tokenizer_config.json');
  const settings = readTokenizerConfigJson(dir);
  const special = specialTokens(settings);
  if (!(await pathExists(path.join(dir, 'tokenizer.json')))) {
    const vocab = Object.fromEntries(parseVocabLines(await fsp.readFile(path.join(dir, 'vocab.txt'), 'utf8')));
    await fsp.writeFile(path.join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson(vocab, special, settings)));
  }
  // transformers.js takes its tokenizer class and the special tokens (padding needs pad_token) from this file; the
  // keys a tokenizer_config.json written by transformers has are added where missing, the others kept.
  const config = (await pathExists(configFile)) ? JSON.parse(await fsp.readFile(configFile, 'utf8')) : {};
  const defaults = {
    tokenizer_class: 'BertTokenizer', do_lower_case: settings.doLowerCase ?? true, unk_token: special.unk,
    sep_token: special.sep, pad_token: special.pad, cls_token: special.cls, mask_token: special.mask,
  };
  await fsp.writeFile(configFile, JSON.stringify({ ...defaults, ...config }, null, 2));
}

type Settings = ReturnType<typeof readTokenizerConfigJson>;
type SpecialTokens = ReturnType<typeof specialTokens>;

// transformers' BertTokenizer defaults.
function specialTokens(o: Settings) {
  return {
    unk: o.unkToken ?? '[UNK]', sep: o.sepToken ?? '[SEP]', pad: o.padToken ?? '[PAD]', cls: o.clsToken ?? '[CLS]',
    mask: o.maskToken ?? '[MASK]',
  };
}

function tokenizerJson(vocab: Record<string, number>, special: SpecialTokens, o: Settings): object {
  const addedTokens = Object.values(special).filter((t) => vocab[t] !== undefined).sort((a, b) => vocab[a] - vocab[b])
    .map((content) => ({ id: vocab[content], content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
  const token = (id: string, typeId: number) => ({ SpecialToken: { id, type_id: typeId } });
  const sequence = (id: string, typeId: number) => ({ Sequence: { id, type_id: typeId } });
  const lowercase = o.doLowerCase ?? true;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: {
      type: 'BertNormalizer', clean_text: o.cleanText ?? true, handle_chinese_chars: o.tokenizeChineseChars ?? true,
      strip_accents: o.stripAccents ?? null, lowercase,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [token(special.cls, 0), sequence('A', 0), token(special.sep, 0)],
      pair: [token(special.cls, 0), sequence('A', 0), token(special.sep, 0), sequence('B', 1), token(special.sep, 1)],
      special_tokens: Object.fromEntries([special.cls, special.sep].map((t) => [t, { id: t, ids: [vocab[t]], tokens: [t] }])),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece', unk_token: special.unk, continuing_subword_prefix: '##',
      max_input_chars_per_word: o.maxInputCharsPerWord ?? 100, vocab,
    },
  };
}
