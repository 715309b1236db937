"""Golden cases for lib/pipeline: tiny random BERT models of every architecture a pipeline loads, and what
transformers' Python pipeline() returns for them on several inputs and options.

    /work/pyenv/bin/python scripts/golden/generate_pipeline_cases.py          # models + every task but QA
    PYTHONPATH=<transformers 4.x> /work/pyenv/bin/python scripts/golden/generate_pipeline_cases.py --qa

transformers 5 removed QuestionAnsweringPipeline (its task table says "use text-generation"), so the QA cases are
recorded by transformers 4.57's pipeline on the same saved model (`pip install --no-deps --target DIR
transformers==4.57.1 huggingface_hub==0.36.0 tokenizers==0.22.1 requests`), in a second run with --qa.

Writes test/fixtures/pipeline/<model>/ (config.json, model.safetensors, tokenizer files) and cases-<group>.json:
a list of {task, model, input, options, output}, options under bertnode's names (camelCase) and translated here to
the Python keyword arguments.
"""
import json
import os
import sys

import numpy as np
import torch
import transformers
from transformers import (BertConfig, BertForMaskedLM, BertForSequenceClassification, BertForTokenClassification,
                          BertForPreTraining, BertForQuestionAnswering, BertModel, BertTokenizerFast, pipeline)

ROOT = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'pipeline')

WORDS = """the a an and or of to in on at is was were be been it this that i you he she we they my your his her
movie film book food service was great good bad terrible awful love hate loved hated like boring fun amazing
john smith mary paris london new york berlin google apple lives works visited went with from for by
what where who when how why which did does do capital city country france germany england name born
not very really quite so but because there here today yesterday year years old young man woman people
play played game team won lost city river mountain lake big small red blue green happy sad
example topic sports politics science music technology health about news""".split()
PIECES = ['##s', '##ed', '##ing', '##er', '##ly', '##ion']
PUNCT = list('.,!?\'"-:;()')


def vocabulary():
    letters = [chr(c) for c in range(ord('a'), ord('z') + 1)]
    digits = [str(d) for d in range(10)]
    specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
    seen, vocab = set(), []
    for t in specials + PUNCT + digits + letters + ['##' + c for c in letters + digits] + PIECES + WORDS:
        if t not in seen:
            seen.add(t)
            vocab.append(t)
    return vocab


def tokenizer(folder):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, 'vocab.txt'), 'w') as f:
        f.write('\n'.join(vocabulary()) + '\n')
    # transformers 5's BertTokenizer takes the vocabulary as `vocab`, 4.x's as `vocab_file`; each ignores the other's
    # keyword silently (every token then reads as [UNK]).
    key = 'vocab' if int(transformers.__version__.split('.')[0]) >= 5 else 'vocab_file'
    return BertTokenizerFast(**{key: os.path.join(folder, 'vocab.txt')}, do_lower_case=True, model_max_length=128)


def config(**extra):
    # initializer_range 0.2 (not 0.02): logits far enough apart that the order of the top-k does not hang on
    # float32 rounding, and a token classifier that predicts more than one tag.
    return BertConfig(vocab_size=len(vocabulary()), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                      intermediate_size=37, max_position_embeddings=128, initializer_range=0.2, **extra)


def save(name, model_class, seed, **extra):
    folder = os.path.join(ROOT, name)
    tok = tokenizer(folder)
    torch.manual_seed(seed)
    model = model_class(config(**extra)).eval()
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    # vocab.txt stays beside tokenizer.json: the tokenizer is read from tokenizer.json, as transformers does.
    return folder


def plain(value):
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value


PY_NAMES = {'topK': 'top_k', 'functionToApply': 'function_to_apply', 'aggregationStrategy': 'aggregation_strategy',
            'ignoreLabels': 'ignore_labels', 'hypothesisTemplate': 'hypothesis_template', 'multiLabel': 'multi_label',
            'maxAnswerLength': 'max_answer_len', 'docStride': 'doc_stride', 'maxSeqLength': 'max_seq_len',
            'maxQuestionLength': 'max_question_len', 'handleImpossibleAnswer': 'handle_impossible_answer',
            'candidateLabels': 'candidate_labels', 'targets': 'targets', 'stride': 'stride'}


