#!/usr/bin/env python3
"""Writes the golden fixtures the native engine is judged against (test/fixtures/golden/).

Small random BERTs run through PyTorch + Hugging Face `transformers`:
  * 'pooler' head: transformers' BertForSequenceClassification (tanh pooler, then the classifier);
  * 'cls' head: BertModel's last_hidden_state[:, 0] -> nn.Linear (the classic fine-tuning recipe).
Both start from the same random parameters (the 'cls' model's pooler is present but unused), so they are stored once.

Per fixture: inputs, embeddings output, every layer's hidden states and attention probabilities, logits, loss,
every parameter gradient, and the parameters after 3 AdamW steps (clip_grad_norm_ before each step, weight decay on
all but biases and LayerNorm weights, a different batch per step). The 'cls_frozen' fixture trains only the last
encoder layer + the head, as the classic recipe does: only those parameters have gradients and change.

Dropout is 0 so every number is deterministic; the forward is in eval mode and the backward in train mode (the same
function with dropout 0). Parameters are drawn wider than BERT's 0.02 initialiser (and LayerNorm weights/biases are
randomised) so that every term of every gradient is far from zero and a wrong formula shows.

Format (version 1): manifest.json holds `tensors` {key: {dtype: 'f32'|'i32', shape, offset}} where offset counts
bytes into golden.bin (little-endian, no padding), plus `fixtures` describing each case by tensor keys.

Run: /work/pyenv/bin/python scripts/golden/generate_golden.py
"""
import json
import os
import sys

import numpy as np
import torch
import transformers
from torch import nn
from transformers import BertConfig, BertForSequenceClassification, BertModel

OUT_DIR = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'golden')
FORMAT_VERSION = 1
SEED = 20241124

CONFIG = dict(
    vocab_size=64,
    hidden_size=64,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=128,
    max_position_embeddings=32,
    type_vocab_size=2,
    layer_norm_eps=1e-12,
    hidden_dropout_prob=0.0,
    attention_probs_dropout_prob=0.0,
    classifier_dropout=None,
    num_labels=3,
    hidden_act='gelu',
)
HYPER = dict(lr=1e-2, beta1=0.9, beta2=0.999, eps=1e-6, weightDecay=0.01, maxGradNorm=0.5)
NUM_STEPS = 3


class Writer:
    """Collects tensors into one little-endian blob and a key -> (dtype, shape, offset) table."""

    def __init__(self):
        self.chunks = []
        self.offset = 0
        self.tensors = {}

    def add(self, key, array):
        array = np.asarray(array)
        if array.dtype.kind == 'f':
            array, dtype = array.astype('<f4'), 'f32'
        else:
            array, dtype = array.astype('<i4'), 'i32'
        if key in self.tensors:
            raise KeyError(f'duplicate tensor key {key}')
        data = np.ascontiguousarray(array).tobytes()
        self.tensors[key] = dict(dtype=dtype, shape=list(array.shape), offset=self.offset)
        self.chunks.append(data)
        self.offset += len(data)
        return key


def make_batch(gen, batch_size, seq_len, lengths):
    """Random ids (no special tokens needed), padding past each length, token type 1 on the second half."""
    ids = torch.randint(1, CONFIG['vocab_size'], (batch_size, seq_len), generator=gen, dtype=torch.int64)
    mask = torch.zeros(batch_size, seq_len, dtype=torch.int64)
    types = torch.zeros(batch_size, seq_len, dtype=torch.int64)
    for b, length in enumerate(lengths):
        mask[b, :length] = 1
        types[b, length // 2:length] = 1
        ids[b, length:] = 0
    labels = torch.randint(0, CONFIG['num_labels'], (batch_size,), generator=gen, dtype=torch.int64)
    return dict(input_ids=ids, attention_mask=mask, token_type_ids=types), labels


class ClsHeadModel(nn.Module):
    """The classic recipe: a linear layer on the last layer's [CLS] vector (the pooler is not used)."""

    def __init__(self, config):
        super().__init__()
        self.bert = BertModel(config, add_pooling_layer=True)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)

    def forward(self, input_ids, attention_mask, token_type_ids, **kwargs):
        out = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
                        output_hidden_states=True, output_attentions=True)
        return out, self.classifier(out.last_hidden_state[:, 0])


