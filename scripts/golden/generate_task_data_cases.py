"""Expected features for lib/data's task readers, computed the way transformers' example scripts compute them.

The tokenizer is transformers 5.x BertTokenizer (the Rust fast tokenizer) on test/fixtures/tokenizer/tokenizer.json
(bert-base-uncased's vocabulary). The preprocessing functions are those of the example scripts, reproduced here
because they live inside the scripts' main():
  run_ner   tokenize_and_align_labels (is_split_into_words, word_ids, label_all_tokens, b_to_i_label)
  run_qa    prepare_train_features / prepare_validation_features (only_second, stride, overflow, offsets)
  run_swag  preprocess_function (sent1 x4 with "<sent2> <ending>", truncation=True)
  run_mlm   line_by_line tokenisation and group_texts (text loader lines = str.splitlines)
  glue      transformers' GLUE processors (data/processors/glue.py, removed in 5.x): csv.reader with
            delimiter='\\t', quotechar=None, the column positions and label lists of each task
Inputs are generated here (seeded) and written beside the expectations into test/fixtures/taskdata/.

  /work/pyenv/bin/python scripts/golden/generate_task_data_cases.py
"""

import csv
import json
import os
import random
import sys
from itertools import chain

import transformers
from transformers import BertTokenizer

ROOT = os.path.join(os.path.dirname(__file__), '..', '..')
OUT = os.path.join(ROOT, 'test', 'fixtures', 'taskdata')
TOKENIZER = os.path.join(ROOT, 'test', 'fixtures', 'tokenizer', 'tokenizer.json')

WORDS = ('the a of museum Paris Eiffel tower was built in 1889 by Gustave engineer naïve café über "quoted" '
         "don't U.S. e-mail co-operation 3.14 100,000 北京 東京 unbelievably antidisestablishmentarianism "
         'Zürich résumé jalapeño ... ! ? ( ) , ; : x ÅNGSTRÖM').split()


def sentence(rng, n):
    return ' '.join(rng.choice(WORDS) for _ in range(n))


def write_json(name, payload):
    payload = {'generator': 'scripts/golden/generate_task_data_cases.py', 'transformers': transformers.__version__, **payload}
    with open(os.path.join(OUT, name), 'w', encoding='utf-8') as f:
        json.dump(payload, f, ensure_ascii=False, separators=(',', ':'))
        f.write('\n')


