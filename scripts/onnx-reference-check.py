#!/usr/bin/env python3
"""Checks a bertnode ONNX export with the Python onnx and onnxruntime packages (optional; `npm test` does not need it).

  python scripts/onnx-reference-check.py <exported folder>

onnx.checker validates both files; onnxruntime runs model.onnx, bertnode's model_quantized.onnx and the files
onnxruntime's own quantize_dynamic makes from model.onnx (with bertnode's settings, per_channel and reduce_range, and
with its defaults), on the same random padded batch, and prints how far each int8 model is from fp32.
"""
import os
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnxruntime.quantization import QuantType, quantize_dynamic


def main(folder: str) -> None:
    fp32_file = os.path.join(folder, 'onnx', 'model.onnx')
    ours_file = os.path.join(folder, 'onnx', 'model_quantized.onnx')
    for f in (fp32_file, ours_file):
        onnx.checker.check_model(onnx.load(f))
    vocab = onnx.load(fp32_file).graph.initializer
    vocab_size = next(t.dims[0] for t in vocab if t.name == 'bert.embeddings.word_embeddings.weight')
    rng = np.random.default_rng(0)
    ids = rng.integers(5, vocab_size, size=(16, 12))
    mask = np.ones_like(ids)
    mask[::3, 8:] = 0
    feeds = {'input_ids': ids.astype(np.int64), 'attention_mask': mask.astype(np.int64),
             'token_type_ids': np.zeros_like(ids, dtype=np.int64)}
    run = lambda f: ort.InferenceSession(f, providers=['CPUExecutionProvider']).run(None, feeds)[0]
    fp32 = run(fp32_file)
    print(f'onnx.checker: both files valid; largest |logit| {np.abs(fp32).max():.4g}')
    print(f'bertnode int8 vs fp32: max |diff| {np.abs(run(ours_file) - fp32).max():.4g}')
    with tempfile.TemporaryDirectory() as tmp:
        for label, per_channel in (('per_channel, reduce_range', True), ('defaults', False)):
            theirs_file = os.path.join(tmp, 'ort_quantized.onnx')
            quantize_dynamic(fp32_file, theirs_file, weight_type=QuantType.QInt8, per_channel=per_channel,
                             reduce_range=per_channel)
            print(f'onnxruntime quantize_dynamic ({label}) vs fp32: max |diff| {np.abs(run(theirs_file) - fp32).max():.4g}')


if __name__ == '__main__':
    main(sys.argv[1])