def record(cases, task, model, inputs, options, run):
    kwargs = {PY_NAMES[k]: v for k, v in options.items()}
    output = run(inputs, kwargs)
    cases.append({'task': task, 'model': model, 'input': inputs, 'options': options, 'output': plain(output)})


def main_cases():
    cases = []
    labels3 = {0: 'NEGATIVE', 1: 'NEUTRAL', 2: 'POSITIVE'}
    save('text-classification', BertForSequenceClassification, 1, num_labels=3, id2label=labels3,
         label2id={v: k for k, v in labels3.items()})
    multi = {0: 'sports', 1: 'politics', 2: 'science', 3: 'music'}
    save('multi-label', BertForSequenceClassification, 2, num_labels=4, id2label=multi,
         label2id={v: k for k, v in multi.items()}, problem_type='multi_label_classification')
    save('regression', BertForSequenceClassification, 3, num_labels=1)
    tags = {0: 'O', 1: 'B-PER', 2: 'I-PER', 3: 'B-LOC', 4: 'I-LOC', 5: 'B-ORG', 6: 'I-ORG'}
    save('token-classification', BertForTokenClassification, 4, num_labels=7, id2label=tags,
         label2id={v: k for k, v in tags.items()})
    save('fill-mask', BertForMaskedLM, 5)
    save('feature-extraction', BertModel, 6)
    save('pretraining', BertForPreTraining, 9)
    nli = {0: 'contradiction', 1: 'neutral', 2: 'entailment'}
    save('nli', BertForSequenceClassification, 7, num_labels=3, id2label=nli, label2id={v: k for k, v in nli.items()})

    texts = ['the movie was great!', 'I hated this boring film, really.', 'Food and service: terrible',
             'john smith lives in new york', 'Unknownword zebras playing']

    def run_pipe(task, model):
        pipe = pipeline(task, model=os.path.join(ROOT, model), device='cpu')
        return lambda inputs, kwargs: pipe(inputs, **kwargs)

    tc = run_pipe('text-classification', 'text-classification')
    for options in [{}, {'topK': 2}, {'topK': None}, {'topK': 3, 'functionToApply': 'sigmoid'},
                    {'topK': 1, 'functionToApply': 'none'}]:
        for text in texts[:3]:
            record(cases, 'text-classification', 'text-classification', text, options, tc)
    pair = {'text': texts[0], 'textPair': texts[1]}
    record(cases, 'text-classification', 'text-classification', pair, {'topK': 2},
           lambda inputs, kwargs: tc({'text': inputs['text'], 'text_pair': inputs['textPair']}, kwargs))
    ml = run_pipe('text-classification', 'multi-label')
    for options in [{}, {'topK': None}]:
        record(cases, 'text-classification', 'multi-label', texts[0], options, ml)
    rg = run_pipe('text-classification', 'regression')
    record(cases, 'text-classification', 'regression', texts[1], {}, rg)

    tk = run_pipe('token-classification', 'token-classification')
    ner_texts = ['John Smith lives in New York.', 'Mary visited Paris and London yesterday!',
                 'Googleplex workers playing in Berlinia', 'xyzzy \u00e9t\u00e9 caf\u00e9 lives']
    for strategy in ['none', 'simple', 'first', 'average', 'max']:
        for text in ner_texts:
            record(cases, 'token-classification', 'token-classification', text, {'aggregationStrategy': strategy}, tk)
    record(cases, 'token-classification', 'token-classification', ner_texts[0], {'ignoreLabels': []}, tk)
    # Longer than model_max_length (128): both truncate to the first 128 tokens.
    long_text = ' '.join(['Mary visited Paris and London yesterday.'] * 25)
    record(cases, 'token-classification', 'token-classification', long_text, {'aggregationStrategy': 'simple'}, tk)
    # ... or with a stride, every overlapping chunk of it, overlapping entities merged.
    for options in [{'aggregationStrategy': 'simple', 'stride': 16}, {'aggregationStrategy': 'first', 'stride': 40},
                    {'aggregationStrategy': 'max', 'stride': 0}]:
        record(cases, 'token-classification', 'token-classification', long_text + ' John Smith.', options, tk)

    fm = run_pipe('fill-mask', 'fill-mask')
    for text, options in [('the movie was [MASK].', {}), ('paris is the capital of [MASK]', {'topK': 3}),
                          ('i [MASK] this film, it was [MASK]!', {'topK': 2}), ('[MASK]', {'topK': 4}),
                          ('the film was [MASK].', {'targets': ['great', 'bad', 'zebra', 'boring']}),
                          ('the [MASK] was [MASK].', {'targets': 'food', 'topK': 2})]:
        record(cases, 'fill-mask', 'fill-mask', text, options, fm)

    # A pre-training checkpoint fills masks with its masked-LM head (its next-sentence head unused).
    record(cases, 'fill-mask', 'pretraining', 'the [MASK] was great.', {'topK': 3}, run_pipe('fill-mask', 'pretraining'))

    fe = pipeline('feature-extraction', model=os.path.join(ROOT, 'feature-extraction'), device='cpu')
    for text in texts[:3]:
        hidden = np.array(fe(text)[0], dtype=np.float64)  # [T, H] of the last layer
        for pooling in ['none', 'mean', 'cls']:
            for normalize in [False, True]:
                v = hidden if pooling == 'none' else hidden.mean(0) if pooling == 'mean' else hidden[0]
                if normalize:
                    v = v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)
                cases.append({'task': 'feature-extraction', 'model': 'feature-extraction', 'input': text,
                              'options': {'pooling': pooling, 'normalize': normalize}, 'output': v.tolist()})

    zs = run_pipe('zero-shot-classification', 'nli')
    for text, options in [(texts[0], {'candidateLabels': ['sports', 'music', 'science']}),
                          (texts[1], {'candidateLabels': ['sports', 'politics'], 'multiLabel': True}),
                          (texts[2], {'candidateLabels': ['health'], 'hypothesisTemplate': 'This text is about {}.'}),
                          (texts[4], {'candidateLabels': 'sports, politics,science'}),
                          (texts[3], {'candidateLabels': ['city', 'people', 'food', 'technology'],
                                      'hypothesisTemplate': 'The topic is {}'})]:
        record(cases, 'zero-shot-classification', 'nli', text, options, zs)
    return cases


