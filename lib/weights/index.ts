// Weights and configs: reading every checkpoint layout BERT ships in, writing the Hugging Face layout.
export type { BertConfig, ModelConfig } from './config';
export { parseConfig, readConfig, toHfConfig } from './config';
export type { DType } from './dtype';
export type { LoadedModel, LoadOptions } from './load';
export { findWeightsFile, loadModel, loadTensors, readCheckpoint, WEIGHT_FILES } from './load';
export type { MappedName, NameMappingOptions } from './names';
export { canonicalShapes, isOptionalTensor, mapName } from './names';
export { ALLOWED_GLOBALS } from './pickle';
export type { NamedTensor, SafetensorsFile } from './safetensors';
export { readSafetensors, readShardedSafetensors, writeSafetensors } from './safetensors';
export type { SaveOptions } from './save';
export { saveModel } from './save';
export type { TensorRef } from './tensor';
export { readPytorchBin } from './torch';
