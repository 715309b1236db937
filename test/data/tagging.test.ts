import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  beginToInsideIds, firstIob2Violation, iob1ToIob2, readConll, readTaggedJsonl, tagLabelList, TokenAligner,
} from '../../lib/data';
import { tempDir } from './helpers/imdb-fixture';
import { fixtureTokenizer, TASKDATA, taskFixture } from './task-fixtures';

interface NerFixture {
  labels: string[];
  sentences: Array<{ tokens: string[]; tags: string[] }>;
  conllSentences: Array<{ tokens: string[]; tags: string[] }>;
  cases: Array<{ maxLength: number; labelAllTokens: boolean; rows: Array<{ inputIds: number[]; tokenTypeIds: number[]; wordIds: Array<number | null>; labels: number[] }> }>;
}

const ner = taskFixture<NerFixture>('ner.json');

function file(name: string, content: string): string {
  const target = path.join(tempDir(), name);
  writeFileSync(target, content);
  return target;
}

describe('CoNLL and JSONL tagging files', () => {
  it('reads CoNLL-2003 (-DOCSTART- skipped, blank lines between sentences, NER = last column) as datasets\' loader does', async () => {
    const sentences = await readConll(path.join(TASKDATA, 'ner', 'train.conll'));
    expect(sentences.map(({ tokens, tags }) => ({ tokens, tags }))).toEqual(ner.conllSentences);
    expect(sentences[0].source).toBe(`${path.join(TASKDATA, 'ner', 'train.conll')}:3`);
  });

  it('reads JSONL {tokens, ner_tags} and the label list run_ner builds (sorted distinct tags)', async () => {
    const sentences = await readTaggedJsonl(path.join(TASKDATA, 'ner', 'train.jsonl'));
    expect(sentences.map(({ tokens, tags }) => ({ tokens, tags }))).toEqual(ner.sentences);
    expect(tagLabelList(sentences)).toEqual(ner.labels);
  });

  it('chooses the tag column, reads integer tags through a label list, converts IOB1 and checks IOB2', async () => {
    const conll = file('pos.conll', 'EU NNP B-NP I-ORG\nrejects VBZ B-VP O\n\nPeter NNP B-NP I-PER\nBlackburn NNP I-NP I-PER\n');
    expect((await readConll(conll, { tagColumn: 1 }))[0].tags).toEqual(['NNP', 'VBZ']);
    expect((await readConll(conll, { tagColumn: -2 }))[1].tags).toEqual(['B-NP', 'I-NP']);
    expect((await readConll(conll, { scheme: 'IOB1' })).map((s) => s.tags)).toEqual([['B-ORG', 'O'], ['B-PER', 'I-PER']]);
    await expect(readConll(conll, { scheme: 'IOB2' })).rejects.toMatchObject({ code: 'ERR_BERTNODE_DATA_LABEL', line: 1 });
    const jsonl = file('ids.jsonl', '{"tokens": ["a", "b"], "tags": [1, 0]}\n');
    expect((await readTaggedJsonl(jsonl, { labels: ['O', 'B-X'] }))[0].tags).toEqual(['B-X', 'O']);
    await expect(readTaggedJsonl(jsonl)).rejects.toThrow(/pass labels to read integer tags/);
  });

  it('reports the file and line of a malformed line', async () => {
    const oneColumn = file('bad.conll', 'a O\nb O\n\nlonely\n');
    await expect(readConll(oneColumn)).rejects.toMatchObject({ code: 'ERR_BERTNODE_DATA_PARSE', line: 4, file: oneColumn });
    const counts = file('bad.jsonl', '{"tokens": ["a"], "tags": ["O"]}\n{"tokens": ["a", "b"], "tags": ["O"]}\n');
    await expect(readTaggedJsonl(counts)).rejects.toMatchObject({ line: 2, reason: '2 tokens but 1 tags' });
    await expect(readTaggedJsonl(file('broken.jsonl', '{"tokens": [\n'))).rejects.toMatchObject({ code: 'ERR_BERTNODE_DATA_PARSE', line: 1 });
    await expect(readConll(file('docstart.conll', '-DOCSTART- -X- O\n\n'))).rejects.toMatchObject({ code: 'ERR_BERTNODE_DATA_EMPTY' });
  });
});

describe('IOB schemes', () => {
  it('converts IOB1 to IOB2: an I- that opens an entity becomes B-', () => {
    expect(iob1ToIob2(['I-PER', 'I-PER', 'O', 'I-LOC', 'I-ORG', 'B-ORG', 'I-ORG'])).toEqual(['B-PER', 'I-PER', 'O', 'B-LOC', 'B-ORG', 'B-ORG', 'I-ORG']);
    expect(firstIob2Violation(['B-PER', 'I-PER', 'O'])).toBe(-1);
    expect(firstIob2Violation(['B-PER', 'I-LOC'])).toBe(1);
    expect(firstIob2Violation(['O', 'E-PER'])).toBe(1);
    expect(beginToInsideIds(['B-LOC', 'B-PER', 'I-PER', 'O'])).toEqual([0, 2, 2, 3]);
  });
});

describe('word → sub-token alignment vs run_ner\'s tokenize_and_align_labels (is_split_into_words)', () => {
  const tokenizer = fixtureTokenizer();

  it.each(ner.cases.map((c) => [c.maxLength, c.labelAllTokens, c] as const))('maxLength %i, labelAllTokens %s', (maxLength, labelAllTokens, c) => {
    const aligner = new TokenAligner(tokenizer, ner.labels, { maxLength, labelAllTokens });
    ner.sentences.forEach((sentence, i) => {
      const aligned = aligner.align(sentence);
      expect({ inputIds: aligned.inputIds, tokenTypeIds: aligned.tokenTypeIds, wordIds: aligned.wordIds, labels: aligned.labels }).toEqual(c.rows[i]);
      expect(aligned.attentionMask).toEqual(aligned.inputIds.map(() => 1));
    });
  });

  it('refuses a tag outside the label list and a maxLength without room', () => {
    const aligner = new TokenAligner(tokenizer, ['O']);
    expect(() => aligner.align({ tokens: ['a'], tags: ['B-PER'], source: 'f.conll:3' })).toThrow("f.conll:3: tag 'B-PER' is not in the label list [O]");
    expect(() => new TokenAligner(tokenizer, ['O'], { maxLength: 2 })).toThrow(/above the 2 special tokens/);
    expect(aligner.align({ tokens: ['a', 'b'] }).labels).toEqual([-100, -100, -100, -100]);
  });
});
