// pipeline(): transformers.js-style inference on the native engine. `await pipeline(task, modelDirOrId, options)`
// loads the model (a local folder, or a hub id through lib/hub's cache) and returns a function to call with the
// task's inputs; results have the shapes transformers.js returns, computed as transformers' Python pipelines
// compute them (test/pipeline compares both on golden cases).

import { DisposedError } from '../errors';
import type { NativeBert } from '../native';
import type { BertTokenizer } from '../tokenizer';
import { checkOptions, integer, ofType, oneOf, type OptionCheck } from '../train/option-check';
import { extractFeatures, type FeatureExtractionOptions, type Features } from './feature-extraction';
import { fillMask, type FillMaskOptions, type FillMaskPrediction } from './fill-mask';
import { loadPipelineModel, type LoadPipelineOptions, type PipelineModel } from './load';
import { answerQuestions, type Answer, type QuestionAnsweringOptions } from './question-answering';
import { classifyTexts, type LabelScore, type TextClassificationInput, type TextClassificationOptions } from './text-classification';
import { classifyTokens, type EntityGroup, type TokenClassificationOptions, type TokenEntity } from './token-classification';
import { classifyZeroShot, type ZeroShotOptions, type ZeroShotResult } from './zero-shot-classification';

export { PipelineArchitectureError } from './load';
export type {
  Answer, EntityGroup, FeatureExtractionOptions, Features, FillMaskOptions, FillMaskPrediction, LabelScore, QuestionAnsweringOptions,
  TextClassificationInput, TextClassificationOptions, TokenClassificationOptions, TokenEntity, ZeroShotOptions, ZeroShotResult,
};
export type { AggregationStrategy } from './token-classification';

export interface PipelineOptions extends LoadPipelineOptions {
  /** Inputs (or QA windows, or zero-shot text-label pairs) per engine call (default 8). */
  batchSize?: number;
}

/** What every pipeline has besides being callable. */
export interface PipelineHandle {
  readonly task: Task;
  readonly model: NativeBert;
  readonly tokenizer: BertTokenizer;
  /** id2label of the model's head (empty for fill-mask and feature extraction). */
  readonly labels: readonly string[];
  /** Frees the native model; later calls reject with a DisposedError. Safe twice. */
  dispose(): void;
}

export type TextClassificationPipeline = PipelineHandle & {
  (input: TextClassificationInput | readonly TextClassificationInput[], options?: TextClassificationOptions): Promise<LabelScore[] | LabelScore[][]>;
};
export type TokenClassificationPipeline = PipelineHandle & {
  (input: string | readonly string[], options?: TokenClassificationOptions): Promise<Array<TokenEntity | EntityGroup> | Array<Array<TokenEntity | EntityGroup>>>;
};
export type QuestionAnsweringPipeline = PipelineHandle & {
  (question: string | readonly string[], context: string | readonly string[], options?: QuestionAnsweringOptions): Promise<Answer | Answer[] | Array<Answer | Answer[]>>;
};
export type FillMaskPipeline = PipelineHandle & {
  (input: string | readonly string[], options?: FillMaskOptions): Promise<FillMaskPrediction[] | FillMaskPrediction[][] | Array<FillMaskPrediction[] | FillMaskPrediction[][]>>;
};
export type FeatureExtractionPipeline = PipelineHandle & {
  (input: string | readonly string[], options?: FeatureExtractionOptions): Promise<Features>;
};
export type ZeroShotClassificationPipeline = PipelineHandle & {
  (input: string | readonly string[], candidateLabels: string | readonly string[], options?: ZeroShotOptions): Promise<ZeroShotResult | ZeroShotResult[]>;
};

/** The callable `pipeline(task)` returns, per task name (aliases included). */
export interface PipelineTypes {
  'text-classification': TextClassificationPipeline;
  'sentiment-analysis': TextClassificationPipeline;
  'token-classification': TokenClassificationPipeline;
  ner: TokenClassificationPipeline;
  'question-answering': QuestionAnsweringPipeline;
  'fill-mask': FillMaskPipeline;
  'feature-extraction': FeatureExtractionPipeline;
  embeddings: FeatureExtractionPipeline;
  'zero-shot-classification': ZeroShotClassificationPipeline;
}