def qa_cases():
    save('question-answering', BertForQuestionAnswering, 8)
    qa = pipeline('question-answering', model=os.path.join(ROOT, 'question-answering'), device='cpu')
    context = ('John Smith lives in New York. He was born in Paris, France. Mary works for Google in London. '
               'The capital city of Germany is Berlin, a big city on a river. Yesterday they played a game and won.')
    cases = []
    questions = ['Where does John live?', 'Who works for Google?', 'What is the capital of Germany?']
    runs = [
        (questions[0], {}),
        (questions[1], {'topK': 3}),
        (questions[2], {'maxAnswerLength': 3, 'topK': 2}),
        (questions[0], {'maxSeqLength': 48, 'docStride': 16, 'topK': 3}),
        (questions[1], {'maxSeqLength': 40, 'docStride': 8, 'maxAnswerLength': 5}),
        (questions[2], {'handleImpossibleAnswer': True, 'topK': 2}),
        (questions[2], {'maxSeqLength': 48, 'docStride': 16, 'handleImpossibleAnswer': True, 'topK': 2}),
    ]

    # Words outside the vocabulary ('##' pieces, [UNK]): spans are widened to whole words, repeated texts summed.
    pieces = 'Zorblax Quintessa lives in Berlinia, near Googleplex. Quintessa works for Zorblax in Berlinia!'
    runs += [(questions[0], {'topK': 5, 'contextOverride': pieces}), ('Who works for Zorblax?', {'topK': 4, 'maxAnswerLength': 4, 'contextOverride': pieces})]

    def run(inputs, kwargs):
        return qa(question=inputs['question'], context=inputs['context'], **kwargs)

    for question, options in runs:
        options = dict(options)
        own_context = options.pop('contextOverride', context)
        record(cases, 'question-answering', 'question-answering', {'question': question, 'context': own_context}, options, run)
    return cases


if __name__ == '__main__':
    group = 'qa' if '--qa' in sys.argv else 'main'
    cases = qa_cases() if group == 'qa' else main_cases()
    with open(os.path.join(ROOT, f'cases-{group}.json'), 'w') as f:
        json.dump({'transformers': transformers.__version__, 'torch': torch.__version__, 'cases': cases}, f, indent=1)
    print(f'{len(cases)} cases -> cases-{group}.json (transformers {transformers.__version__})')
