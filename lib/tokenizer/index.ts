// The BERT tokenizer: ids identical to Hugging Face's (fast) BertTokenizer, see bertTokenizer.ts.

export {
  BertTokenizer, type DecodeOptions, type EncodeOptions, type Encoding, type ResolvedEncodeOptions, type TextInput,
} from './bertTokenizer';
export type { JsonTokenizerOptions, TokenizerConfig, VocabTokenizerOptions } from './config';
export type { TruncationStrategy } from './truncation';
export { TokenizerPool, type PoolOptions } from './workerPool';
