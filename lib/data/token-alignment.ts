// Word → sub-token alignment for token classification, as transformers' run_ner does it: the words are encoded
// as a pre-tokenized input (each word normalised, split and WordPiece'd on its own, so a word never merges with
// its neighbour and every piece knows its word), truncated to maxLength, wrapped in [CLS] … [SEP]; the first piece
// of each word carries the word's label, the other pieces −100 (ignored by the loss) or, with labelAllTokens, the
// word's label with B-X turned into I-X. Special tokens get −100.

import { DataFormatError, ValidationError } from '../errors';
import type { BertTokenizer } from '../tokenizer';
import { addedTokenCount } from '../tokenizer/postProcessor';
import { beginToInsideIds } from './iob';
import { fillTemplate } from './template';

// The label of positions the loss ignores (PyTorch's CrossEntropyLoss ignore_index).
export const IGNORE_INDEX = -100;

export interface AlignedSentence {
  inputIds: number[];
  tokenTypeIds: number[];
  attentionMask: number[];
  // Per position: the label id, or IGNORE_INDEX.
  labels: number[];
  // Per position: the index of the word the piece came from, null for special tokens (Hugging Face's word_ids()).
  wordIds: Array<number | null>;
}

export interface AlignOptions {
  // Longest encoding, special tokens included (run_ner: max_seq_length, else the model's 512). Words past it are
  // cut off, as run_ner's truncation does.
  maxLength?: number;
  labelAllTokens?: boolean;
}

export interface AlignInput {
  tokens: readonly string[];
  // Word tags; absent for unlabelled text (every label is then IGNORE_INDEX).
  tags?: readonly string[];
  // Where the sentence came from, for errors ("<file>:<line>").
  source?: string;
}

export class TokenAligner {
  private readonly labelIds: Map<string, number>;
  private readonly insideIds: number[];
  private readonly maxLength: number;
  private readonly labelAllTokens: boolean;

  // `labels`: the label list (index = label id), e.g. from tagLabelList or the model's id2label.
  constructor(private readonly tokenizer: BertTokenizer, readonly labels: readonly string[], options: AlignOptions = {}) {
    this.labelIds = new Map(labels.map((label, id) => [label, id]));
    if (this.labelIds.size !== labels.length) throw new ValidationError(`the label list [${labels.join(', ')}] repeats a label`);
    this.insideIds = beginToInsideIds(labels);
    this.maxLength = options.maxLength ?? 512;
    this.labelAllTokens = options.labelAllTokens ?? false;
    const added = addedTokenCount(tokenizer.config.template.single);
    if (!Number.isInteger(this.maxLength) || this.maxLength <= added) {
      throw new ValidationError(`maxLength must be an integer above the ${added} special tokens, got ${this.maxLength}`);
    }
  }

  align(sentence: AlignInput): AlignedSentence {
    const { tokens, tags } = sentence;
    if (tags !== undefined && tags.length !== tokens.length) {
      throw new DataFormatError('ERR_BERTNODE_DATA_PARSE', sentence.source ?? 'sentence', `${tokens.length} words but ${tags.length} tags`);
    }
    const template = this.tokenizer.config.template.single;
    const budget = this.maxLength - addedTokenCount(template);
    const pieces: number[] = [];
    const pieceWords: number[] = [];
    for (let w = 0; w < tokens.length && pieces.length < budget; w++) {
      for (const id of this.tokenizer.encode(tokens[w], undefined, { addSpecialTokens: false }).inputIds) {
        if (pieces.length === budget) break;
        pieces.push(id);
        pieceWords.push(w);
      }
    }
    const row = fillTemplate(template, pieces);
    const wordIds = row.pieceIndex.map((p) => (p === -1 ? null : pieceWords[p]));
    const labels = wordIds.map((word, position) => {
      if (word === null || tags === undefined) return IGNORE_INDEX;
      const id = this.labelId(tags[word], sentence.source);
      if (position === 0 || wordIds[position - 1] !== word) return id;
      return this.labelAllTokens ? this.insideIds[id] : IGNORE_INDEX;
    });
    return { inputIds: row.inputIds, tokenTypeIds: row.tokenTypeIds, attentionMask: row.inputIds.map(() => 1), labels, wordIds };
  }

  private labelId(tag: string, source: string | undefined): number {
    const id = this.labelIds.get(tag);
    if (id === undefined) {
      throw new DataFormatError('ERR_BERTNODE_DATA_LABEL', source ?? 'sentence', `tag '${tag}' is not in the label list [${this.labels.join(', ')}]`);
    }
    return id;
  }
}