class PoolerHeadModel(nn.Module):
    """transformers' BertForSequenceClassification, with hidden states and attentions exposed like ClsHeadModel."""

    def __init__(self, config):
        super().__init__()
        self.inner = BertForSequenceClassification(config)

    def forward(self, input_ids, attention_mask, token_type_ids, **kwargs):
        out = self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
                         output_hidden_states=True, output_attentions=True)
        return out, out.logits


def canonical_named_parameters(model):
    """Parameters under the canonical (BertForSequenceClassification state-dict) names."""
    if isinstance(model, PoolerHeadModel):
        return list(model.inner.named_parameters())
    return list(model.named_parameters())


def random_parameters(gen, names_shapes):
    params = {}
    for name, shape in names_shapes:
        if 'LayerNorm.weight' in name:
            value = 1.0 + 0.1 * torch.randn(shape, generator=gen)
        elif name.endswith('bias'):
            value = 0.1 * torch.randn(shape, generator=gen)
        else:
            value = 0.1 * torch.randn(shape, generator=gen)
        params[name] = value
    return params


def build(head, config, params):
    model = PoolerHeadModel(config) if head == 'pooler' else ClsHeadModel(config)
    named = dict(canonical_named_parameters(model))
    if set(named) != set(params):
        raise RuntimeError(f'parameter names differ: {sorted(set(named) ^ set(params))}')
    with torch.no_grad():
        for name, p in named.items():
            p.copy_(params[name])
    return model


def is_trainable(name, trainable_layers, train_embeddings, num_layers, head):
    if name.startswith('classifier.'):
        return True
    if name.startswith('bert.pooler.'):
        return head == 'pooler'
    if name.startswith('bert.embeddings.'):
        return train_embeddings
    layer = int(name.split('.')[3])
    return layer >= num_layers - trainable_layers


def no_decay(name):
    return name.endswith('bias') or 'LayerNorm' in name


def run_fixture(w, fixture_name, head, config, params, batches, trainable_layers, train_embeddings):
    torch.manual_seed(SEED)
    model = build(head, config, params)
    named = canonical_named_parameters(model)
    L = config.num_hidden_layers
    trainable = [n for n, _ in named if is_trainable(n, trainable_layers, train_embeddings, L, head)]
    for n, p in named:
        p.requires_grad_(n in trainable)

    inputs, labels = batches[0]
    model.eval()
    with torch.no_grad():
        out, logits = model(**inputs)
        loss = nn.functional.cross_entropy(logits, labels)

    prefix = fixture_name + '/'
    record = dict(name=fixture_name, head=head, trainableLayers=trainable_layers, trainEmbeddings=train_embeddings,
                  trainable=trainable,
                  embeddings=w.add(prefix + 'embeddings', out.hidden_states[0].numpy()),
                  hiddenStates=[w.add(f'{prefix}hidden.{i}', out.hidden_states[i + 1].numpy()) for i in range(L)],
                  attentions=[w.add(f'{prefix}attention.{i}', out.attentions[i].numpy()) for i in range(L)],
                  logits=w.add(prefix + 'logits', logits.numpy()), loss=float(loss))

    # Gradients of the first batch's mean cross-entropy.
    model.train()
    _, logits = model(**inputs)
    nn.functional.cross_entropy(logits, labels).backward()
    record['gradients'] = {n: w.add(f'{prefix}grad.{n}', p.grad.numpy()) for n, p in named if p.grad is not None}
    if sorted(record['gradients']) != sorted(trainable):
        raise RuntimeError(f'{fixture_name}: gradients exist for {sorted(record["gradients"])}, not {trainable}')
    model.zero_grad(set_to_none=True)

    decay = [p for n, p in named if n in trainable and not no_decay(n)]
    nodecay = [p for n, p in named if n in trainable and no_decay(n)]
    optimizer = torch.optim.AdamW([dict(params=decay, weight_decay=HYPER['weightDecay']),
                                   dict(params=nodecay, weight_decay=0.0)],
                                  lr=HYPER['lr'], betas=(HYPER['beta1'], HYPER['beta2']), eps=HYPER['eps'])
    steps = []
    for step_inputs, step_labels in batches:
        optimizer.zero_grad(set_to_none=True)
        _, logits = model(**step_inputs)
        step_loss = nn.functional.cross_entropy(logits, step_labels)
        step_loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_([p for n, p in named if n in trainable], HYPER['maxGradNorm'])
        optimizer.step()
        steps.append(dict(loss=step_loss.item(), gradNorm=grad_norm.item()))
    if not any(s['gradNorm'] > HYPER['maxGradNorm'] for s in steps):
        raise RuntimeError(f'{fixture_name}: clipping never engaged; lower maxGradNorm')
    record['steps'] = steps
    # Only trainable parameters change; the test checks the others against the initial values.
    record['paramsAfterSteps'] = {n: w.add(f'{prefix}after.{n}', p.detach().numpy()) for n, p in named
                                  if n in trainable}
    return record