def write_text(name, text):
    path = os.path.join(OUT, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8', newline='') as f:
        f.write(text)


# ---- GLUE ----------------------------------------------------------------------------------------------------

# (header, train/dev columns, test columns, guid, labels); columns: header names in order, None for filler.
GLUE = {
    'cola': dict(header=False, text=3, pair=None, label=1, test_text=1, test_pair=None, guid='index', labels=['0', '1'],
                 test_header=['index', 'sentence']),
    'sst2': dict(header=True, text=0, pair=None, label=1, test_text=1, test_pair=None, guid='index', labels=['0', '1'],
                 names=['sentence', 'label'], test_header=['index', 'sentence']),
    'mrpc': dict(header=True, text=3, pair=4, label=0, test_text=3, test_pair=4, guid='index', labels=['0', '1'],
                 names=['Quality', '#1 ID', '#2 ID', '#1 String', '#2 String'],
                 test_header=['index', '#1 ID', '#2 ID', '#1 String', '#2 String']),
    'stsb': dict(header=True, text=7, pair=8, label=-1, test_text=7, test_pair=8, guid='first', labels=None,
                 names=['index', 'genre', 'filename', 'year', 'old_index', 'source1', 'source2', 'sentence1', 'sentence2', 'score'],
                 test_header=['index', 'genre', 'filename', 'year', 'old_index', 'source1', 'source2', 'sentence1', 'sentence2']),
    'qqp': dict(header=True, text=3, pair=4, label=5, test_text=1, test_pair=2, guid='first', labels=['0', '1'],
                names=['id', 'qid1', 'qid2', 'question1', 'question2', 'is_duplicate'], test_header=['id', 'question1', 'question2']),
    'mnli': dict(header=True, text=8, pair=9, label=-1, test_text=8, test_pair=9, guid='first',
                 labels=['contradiction', 'entailment', 'neutral'],
                 names=['index', 'promptID', 'pairID', 'genre', 'sentence1_binary_parse', 'sentence2_binary_parse',
                        'sentence1_parse', 'sentence2_parse', 'sentence1', 'sentence2', 'label1', 'gold_label'],
                 test_header=['index', 'promptID', 'pairID', 'genre', 'sentence1_binary_parse', 'sentence2_binary_parse',
                              'sentence1_parse', 'sentence2_parse', 'sentence1', 'sentence2']),
    'qnli': dict(header=True, text=1, pair=2, label=-1, test_text=1, test_pair=2, guid='first',
                 labels=['entailment', 'not_entailment'], names=['index', 'question', 'sentence', 'label'],
                 test_header=['index', 'question', 'sentence']),
    'rte': dict(header=True, text=1, pair=2, label=-1, test_text=1, test_pair=2, guid='first',
                labels=['entailment', 'not_entailment'], names=['index', 'sentence1', 'sentence2', 'label'],
                test_header=['index', 'sentence1', 'sentence2']),
    'wnli': dict(header=True, text=1, pair=2, label=-1, test_text=1, test_pair=2, guid='first', labels=['0', '1'],
                 names=['index', 'sentence1', 'sentence2', 'label'], test_header=['index', 'sentence1', 'sentence2']),
}


def glue_row(rng, spec, index, test):
    text_col, pair_col = (spec['test_text'], spec['test_pair']) if test else (spec['text'], spec['pair'])
    width = len(spec['test_header']) if test else (len(spec['names']) if 'names' in spec else 4)
    row = [f'{index}'] + [f'f{k}' for k in range(1, width)]
    # Quotes that a quoting CSV reader would swallow: the reason GLUE is read with quoting off.
    row[text_col] = '"' + sentence(rng, rng.randint(1, 8)) + ' " ' + sentence(rng, 2)
    if pair_col is not None:
        row[pair_col] = sentence(rng, rng.randint(1, 8)) + ' "x'
    if not test:
        label = rng.choice(spec['labels']) if spec['labels'] else f'{rng.uniform(0, 5):.3f}'
        if spec['label'] == -1:
            row[-1] = label
        else:
            row[spec['label']] = label
    return row


def glue_read(path, task, set_type):
    """transformers' _read_tsv + the task processor's _create_examples."""
    spec = GLUE[task]
    with open(path, 'r', encoding='utf-8-sig') as f:
        lines = list(csv.reader(f, delimiter='\t', quotechar=None))
    test = set_type.startswith('test')
    if task == 'cola' and test:
        lines = lines[1:]
    out = []
    for i, line in enumerate(lines):
        # CoLA's test header is gone already; every other file with a header skips line 0.
        if task != 'cola' and i == 0:
            continue
        guid = f'{set_type}-{i}' if spec['guid'] == 'index' else f'{set_type}-{line[0]}'
        text_a = line[spec['test_text'] if test else spec['text']]
        pair = spec['test_pair'] if test else spec['pair']
        text_b = line[pair] if pair is not None else None
        label = None if test else line[spec['label']]
        ex = {'id': guid, 'text': text_a}
        if text_b is not None:
            ex['textPair'] = text_b
        if label is not None:
            ex['label'] = float(label) if spec['labels'] is None else spec['labels'].index(label)
        out.append(ex)
    return out


def glue_cases(rng):
    cases = {}
    for task, spec in GLUE.items():
        files = [('train', 'train.tsv'), ('dev_matched' if task == 'mnli' else 'dev', 'dev_matched.tsv' if task == 'mnli' else 'dev.tsv'),
                 ('test', 'test.tsv')]
        for set_type, name in files:
            test = set_type.startswith('test')
            rows = [glue_row(rng, spec, i, test) for i in range(rng.randint(3, 7))]
            header = spec['test_header'] if test else spec.get('names')
            lines = ([header] if (test or spec['header']) else []) + rows
            rel = f'glue/{task}/{name}'
            write_text(rel, ''.join('\t'.join(r) + '\n' for r in lines))
            cases[rel] = {'task': task, 'split': 'test' if test else ('train' if set_type == 'train' else 'dev'),
                          'setName': set_type, 'examples': glue_read(os.path.join(OUT, rel), task, set_type)}
    write_json('glue.json', {'files': cases})


# ---- token classification (run_ner) --------------------------------------------------------------------------

TAG_TYPES = ['PER', 'LOC', 'ORG', 'MISC']


def ner_sentences(rng):
    out = []
    for k in range(14):
        n = rng.randint(1, 14)
        words = [rng.choice(WORDS) for _ in range(n)]
        tags = []
        for i in range(n):
            r = rng.random()
            if r < 0.5:
                tags.append('O')
            elif r < 0.75 or not tags or tags[-1] == 'O':
                tags.append('B-' + rng.choice(TAG_TYPES))
            else:
                tags.append('I-' + tags[-1][2:])
        out.append((words, tags))
    # A long sentence that max_length truncates inside a word; words made only of characters the tokenizer drops.
    long_words = [rng.choice(WORDS) for _ in range(40)]
    out.append((long_words, ['O'] * 40))
    out.append((['\u200b', 'a', '\ufeff', 'b'], ['B-PER', 'O', 'B-LOC', 'O']))
    out.append((['x' * 120, 'ok'], ['B-MISC', 'O']))
    # Empty and blank words (no pieces), words that pre-tokenize into several, added tokens inside words, NUL,
    # combining marks.
    out.append((['a', '', 'b', ' ', 'c'], ['B-PER', 'I-PER', 'O', 'B-LOC', 'O']))
    out.append(([' a ', 'b\tc', '[MASK]', '[CLS]x', '\x00', 'e\u0301\u0301'], ['B-ORG', 'I-ORG', 'O', 'B-MISC', 'B-PER', 'I-PER']))
    return out


def tokenize_and_align_labels(tokenizer, words_list, tags_list, label_list, max_length, label_all_tokens):
    """run_ner's tokenize_and_align_labels, padding off."""
    label_to_id = {l: i for i, l in enumerate(label_list)}
    b_to_i_label = []
    for idx, label in enumerate(label_list):
        if label.startswith('B-') and label.replace('B-', 'I-') in label_list:
            b_to_i_label.append(label_list.index(label.replace('B-', 'I-')))
        else:
            b_to_i_label.append(idx)
    tokenized = tokenizer(words_list, truncation=True, max_length=max_length, is_split_into_words=True)
    rows = []
    for i, label in enumerate(tags_list):
        word_ids = tokenized.word_ids(batch_index=i)
        previous = None
        label_ids = []
        for word_idx in word_ids:
            if word_idx is None:
                label_ids.append(-100)
            elif word_idx != previous:
                label_ids.append(label_to_id[label[word_idx]])
            else:
                label_ids.append(b_to_i_label[label_to_id[label[word_idx]]] if label_all_tokens else -100)
            previous = word_idx
        rows.append({'inputIds': tokenized['input_ids'][i], 'tokenTypeIds': tokenized['token_type_ids'][i],
                     'wordIds': word_ids, 'labels': label_ids})
    return rows


def ner_cases(rng, tokenizer):
    sentences = ner_sentences(rng)
    # CoNLL-2003 layout: token POS chunk NER, -DOCSTART- and blank lines.
    conll = '-DOCSTART- -X- -X- O\n\n'
    for words, tags in sentences:
        # A CoNLL line cannot hold a word that is empty or has whitespace in it.
        if any(not w or any(c.isspace() for c in w) for w in words):
            continue
        conll += ''.join(f'{w} NN I-NP {t}\n' for w, t in zip(words, tags)) + '\n'
    write_text('ner/train.conll', conll)
    write_text('ner/train.jsonl', ''.join(json.dumps({'tokens': w, 'ner_tags': t}, ensure_ascii=False) + '\n' for w, t in sentences))
    label_list = sorted(set(chain(*(t for _, t in sentences))))  # run_ner's get_label_list
    words_list = [w for w, _ in sentences]
    tags_list = [t for _, t in sentences]
    cases = []
    for max_length in (512, 12):
        for label_all in (False, True):
            cases.append({'maxLength': max_length, 'labelAllTokens': label_all,
                          'rows': tokenize_and_align_labels(tokenizer, words_list, tags_list, label_list, max_length, label_all)})
    conll_sentences = []
    with open(os.path.join(OUT, 'ner/train.conll'), encoding='utf-8') as f:
        # datasets' conll2003 loader: split(" "), token = splits[0], ner tag = splits[3]
        tokens, tags = [], []
        for line in f:
            if line.startswith('-DOCSTART-') or line == '' or line == '\n':
                if tokens:
                    conll_sentences.append({'tokens': tokens, 'tags': tags})
                    tokens, tags = [], []
            else:
                splits = line.split(' ')
                tokens.append(splits[0])
                tags.append(splits[3].rstrip())
        if tokens:
            conll_sentences.append({'tokens': tokens, 'tags': tags})
    write_json('ner.json', {'labels': label_list, 'sentences': [{'tokens': w, 'tags': t} for w, t in sentences],
                            'conllSentences': conll_sentences, 'cases': cases})


# ---- SQuAD (run_qa) ------------------------------------------------------------------------------------------

def squad_document(rng):
    data = []
    for a in range(3):
        paragraphs = []
        for p in range(2):
            # One context long enough for several 384-token windows.
            n = 450 if (a, p) == (0, 0) else rng.choice([5, 30, 90, 200])
            context = sentence(rng, n) + '.'
            qas = []
            for q in range(3):
                qid = f'a{a}p{p}q{q}'
                question = (' ' * rng.randint(0, 2)) + sentence(rng, rng.randint(1, 9)) + '?'
                if rng.random() < 0.25:
                    qas.append({'id': qid, 'question': question, 'answers': [], 'is_impossible': True,
                                'plausible_answers': [{'text': context[:5], 'answer_start': 0}]})
                    continue
                # An answer span on word boundaries, sometimes at the very start or end of the context.
                spaces = [0] + [i + 1 for i, c in enumerate(context) if c == ' ']
                choice = rng.random()
                if choice < 0.15:
                    start = 0
                elif choice < 0.3:
                    start = spaces[-1]
                else:
                    start = rng.choice(spaces)
                later = [i for i in range(start + 1, len(context) + 1) if i == len(context) or context[i] == ' ']
                end = rng.choice(later[:4])
                qas.append({'id': qid, 'question': question, 'answers': [{'text': context[start:end], 'answer_start': start}] * rng.randint(1, 2),
                            'is_impossible': False})
            paragraphs.append({'context': context, 'qas': qas})
        data.append({'title': f'Article {a}', 'paragraphs': paragraphs})
    # Hand-picked: an answer starting and ending inside words, one with surrounding spaces, a blank question, an
    # answer that is the whole context, accents and CJK around the span.
    context = 'The Musée d\u2019Orsay (北京) reopened in 1986, after the museum\'s   long renovation.'
    picked = [('mid', 'What?', 'usée d', None), ('spaces', 'When?', ' in 1986, ', None), ('blank', '   ', '北京', None),
              ('whole', 'All?', context, 0), ('end', 'How?', 'renovation.', None)]
    qas = [{'id': qid, 'question': q, 'answers': [{'text': text, 'answer_start': context.index(text) if start is None else start}],
            'is_impossible': False} for qid, q, text, start in picked]
    data.append({'title': 'Edge cases', 'paragraphs': [{'context': context, 'qas': qas}]})
    return {'version': 'v2.0', 'data': data}


def squad_examples(document):
    """datasets' squad_v2 loader: one row per question, answers as parallel lists."""
    rows = []
    for article in document['data']:
        for paragraph in article['paragraphs']:
            for qa in paragraph['qas']:
                rows.append({'id': qa['id'], 'title': article['title'], 'context': paragraph['context'], 'question': qa['question'],
                             'answers': {'text': [a['text'] for a in qa['answers']], 'answer_start': [a['answer_start'] for a in qa['answers']]}})
    return rows


def tokenize_qa(tokenizer, examples, max_length, stride):
    """The tokenizer call both run_qa feature functions make."""
    questions = [q.lstrip() for q in examples['question']]
    return tokenizer(questions, examples['context'], truncation='only_second', max_length=max_length, stride=stride,
                     return_overflowing_tokens=True, return_offsets_mapping=True, padding=False)


def prepare_train_features(tokenizer, examples, max_length, stride):
    """run_qa's prepare_train_features (pad_on_right, padding off)."""
    tokenized = tokenize_qa(tokenizer, examples, max_length, stride)
    sample_mapping = tokenized.pop('overflow_to_sample_mapping')
    offset_mapping = tokenized.pop('offset_mapping')
    features = []
    for i, offsets in enumerate(offset_mapping):
        input_ids = tokenized['input_ids'][i]
        cls_index = input_ids.index(tokenizer.cls_token_id)
        sequence_ids = tokenized.sequence_ids(i)
        sample_index = sample_mapping[i]
        answers = examples['answers'][sample_index]
        if len(answers['answer_start']) == 0:
            start_pos, end_pos = cls_index, cls_index
        else:
            start_char = answers['answer_start'][0]
            end_char = start_char + len(answers['text'][0])
            token_start_index = 0
            while sequence_ids[token_start_index] != 1:
                token_start_index += 1
            token_end_index = len(input_ids) - 1
            while sequence_ids[token_end_index] != 1:
                token_end_index -= 1
            if not (offsets[token_start_index][0] <= start_char and offsets[token_end_index][1] >= end_char):
                start_pos, end_pos = cls_index, cls_index
            else:
                while token_start_index < len(offsets) and offsets[token_start_index][0] <= start_char:
                    token_start_index += 1
                start_pos = token_start_index - 1
                while offsets[token_end_index][1] >= end_char:
                    token_end_index -= 1
                end_pos = token_end_index + 1
        features.append({'exampleIndex': sample_index, 'inputIds': input_ids, 'tokenTypeIds': tokenized['token_type_ids'][i],
                         'startPosition': start_pos, 'endPosition': end_pos})
    return features


def prepare_validation_features(tokenizer, examples, max_length, stride):
    """run_qa's prepare_validation_features (pad_on_right, padding off)."""
    tokenized = tokenize_qa(tokenizer, examples, max_length, stride)
    sample_mapping = tokenized.pop('overflow_to_sample_mapping')
    features = []
    for i in range(len(tokenized['input_ids'])):
        sequence_ids = tokenized.sequence_ids(i)
        offsets = [list(o) if sequence_ids[k] == 1 else None for k, o in enumerate(tokenized['offset_mapping'][i])]
        features.append({'exampleId': examples['id'][sample_mapping[i]], 'inputIds': tokenized['input_ids'][i], 'offsetMapping': offsets})
    return features


def squad_cases(rng, tokenizer):
    document = squad_document(rng)
    write_text('squad/dev-v2.0.json', json.dumps(document, ensure_ascii=False, indent=1))
    rows = squad_examples(document)
    columns = {k: [r[k] for r in rows] for k in rows[0]}
    settings = []
    for max_length, stride in ((384, 128), (96, 24)):
        settings.append({'maxLength': max_length, 'stride': stride,
                         'train': prepare_train_features(tokenizer, columns, max_length, stride),
                         'validation': prepare_validation_features(tokenizer, columns, max_length, stride)})
    write_json('squad.json', {'examples': rows, 'settings': settings})


# ---- SWAG (run_swag) -----------------------------------------------------------------------------------------

def swag_cases(rng, tokenizer):
    header = ['video-id', 'fold-ind', 'startphrase', 'sent1', 'sent2', 'gold-source', 'ending0', 'ending1', 'ending2', 'ending3', 'label']
    rows = []
    for i in range(6):
        sent1 = sentence(rng, rng.randint(2, 20)) + ', "quoted"'
        sent2 = sentence(rng, rng.randint(1, 5))
        rows.append(['anetv_x', str(1000 + i), sent1 + ' ' + sent2, sent1, sent2, 'gold'] +
                    [sentence(rng, rng.randint(1, 12)) for _ in range(4)] + [str(rng.randint(0, 3))])
    path = os.path.join(OUT, 'swag', 'train.csv')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8', newline='') as f:
        csv.writer(f).writerows([header] + rows)
    with open(path, encoding='utf-8', newline='') as f:
        examples = list(csv.DictReader(f))
    ending_names = [f'ending{i}' for i in range(4)]
    cases = []
    for max_length in (128, 16):
        first = list(chain(*[[e['sent1']] * 4 for e in examples]))
        second = list(chain(*[[f"{e['sent2']} {e[end]}" for end in ending_names] for e in examples]))
        tokenized = tokenizer(first, second, truncation=True, max_length=max_length)
        grouped = {k: [v[i:i + 4] for i in range(0, len(v), 4)] for k, v in tokenized.items()}
        cases.append({'maxLength': max_length, 'inputIds': grouped['input_ids'], 'tokenTypeIds': grouped['token_type_ids'],
                      'labels': [int(e['label']) for e in examples]})
    write_json('swag.json', {'cases': cases})


# ---- raw text (run_mlm) --------------------------------------------------------------------------------------

def mlm_cases(rng, tokenizer):
    lines = []
    for i in range(40):
        r = rng.random()
        lines.append('' if r < 0.1 else ('   \t' if r < 0.15 else sentence(rng, rng.randint(1, 25))))
    text = '\n'.join(lines[:20]) + '\r\n' + '\r\n'.join(lines[20:30]) + '\u2028' + '\n'.join(lines[30:]) + '\x0bend\n'
    write_text('mlm/train.txt', text)
    with open(os.path.join(OUT, 'mlm', 'train.txt'), encoding='utf-8', newline='') as f:
        records = f.read().splitlines()  # datasets' text loader
    line_by_line = [r for r in records if len(r) > 0 and not r.isspace()]
    lbl = tokenizer(line_by_line, truncation=True, max_length=16, return_special_tokens_mask=True)
    tokenized = tokenizer(records, return_special_tokens_mask=True)
    grouped = []
    for block_size, group_size in ((16, 1000), (8, 7)):
        blocks = []
        for start in range(0, len(records), group_size):
            concatenated = {k: list(chain(*tokenized[k][start:start + group_size])) for k in ('input_ids', 'special_tokens_mask')}
            total = (len(concatenated['input_ids']) // block_size) * block_size
            blocks += [{k: v[i:i + block_size] for k, v in concatenated.items()} for i in range(0, total, block_size)]
        grouped.append({'blockSize': block_size, 'groupSize': group_size,
                        'inputIds': [b['input_ids'] for b in blocks], 'specialTokensMask': [b['special_tokens_mask'] for b in blocks]})
    write_json('mlm.json', {'lines': records, 'lineByLine': {'maxLength': 16, 'inputIds': lbl['input_ids'],
                                                               'specialTokensMask': lbl['special_tokens_mask']},
                            'grouped': grouped})


def main():
    os.makedirs(OUT, exist_ok=True)
    tokenizer = BertTokenizer(tokenizer_file=TOKENIZER)
    assert tokenizer.is_fast
    glue_cases(random.Random(21))
    ner_cases(random.Random(22), tokenizer)
    squad_cases(random.Random(23), tokenizer)
    swag_cases(random.Random(24), tokenizer)
    mlm_cases(random.Random(25), tokenizer)


if __name__ == '__main__':
    sys.exit(main())
