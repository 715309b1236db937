// The native engine: the typed NativeBert model and the backend loader.
export { NativeBert } from './native-bert';
export type {
  Batch, BertConfig, Device, Precision, ForwardOptions, ForwardResult, Head, Labels, MaskBatch, NativeBertOptions,
  OptimizerHyper, OptimizerState, PrefixOptions, ProblemType, StepHyper,
} from './native-bert';
export type { RawHeadOptions as HeadOptions, RawParameterInfo as ParameterInfo } from './addon';
export { cpuKernelFamily, loadBackend, parameterCatalogue } from './addon';