def main():
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(SEED)
    config = BertConfig(**CONFIG, attn_implementation='eager')
    config._attn_implementation = 'eager'

    reference = BertForSequenceClassification(config)
    names_shapes = [(n, tuple(p.shape)) for n, p in reference.named_parameters()]
    params = random_parameters(gen, names_shapes)

    # Step 1's batch is the one every forward/gradient comparison uses: padding of three lengths, both token types.
    batches = [make_batch(gen, 3, 8, [8, 5, 3]), make_batch(gen, 2, 6, [6, 4]), make_batch(gen, 4, 5, [5, 5, 2, 1])]

    w = Writer()
    record_params = {n: w.add(f'init.{n}', params[n].numpy()) for n, _ in names_shapes}
    record_batches = []
    for i, (inputs, labels) in enumerate(batches):
        bsz, seq = inputs['input_ids'].shape
        record_batches.append(dict(batchSize=int(bsz), seqLen=int(seq),
                                   inputIds=w.add(f'batch{i}.inputIds', inputs['input_ids'].numpy()),
                                   attentionMask=w.add(f'batch{i}.attentionMask', inputs['attention_mask'].numpy()),
                                   tokenTypeIds=w.add(f'batch{i}.tokenTypeIds', inputs['token_type_ids'].numpy()),
                                   labels=w.add(f'batch{i}.labels', labels.numpy())))

    fixtures = [
        run_fixture(w, 'pooler_full', 'pooler', config, params, batches, CONFIG['num_hidden_layers'], True),
        run_fixture(w, 'cls_full', 'cls', config, params, batches, CONFIG['num_hidden_layers'], True),
        run_fixture(w, 'cls_frozen', 'cls', config, params, batches, 1, False),
    ]

    manifest = dict(
        version=FORMAT_VERSION,
        generator='scripts/golden/generate_golden.py',
        torch=torch.__version__, transformers=transformers.__version__, numpy=np.__version__,
        seed=SEED,
        config=dict(vocabSize=CONFIG['vocab_size'], hiddenSize=CONFIG['hidden_size'],
                    numHiddenLayers=CONFIG['num_hidden_layers'], numAttentionHeads=CONFIG['num_attention_heads'],
                    intermediateSize=CONFIG['intermediate_size'],
                    maxPositionEmbeddings=CONFIG['max_position_embeddings'], typeVocabSize=CONFIG['type_vocab_size'],
                    layerNormEps=CONFIG['layer_norm_eps'], hiddenDropoutProb=CONFIG['hidden_dropout_prob'],
                    attentionProbsDropoutProb=CONFIG['attention_probs_dropout_prob'],
                    classifierDropout=CONFIG['classifier_dropout'], numLabels=CONFIG['num_labels']),
        hyper=HYPER,
        parameters=record_params,
        batches=record_batches,
        fixtures=fixtures,
        tensors=w.tensors,
    )
    os.makedirs(OUT_DIR, exist_ok=True)
    with open(os.path.join(OUT_DIR, 'golden.bin'), 'wb') as f:
        for chunk in w.chunks:
            f.write(chunk)
    with open(os.path.join(OUT_DIR, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, separators=(',', ':'))
        f.write('\n')
    print(f'wrote {w.offset} bytes of tensors, {len(w.tensors)} tensors, fixtures: '
          + ', '.join(f"{r['name']} (loss {r['loss']:.6f}, grad norms {[round(s['gradNorm'], 4) for s in r['steps']]})"
                      for r in fixtures), file=sys.stderr)


if __name__ == '__main__':
    main()
