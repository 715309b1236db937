#!/usr/bin/env python3
"""Writes the golden fixtures of every task head (test/fixtures/golden/heads/), judged by test/native/heads.test.ts.

One tiny random BERT (2 layers, hidden 64, 4 attention heads, vocabulary 64) under each Hugging Face head class:
  seq_multi_label   BertForSequenceClassification, problem_type multi_label_classification (BCE with logits)
  seq_regression    BertForSequenceClassification, problem_type regression, num_labels 1 (MSE)
  token             BertForTokenClassification (label -100 ignored)
  qa                BertForQuestionAnswering (positions clamped to [0, T]; T ignored, as transformers does)
  multiple_choice   BertForMultipleChoice (3 choices)
  masked_lm         BertForMaskedLM (decoder tied to the word embeddings; -100 ignored)
  pretraining       BertForPreTraining (masked LM + next-sentence prediction)
  embedding_mean    BertModel -> mean over the mask -> L2 normalisation (sentence-transformers' recipe)
  embedding_cls     BertModel -> the [CLS] row
(Single-label sequence classification is generate_golden.py's.)

Per trainable fixture: the labels in the native layout (lib/native/addon.ts), the model's own outputs and loss
(transformers computes the loss from the labels), every parameter gradient (tied embeddings: the word table's
gradient holds both uses), and the parameters after 3 AdamW steps (clip_grad_norm_ before each, weight decay on all
but biases and LayerNorm weights, a different batch per step). Everything trains (embeddings included) so every
gradient is checked. Dropout is 0, so every number is deterministic. Parameters are drawn wider than BERT's
initialiser so every gradient term is far from zero.

Format (version 1, as generate_golden.py): manifest.json {tensors: {key: {dtype, shape, offset}}, fixtures: [...]}
plus heads.bin.

Run: /work/pyenv/bin/python scripts/golden/generate_heads.py
"""
import json
import os
import sys

import numpy as np
import torch
import transformers
from torch import nn
from transformers import (BertConfig, BertForMaskedLM, BertForMultipleChoice, BertForPreTraining,
                          BertForQuestionAnswering, BertForSequenceClassification, BertForTokenClassification,
                          BertModel)

sys.path.insert(0, os.path.dirname(__file__))
from generate_golden import Writer, no_decay, random_parameters  # noqa: E402

OUT_DIR = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'golden', 'heads')
SEED = 20261203
BASE = dict(vocab_size=64, hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
            max_position_embeddings=32, type_vocab_size=2, layer_norm_eps=1e-12, hidden_dropout_prob=0.0,
            attention_probs_dropout_prob=0.0, classifier_dropout=None, hidden_act='gelu')
HYPER = dict(lr=1e-2, beta1=0.9, beta2=0.999, eps=1e-6, weightDecay=0.01, maxGradNorm=0.5)
# Rows and sequence length of the three steps' batches (multiple choice: examples; each has NUM_CHOICES rows).
SHAPES = [(3, 8, [8, 5, 3]), (2, 6, [6, 4]), (4, 5, [5, 5, 2, 1])]
NUM_CHOICES = 3


