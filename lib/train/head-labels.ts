// Class names are matched by name, never by position. A model with a trained head knows its classes (config.json's
// id2label); `labels` given for it must name the same classes, in any order: the head's rows are then put in the
// order given. A head whose classes have only transformers' placeholder names (LABEL_0, LABEL_1, ...) can be
// named, one name per row. Anything else is a LabelMismatchError naming both lists.

import { LabelMismatchError } from '../errors';

const PLACEHOLDER = /^LABEL_\d+$/;

// Reorders (in place) the rows of the head's tensors from `modelLabels` to `labels` order; returns the labels.
export function matchHeadLabels(
  modelLabels: readonly string[], labels: readonly string[] | undefined, tensors: Map<string, Float32Array>,
): string[] {
  if (!labels) return [...modelLabels];
  if (modelLabels.every((l) => PLACEHOLDER.test(l))) {
    if (labels.length !== modelLabels.length) {
      throw new LabelMismatchError(`the model's head has ${modelLabels.length} unnamed classes, ${labels.length} names were given`, labels, modelLabels);
    }
    return [...labels];
  }
  const order = labels.map((l) => modelLabels.indexOf(l));
  if (labels.length !== modelLabels.length || order.includes(-1)) {
    throw new LabelMismatchError("the labels given are not the classes of the model's trained head (matched by name)", labels, modelLabels);
  }
  for (const name of ['classifier.weight', 'classifier.bias']) {
    const rows = tensors.get(name);
    if (!rows) continue;
    const width = rows.length / modelLabels.length;
    const reordered = new Float32Array(rows.length);
    order.forEach((from, to) => reordered.set(rows.subarray(from * width, (from + 1) * width), to * width));
    tensors.set(name, reordered);
  }
  return [...labels];
}

// Index of each of `dataLabels` in `labels`, by name; a data class the model does not have is a LabelMismatchError.
export function labelMapping(dataLabels: readonly string[], labels: readonly string[], what: string): number[] {
  const mapping = dataLabels.map((l) => labels.indexOf(l));
  if (mapping.includes(-1)) {
    throw new LabelMismatchError(`${what}'s classes are not all among the classifier's labels (matched by name)`, dataLabels, labels);
  }
  return mapping;
}
