// The native engine: the typed NativeBert model and the backend loader.
export { NativeBert } from './native-bert';
export type {
  Batch, BertConfig, Device, Precision, ForwardOptions, ForwardResult, Head, MaskBatch, NativeBertOptions, OptimizerHyper,
  OptimizerState, PrefixOptions, StepHyper,
} from './native-bert';
export { cpuKernelFamily, loadBackend } from './addon';