def inputs(gen, rows, seq_len, lengths):
    ids = torch.randint(1, BASE['vocab_size'], (rows, seq_len), generator=gen)
    mask = torch.zeros(rows, seq_len, dtype=torch.int64)
    types = torch.zeros(rows, seq_len, dtype=torch.int64)
    for b, length in enumerate(lengths):
        mask[b, :length] = 1
        types[b, length // 2:length] = 1
        ids[b, length:] = 0
    return ids, mask, types


def masked_lm_labels(gen, ids, mask):
    """The original ids at ~40% of the real tokens (at least one per batch), -100 elsewhere."""
    pick = (torch.rand(ids.shape, generator=gen) < 0.4) & (mask == 1)
    pick[0, 1] = True
    return torch.where(pick, ids, torch.full_like(ids, -100))


# Each head: HF class, config overrides, native options, and how to make a batch's labels.
def seq_labels(kind):
    def make(gen, ids, mask, cfg):
        B = ids.shape[0]
        if kind == 'multi':
            y = (torch.rand(B, cfg.num_labels, generator=gen) < 0.5).float()
        else:
            y = torch.randn(B, cfg.num_labels, generator=gen)
        return dict(labels=y), y.numpy().astype(np.float32)
    return make


def token_labels(gen, ids, mask, cfg):
    y = torch.randint(0, cfg.num_labels, ids.shape, generator=gen)
    y = torch.where(mask == 1, y, torch.full_like(y, -100))
    y[:, 0] = -100  # [CLS]
    return dict(labels=y), y.numpy().astype(np.int32)


def qa_labels(gen, ids, mask, cfg):
    B, T = ids.shape
    start = torch.randint(0, T, (B,), generator=gen)
    end = torch.randint(0, T, (B,), generator=gen)
    if B >= 3:  # one position past the sequence (clamped to T, ignored) and one negative (clamped to 0)
        start[1] = T + 5
        end[2] = -3
    native = torch.stack([start, end], dim=1)
    return dict(start_positions=start, end_positions=end), native.numpy().astype(np.int32)


def mc_labels(gen, ids, mask, cfg):
    y = torch.randint(0, NUM_CHOICES, (ids.shape[0] // NUM_CHOICES,), generator=gen)
    return dict(labels=y), y.numpy().astype(np.int32)


def mlm_labels(gen, ids, mask, cfg):
    y = masked_lm_labels(gen, ids, mask)
    return dict(labels=y), y.numpy().astype(np.int32)


def pretraining_labels(gen, ids, mask, cfg):
    y = masked_lm_labels(gen, ids, mask)
    nsp = torch.randint(0, 2, (ids.shape[0],), generator=gen)
    native = np.concatenate([y.numpy().reshape(-1), nsp.numpy()]).astype(np.int32)
    return dict(labels=y, next_sentence_label=nsp), native


HEADS = [
    ('seq_multi_label', BertForSequenceClassification,
     dict(num_labels=4, problem_type='multi_label_classification'),
     dict(head='pooler', problemType='multi_label_classification'), seq_labels('multi'), ['logits']),
    ('seq_regression', BertForSequenceClassification, dict(num_labels=1, problem_type='regression'),
     dict(head='pooler', problemType='regression'), seq_labels('regression'), ['logits']),
    ('token', BertForTokenClassification, dict(num_labels=5), dict(head='token-classification'), token_labels,
     ['logits']),
    ('qa', BertForQuestionAnswering, dict(num_labels=2), dict(head='question-answering'), qa_labels,
     ['start_logits', 'end_logits']),
    ('multiple_choice', BertForMultipleChoice, dict(num_labels=2),
     dict(head='multiple-choice', numChoices=NUM_CHOICES), mc_labels, ['logits']),
    ('masked_lm', BertForMaskedLM, dict(num_labels=2), dict(head='masked-lm'), mlm_labels, ['logits']),
    ('pretraining', BertForPreTraining, dict(num_labels=2), dict(head='pretraining'), pretraining_labels,
     ['prediction_logits', 'seq_relationship_logits']),
]
# transformers' output name -> the native result's.
NATIVE_OUTPUT = dict(logits='logits', start_logits='startLogits', end_logits='endLogits',
                     prediction_logits='logits', seq_relationship_logits='seqRelationshipLogits')


def native_config(cfg):
    return dict(vocabSize=cfg.vocab_size, hiddenSize=cfg.hidden_size, numHiddenLayers=cfg.num_hidden_layers,
                numAttentionHeads=cfg.num_attention_heads, intermediateSize=cfg.intermediate_size,
                maxPositionEmbeddings=cfg.max_position_embeddings, typeVocabSize=cfg.type_vocab_size,
                layerNormEps=cfg.layer_norm_eps, hiddenDropoutProb=cfg.hidden_dropout_prob,
                attentionProbsDropoutProb=cfg.attention_probs_dropout_prob,
                classifierDropout=cfg.classifier_dropout, numLabels=cfg.num_labels)


def make_config(**overrides):
    cfg = BertConfig(**{**BASE, **overrides}, attn_implementation='eager')
    cfg._attn_implementation = 'eager'
    return cfg


def unique_parameters(model):
    """named_parameters without the tied duplicates (the decoder weight is the word table)."""
    return list(model.named_parameters(remove_duplicate=True))


def model_inputs(ids, mask, types, multiple_choice):
    if multiple_choice:  # [B*C, T] rows -> [B, C, T]
        shape = (ids.shape[0] // NUM_CHOICES, NUM_CHOICES, ids.shape[1])
        return dict(input_ids=ids.view(shape), attention_mask=mask.view(shape), token_type_ids=types.view(shape))
    return dict(input_ids=ids, attention_mask=mask, token_type_ids=types)


def run_head(w, gen, name, cls, overrides, options, make_labels, outputs):
    cfg = make_config(**overrides)
    torch.manual_seed(SEED)
    model = cls(cfg)
    named = unique_parameters(model)
    params = random_parameters(gen, [(n, tuple(p.shape)) for n, p in named])
    with torch.no_grad():
        for n, p in named:
            p.copy_(params[n])
    multiple_choice = cls is BertForMultipleChoice
    batches = []
    for i, (rows, seq, lengths) in enumerate(SHAPES):
        rows = rows * NUM_CHOICES if multiple_choice else rows
        lengths = [lengths[r % len(lengths)] for r in range(rows)]
        ids, mask, types = inputs(gen, rows, seq, lengths)
        hf_labels, native_labels = make_labels(gen, ids, mask, cfg)
        batches.append((ids, mask, types, hf_labels, native_labels))

    prefix = name + '/'
    record = dict(name=name, options=options, config=native_config(cfg),
                  parameters={n: w.add(f'{prefix}init.{n}', params[n].numpy()) for n, _ in named})
    record['batches'] = [dict(batchSize=int(ids.shape[0]), seqLen=int(ids.shape[1]),
                              inputIds=w.add(f'{prefix}batch{i}.inputIds', ids.numpy()),
                              attentionMask=w.add(f'{prefix}batch{i}.attentionMask', mask.numpy()),
                              tokenTypeIds=w.add(f'{prefix}batch{i}.tokenTypeIds', types.numpy()),
                              labels=w.add(f'{prefix}batch{i}.labels', native_labels))
                         for i, (ids, mask, types, _, native_labels) in enumerate(batches)]

    ids, mask, types, hf_labels, _ = batches[0]
    model.eval()
    with torch.no_grad():
        out = model(**model_inputs(ids, mask, types, multiple_choice), **hf_labels)
    record['outputs'] = {NATIVE_OUTPUT[o]: w.add(f'{prefix}out.{o}', getattr(out, o).numpy()) for o in outputs}
    record['loss'] = float(out.loss)

    model.train()
    out = model(**model_inputs(ids, mask, types, multiple_choice), **hf_labels)
    out.loss.backward()
    record['gradients'] = {n: w.add(f'{prefix}grad.{n}', p.grad.numpy()) for n, p in named}
    model.zero_grad(set_to_none=True)

    decay = [p for n, p in named if not no_decay(n)]
    nodecay = [p for n, p in named if no_decay(n)]
    optimizer = torch.optim.AdamW([dict(params=decay, weight_decay=HYPER['weightDecay']),
                                   dict(params=nodecay, weight_decay=0.0)],
                                  lr=HYPER['lr'], betas=(HYPER['beta1'], HYPER['beta2']), eps=HYPER['eps'])
    steps = []
    for ids, mask, types, hf_labels, _ in batches:
        optimizer.zero_grad(set_to_none=True)
        loss = model(**model_inputs(ids, mask, types, multiple_choice), **hf_labels).loss
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_([p for _, p in named], HYPER['maxGradNorm'])
        optimizer.step()
        steps.append(dict(loss=loss.item(), gradNorm=norm.item()))
    if not any(s['gradNorm'] > HYPER['maxGradNorm'] for s in steps):
        raise RuntimeError(f'{name}: clipping never engaged; lower maxGradNorm')
    record['steps'] = steps
    record['paramsAfterSteps'] = {n: w.add(f'{prefix}after.{n}', p.detach().numpy()) for n, p in named}
    return record


def run_embedding(w, gen, name, pooling, normalize):
    """sentence-transformers' Pooling (+ Normalize) on BertModel's last hidden state; inference only."""
    cfg = make_config(num_labels=2)
    torch.manual_seed(SEED)
    model = BertModel(cfg, add_pooling_layer=False).eval()
    named = [(f'bert.{n}', p) for n, p in model.named_parameters()]
    params = random_parameters(gen, [(n, tuple(p.shape)) for n, p in named])
    with torch.no_grad():
        for n, p in named:
            p.copy_(params[n])
    rows, seq, lengths = SHAPES[0]
    ids, mask, types = inputs(gen, rows, seq, lengths)
    with torch.no_grad():
        hidden = model(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state
    if pooling == 'mean':
        weights = mask.unsqueeze(-1).float()
        pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
    else:
        pooled = hidden[:, 0]
    if normalize:
        pooled = nn.functional.normalize(pooled, p=2, dim=1)
    prefix = name + '/'
    return dict(name=name, options=dict(head='embedding', pooling=pooling, normalize=normalize),
                config=native_config(cfg),
                parameters={n: w.add(f'{prefix}init.{n}', params[n].numpy()) for n, _ in named},
                batches=[dict(batchSize=rows, seqLen=seq, inputIds=w.add(f'{prefix}batch0.inputIds', ids.numpy()),
                              attentionMask=w.add(f'{prefix}batch0.attentionMask', mask.numpy()),
                              tokenTypeIds=w.add(f'{prefix}batch0.tokenTypeIds', types.numpy()))],
                outputs=dict(embeddings=w.add(f'{prefix}out.embeddings', pooled.numpy())))


def main():
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(SEED)
    w = Writer()
    fixtures = [run_head(w, gen, *spec) for spec in HEADS]
    fixtures.append(run_embedding(w, gen, 'embedding_mean', 'mean', True))
    fixtures.append(run_embedding(w, gen, 'embedding_cls', 'cls', False))
    manifest = dict(version=1, generator='scripts/golden/generate_heads.py', torch=torch.__version__,
                    transformers=transformers.__version__, numpy=np.__version__, seed=SEED, hyper=HYPER,
                    fixtures=fixtures, tensors=w.tensors)
    os.makedirs(OUT_DIR, exist_ok=True)
    with open(os.path.join(OUT_DIR, 'heads.bin'), 'wb') as f:
        for chunk in w.chunks:
            f.write(chunk)
    with open(os.path.join(OUT_DIR, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, separators=(',', ':'))
        f.write('\n')
    print(f'wrote {w.offset} bytes, fixtures: ' + ', '.join(
        f"{r['name']} (loss {r.get('loss', float('nan')):.5f})" for r in fixtures), file=sys.stderr)


if __name__ == '__main__':
    main()
