#!/usr/bin/env python3
"""Checks a bertnode ONNX export with the Python onnx and onnxruntime packages (optional; `npm test` does not need it).

  python scripts/onnx-reference-check.py <exported folder>

onnx.checker validates both files; onnxruntime runs model.onnx, bertnode's model_quantized.onnx and the file
onnxruntime's own quantize_dynamic (default settings) makes from model.onnx, on the same random padded batch, and
prints how far each int8 model is from fp32.
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
    with tempfile.TemporaryDirectory() as tmp:
        theirs_file = os.path.join(tmp, 'ort_quantized.onnx')
        quantize_dynamic(fp32_file, theirs_file, weight_type=QuantType.QInt8)
        fp32, ours, theirs = run(fp32_file), run(ours_file), run(theirs_file)
    print(f'onnx.checker: both files valid; largest |logit| {np.abs(fp32).max():.4g}')
    print(f'bertnode int8 vs fp32: max |diff| {np.abs(ours - fp32).max():.4g}')
    print(f'onnxruntime quantize_dynamic int8 vs fp32: max |diff| {np.abs(theirs - fp32).max():.4g}')


if __name__ == '__main__':
    main(sys.argv[1])