export type Task = keyof PipelineTypes;

const ALIASES: Partial<Record<Task, Task>> = { 'sentiment-analysis': 'text-classification', ner: 'token-classification', embeddings: 'feature-extraction' };

// The transformers classes each task runs.
const ARCHITECTURES_OF: Record<string, readonly string[]> = {
  'text-classification': ['BertForSequenceClassification'],
  'token-classification': ['BertForTokenClassification'],
  'question-answering': ['BertForQuestionAnswering'],
  'fill-mask': ['BertForMaskedLM', 'BertForPreTraining'],
  'feature-extraction': ['BertModel'],
  'zero-shot-classification': ['BertForSequenceClassification'],
};

const TASKS = Object.keys({
  'text-classification': 0, 'sentiment-analysis': 0, 'token-classification': 0, ner: 0, 'question-answering': 0,
  'fill-mask': 0, 'feature-extraction': 0, embeddings: 0, 'zero-shot-classification': 0,
} satisfies Record<Task, 0>) as Task[];

// 'cpu' (default), 'cuda', 'cuda:N', or 'auto' (CUDA when usable, else the CPU with a warning).
const deviceCheck: OptionCheck = (value, name) => {
  if (typeof value === 'string' && /^cuda:\d+$/.test(value)) return;
  oneOf('cpu', 'cuda', 'auto')(value, name);
};
const PIPELINE_OPTIONS = { batchSize: integer(1), device: deviceCheck, hub: ofType('object') };

/**
 * Loads a model for a task and returns the function that runs it, e.g.
 * `const classify = await pipeline('sentiment-analysis', './my-model'); await classify('great film')`.
 * An unknown task is an OptionValueError naming the closest task; a model whose config.json `architectures` does
 * not fit the task is a PipelineArchitectureError.
 */
export async function pipeline<T extends Task>(task: T, modelDirOrId: string, options: PipelineOptions = {}): Promise<PipelineTypes[T]> {
  oneOf(...TASKS)(task, 'task');
  checkOptions('pipeline', options, PIPELINE_OPTIONS);
  const canonical = ALIASES[task] ?? task;
  const batchSize = options.batchSize ?? 8;
  const loaded = await loadPipelineModel(canonical, modelDirOrId, ARCHITECTURES_OF[canonical],
    canonical === 'feature-extraction' ? { pooling: 'mean', normalize: false } : {}, options);
  const run = runner(canonical, loaded, batchSize);
  const call = (...args: unknown[]): Promise<unknown> => {
    if (loaded.model.isDisposed) return Promise.reject(new DisposedError(`this ${canonical} pipeline has been disposed`));
    return run(...args);
  };
  const labelled = canonical === 'text-classification' || canonical === 'token-classification' || canonical === 'zero-shot-classification';
  const handle: PipelineHandle = {
    task: canonical,
    model: loaded.model,
    tokenizer: loaded.tokenizer,
    labels: labelled ? loaded.labels : [],
    dispose: () => loaded.model.dispose(),
  };
  return Object.assign(call, handle) as unknown as PipelineTypes[T];
}

// The task's call, with the arguments it takes.
function runner(task: Task, loaded: PipelineModel, batchSize: number): (...args: unknown[]) => Promise<unknown> {
  switch (task) {
    case 'text-classification':
      return (input, options) => classifyTexts(loaded, batchSize, input as TextClassificationInput, options as TextClassificationOptions);
    case 'token-classification':
      return (input, options) => classifyTokens(loaded, batchSize, input as string, options as TokenClassificationOptions);
    case 'question-answering':
      return (question, context, options) => answerQuestions(loaded, batchSize, question as string, context as string, options as QuestionAnsweringOptions);
    case 'fill-mask':
      return (input, options) => fillMask(loaded, batchSize, input as string, options as FillMaskOptions);
    case 'feature-extraction':
      return (input, options) => extractFeatures(loaded, batchSize, input as string, (options ?? {}) as FeatureExtractionOptions);
    default:
      return (input, labels, options) => classifyZeroShot(loaded, batchSize, input as string, labels as string[], options as ZeroShotOptions);
  }
}
