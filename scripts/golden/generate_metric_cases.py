"""Reference cases for lib/metrics, computed by the implementations transformers' example scripts report through.

  sklearn (accuracy, f1 binary/macro, matthews_corrcoef)    -> test/fixtures/metrics/classification.json
  scipy.stats (pearsonr, spearmanr)                         -> test/fixtures/metrics/correlation.json
  seqeval (classification_report default and strict modes,
           get_entities, accuracy_score)                    -> test/fixtures/metrics/seqeval.json
  the official SQuAD scripts (v1.1 and v2.0, as shipped in
           huggingface/evaluate's metrics/squad*/compute_score.py,
           called as evaluate's squad / squad_v2 metrics call them) -> test/fixtures/metrics/squad.json
  run_qa's postprocess_qa_predictions (utils_qa.py)          -> test/fixtures/metrics/qa_postprocess.json

The SQuAD scripts and utils_qa.py are not vendored here: pass where they are.

  /work/pyenv/bin/python scripts/golden/generate_metric_cases.py \
      --evaluate-repo <checkout of huggingface/evaluate> --utils-qa <transformers' examples/pytorch/question-answering/utils_qa.py>

Random cases come from numpy's seeded generator; hand-picked ones cover the edge cases (one class only, ties,
constant inputs, I- after O, type changes inside a chunk, malformed tags, unanswerable questions, Unicode).
"""

import argparse
import importlib.util
import json
import math
import os
import sys
import tempfile
import warnings

import numpy as np
import scipy
import seqeval
import sklearn
from scipy.stats import pearsonr, spearmanr
from seqeval.metrics import accuracy_score as seq_accuracy
from seqeval.metrics import classification_report
from seqeval.metrics.sequence_labeling import get_entities
from seqeval import scheme as seq_scheme
from sklearn.metrics import accuracy_score, f1_score, matthews_corrcoef

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'metrics')
warnings.filterwarnings('ignore')


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def num(x):
    x = float(x)
    return None if math.isnan(x) else x


def write(name, payload):
    payload = {'generator': 'scripts/golden/generate_metric_cases.py', **payload}
    with open(os.path.join(OUT, name), 'w') as f:
        json.dump(payload, f, indent=0, ensure_ascii=False)
        f.write('\n')


def classification(rng):
    cases = []
    hand = [
        ([1, 1, 1], [1, 1, 1]), ([0, 0, 0, 0], [0, 0, 0, 0]), ([0, 1, 0, 1], [1, 0, 1, 0]),
        ([1, 1, 1, 1], [0, 1, 0, 1]), ([0, 0, 0, 0], [0, 1, 0, 1]), ([2, 0, 1, 2, 1], [0, 0, 1, 2, 2]), ([0], [1]),
    ]
    for preds, refs in hand:
        cases.append((preds, refs))
    for n in (5, 17, 64, 301):
        for classes in (2, 3, 5):
            refs = rng.integers(0, classes, n)
            noise = rng.random(n) < 0.35
            preds = np.where(noise, rng.integers(0, classes, n), refs)
            cases.append((preds.tolist(), refs.tolist()))
    out = []
    for preds, refs in cases:
        labels = sorted(set(preds) | set(refs))
        case = {
            'predictions': preds, 'references': refs,
            'accuracy': float(accuracy_score(refs, preds)),
            'f1_macro': float(f1_score(refs, preds, average='macro', zero_division=0)),
            'matthews_correlation': float(matthews_corrcoef(refs, preds)),
        }
        if len(labels) <= 2 and (1 in labels or len(labels) == 1):
            case['f1_binary'] = float(f1_score(refs, preds, zero_division=0))
        out.append(case)
    write('classification.json', {'sklearn': sklearn.__version__, 'cases': out})


def correlation(rng):
    cases = [
        ([1, 2, 3, 4], [2, 4, 6, 8]), ([1, 2, 3, 4], [4, 3, 2, 1]), ([1, 1, 2, 2, 3], [1, 2, 2, 3, 3]),
        ([0.1, 0.1, 0.1], [1, 2, 3]), ([5, 5], [1, 2]), ([3, 1, 2], [3, 1, 2]), ([1e-3, 2e-3, 4e-3], [7, 5, 5]),
    ]
    for n in (3, 10, 57, 400):
        x = rng.normal(size=n)
        cases.append((x.tolist(), (0.6 * x + rng.normal(size=n)).tolist()))
        # STS-B-like scores on a 0..5 grid of 0.2 steps: many ties.
        y = np.round(rng.uniform(0, 5, n) * 5) / 5
        cases.append(((y + np.round(rng.normal(size=n) * 5) / 5).tolist(), y.tolist()))
    out = [{'x': [float(v) for v in x], 'y': [float(v) for v in y], 'pearson': num(pearsonr(x, y)[0]),
            'spearmanr': num(spearmanr(x, y)[0])} for x, y in cases]
    write('correlation.json', {'scipy': scipy.__version__, 'cases': out})


TYPES = ['PER', 'LOC', 'ORG']


def random_tags(rng, n, scheme):
    tags = []
    for _ in range(n):
        r = rng.random()
        t = TYPES[rng.integers(0, len(TYPES))]
        if r < 0.45:
            tags.append('O')
        else:
            prefixes = {'IOB2': 'BI', 'IOB1': 'BI', 'IOE2': 'IE', 'IOBES': 'BIES', 'BILOU': 'BILU'}[scheme]
            tags.append(prefixes[rng.integers(0, len(prefixes))] + '-' + t)
    return tags


def perturb(rng, tags, scheme):
    out = list(tags)
    for i in range(len(out)):
        if rng.random() < 0.25:
            out[i] = random_tags(rng, 1, scheme)[0]
    return out


def seqeval_report(refs, preds, mode=None, scheme=None):
    try:
        report = classification_report(refs, preds, output_dict=True, mode=mode,
                                       scheme=getattr(seq_scheme, scheme) if scheme else None, zero_division=0)
    except (ValueError, KeyError) as error:
        return {'error': type(error).__name__}
    micro = report.pop('micro avg')
    report.pop('macro avg')
    report.pop('weighted avg')
    return {
        'overall_precision': float(micro['precision']), 'overall_recall': float(micro['recall']),
        'overall_f1': float(micro['f1-score']), 'overall_accuracy': float(seq_accuracy(refs, preds)),
        'per_type': {k: {'precision': float(v['precision']), 'recall': float(v['recall']), 'f1': float(v['f1-score']),
                         'number': int(v['support'])} for k, v in report.items()},
    }


def seqeval_cases(rng):
    hand = [
        # I- after O starts an entity in default mode, not in strict IOB2.
        ([['O', 'I-PER', 'I-PER', 'O']], [['O', 'B-PER', 'I-PER', 'O']]),
        # a type change inside a chunk splits it; B- after B- of the same type too.
        ([['B-PER', 'I-LOC', 'B-LOC', 'B-LOC', 'O']], [['B-PER', 'I-PER', 'B-LOC', 'I-LOC', 'O']]),
        # entities at the sentence ends and across sentences.
        ([['I-ORG'], ['I-ORG', 'O'], ['B-ORG']], [['B-ORG'], ['B-ORG', 'O'], ['B-ORG']]),
        # no entity anywhere.
        ([['O', 'O'], ['O']], [['O', 'O'], ['O']]),
        # predictions without any entity, references with some.
        ([['O', 'O', 'O']], [['B-LOC', 'I-LOC', 'O']]),
        # IOBES.
        ([['S-PER', 'B-LOC', 'E-LOC', 'O', 'B-ORG', 'I-ORG', 'E-ORG']], [['S-PER', 'B-LOC', 'E-LOC', 'O', 'B-ORG', 'I-ORG', 'I-ORG']]),
        ([['B-PER', 'E-PER', 'S-LOC', 'E-LOC']], [['B-PER', 'E-PER', 'S-LOC', 'S-LOC']]),
        # bare prefixes (type "_"), multi-dash types and odd tags in default mode.
        ([['B', 'I', 'O', 'B-X-Y', 'I-X-Y']], [['B', 'I', 'O', 'B-X-Y', 'I-X-Y']]),
        ([['I-MISC', 'I-MISC', 'B-MISC', 'I-MISC']], [['I-MISC', 'I-MISC', 'B-MISC', 'I-MISC']]),
        # IOE2.
        ([['I-PER', 'E-PER', 'E-LOC', 'O']], [['I-PER', 'E-PER', 'E-LOC', 'O']]),
        # BILOU, and a tag with an unknown prefix (default mode reads it, strict mode refuses it).
        ([['U-PER', 'B-LOC', 'L-LOC', 'B-ORG', 'I-ORG', 'L-ORG']], [['U-PER', 'B-LOC', 'L-LOC', 'B-ORG', 'I-ORG', 'O']]),
        ([['X-PER', 'O'], ['B-PER']], [['B-PER', 'O'], ['B-PER']]),
    ]
    cases = []
    for preds, refs in hand:
        cases.append({'predictions': preds, 'references': refs})
    for scheme in ('IOB2', 'IOB1', 'IOE2', 'IOBES', 'BILOU'):
        for n_sent in (1, 4, 12):
            refs = [random_tags(rng, int(rng.integers(1, 14)), scheme) for _ in range(n_sent)]
            preds = [perturb(rng, r, scheme) for r in refs]
            cases.append({'predictions': preds, 'references': refs, 'family': scheme})
    for case in cases:
        refs, preds = case['references'], case['predictions']
        case['default'] = seqeval_report(refs, preds)
        case['strict'] = {s: seqeval_report(refs, preds, mode='strict', scheme=s)
                          for s in ('IOB1', 'IOB2', 'IOE1', 'IOE2', 'IOBES', 'BILOU')}
        case['strict_auto'] = seqeval_report(refs, preds, mode='strict')
        case['entities'] = [[list(e) for e in get_entities(r)] for r in refs]
    write('seqeval.json', {'seqeval': '1.2.2', 'cases': cases})


SQUAD_TEXTS = [
    'The Eiffel Tower', 'the eiffel tower!', 'Eiffel  Tower.', 'an apple a day', 'A', 'the', 'The the THE', '',
    '  ', 'Paris, France', 'paris france', '1,000 km', '1000 km', 'théâtre', 'Theatre', 'l\'été', 'anathema',
    'a_b', 'the_end', 'x\u00a0y', 'x\u2003y', 'x\x1cy', 'x\ufeffy', 'ΣΑΣ', 'straße', 'İstanbul', 'end of the line',
    'Über-the-top', 'the42', '42 the', 'naïve «quoted» text', 'a\u0301 b', 'the\u0301 answer', '٣ the ٤', '(a)', 'A.B.',
]


def squad_cases(rng, evaluate_repo):
    v1 = load(os.path.join(evaluate_repo, 'metrics', 'squad', 'compute_score.py'), 'squad_v1_score')
    v2 = load(os.path.join(evaluate_repo, 'metrics', 'squad_v2', 'compute_score.py'), 'squad_v2_score')
    normalize = [{'text': t, 'v1': v1.normalize_answer(t), 'v2': v2.normalize_answer(t)} for t in SQUAD_TEXTS]
    pairs = [{'prediction': p, 'gold': g, 'v1_exact': bool(v1.exact_match_score(p, g)), 'v1_f1': float(v1.f1_score(p, g)),
              'v2_exact': v2.compute_exact(g, p), 'v2_f1': float(v2.compute_f1(g, p))}
             for p, g in [(SQUAD_TEXTS[i], SQUAD_TEXTS[j]) for i, j in rng.integers(0, len(SQUAD_TEXTS), (120, 2))]
             + [('the cat sat on the mat', 'a cat sat on a mat mat'), ('cat cat cat', 'cat'), ('', ''), ('', 'x'), ('a an the', '')]]

    def v1_score(predictions, references):
        # As evaluate's squad metric calls the script.
        dataset = [{'paragraphs': [{'qas': [{'answers': [{'text': t} for t in r['answers']], 'id': r['id']} for r in references]}]}]
        return v1.compute_score(dataset=dataset, predictions=predictions)

    def v2_score(predictions, references, threshold=1.0):
        # As evaluate's squad_v2 metric computes it (metrics/squad_v2/squad_v2.py, _compute).
        na = {p['id']: p['no_answer_probability'] for p in predictions}
        dataset = [{'paragraphs': [{'qas': [{'id': r['id'], 'answers': {'text': r['answers'], 'answer_start': [0] * len(r['answers'])}} for r in references]}]}]
        preds = {p['id']: p['prediction_text'] for p in predictions}
        has_ans = v2.make_qid_to_has_ans(dataset)
        has_ids = [k for k, v in has_ans.items() if v]
        no_ids = [k for k, v in has_ans.items() if not v]
        exact_raw, f1_raw = v2.get_raw_scores(dataset, preds)
        exact = v2.apply_no_ans_threshold(exact_raw, na, has_ans, threshold)
        f1 = v2.apply_no_ans_threshold(f1_raw, na, has_ans, threshold)
        out = v2.make_eval_dict(exact, f1)
        if has_ids:
            v2.merge_eval(out, v2.make_eval_dict(exact, f1, qid_list=has_ids), 'HasAns')
        if no_ids:
            v2.merge_eval(out, v2.make_eval_dict(exact, f1, qid_list=no_ids), 'NoAns')
        v2.find_all_best_thresh(out, preds, exact_raw, f1_raw, na, has_ans)
        return {k: float(v) for k, v in out.items()}

    v1_sets = []
    for n in (1, 5, 30):
        refs = [{'id': f'q{i}', 'answers': [SQUAD_TEXTS[k] for k in rng.integers(0, len(SQUAD_TEXTS), int(rng.integers(1, 4)))]} for i in range(n)]
        preds = {r['id']: SQUAD_TEXTS[int(rng.integers(0, len(SQUAD_TEXTS)))] if rng.random() < 0.6 else r['answers'][0] for r in refs}
        if n == 30:
            del preds['q3']  # an unanswered question scores 0
        v1_sets.append({'predictions': preds, 'references': refs, 'score': v1_score(preds, refs)})
    v2_sets = []
    for n, threshold in ((1, 1.0), (6, 1.0), (40, 1.0), (40, 0.5)):
        refs = [{'id': f'q{i}', 'answers': [] if rng.random() < 0.4 else
                 [SQUAD_TEXTS[k] for k in rng.integers(0, len(SQUAD_TEXTS), int(rng.integers(1, 3)))]} for i in range(n)]
        preds = []
        for r in refs:
            r_text = '' if rng.random() < 0.3 else (r['answers'][0] if r['answers'] and rng.random() < 0.5 else SQUAD_TEXTS[int(rng.integers(0, len(SQUAD_TEXTS)))])
            preds.append({'id': r['id'], 'prediction_text': r_text,
                          'no_answer_probability': 0.0 if threshold == 1.0 and n < 40 else float(np.round(rng.random(), 2))})
        v2_sets.append({'predictions': preds, 'references': refs, 'threshold': threshold, 'score': v2_score(preds, refs, threshold)})
    write('squad.json', {'source': 'huggingface/evaluate metrics/squad*/compute_score.py', 'normalize': normalize,
                         'pairs': pairs, 'v1': v1_sets, 'v2': v2_sets})


def qa_cases(rng, utils_qa_path):
    utils_qa = load(utils_qa_path, 'utils_qa')
    utils_qa.tqdm = lambda items: items  # no progress bars in the generator's output
    words = 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau'.split()
    cases = []
    for version2 in (False, True):
        for n_examples, n_best, max_len, threshold in ((3, 20, 30, 0.0), (4, 5, 4, 0.0), (3, 20, 30, 1.5), (2, 3, 2, -2.0)):
            examples = []
            features = []
            for e in range(n_examples):
                ctx_words = [words[int(k)] for k in rng.integers(0, len(words), int(rng.integers(8, 40)))]
                context = ' '.join(ctx_words)
                examples.append({'id': f'ex{e}', 'context': context})
                spans = []
                pos = 0
                for w in ctx_words:
                    spans.append([pos, pos + len(w)])
                    pos += len(w) + 1
                # Windows of 12 context tokens with a stride of 4, after 5 question/special positions.
                start = 0
                while True:
                    window = spans[start:start + 12]
                    offsets = [None] * 5 + window + [None] + [None] * int(rng.integers(0, 3))
                    features.append({'example_id': f'ex{e}', 'offset_mapping': offsets})
                    if start + 12 >= len(spans):
                        break
                    start += 8
            n_tokens = max(len(f['offset_mapping']) for f in features)
            start_logits = rng.normal(0, 2, (len(features), n_tokens)).astype(np.float32)
            end_logits = rng.normal(0, 2, (len(features), n_tokens)).astype(np.float32)
            if version2:
                # Strong null scores on some features so that "no answer" wins sometimes.
                start_logits[::3, 0] += 4
                end_logits[::3, 0] += 4
            out_dir = tempfile.mkdtemp()
            predictions = utils_qa.postprocess_qa_predictions(
                examples=DictDataset(examples), features=features, predictions=(start_logits, end_logits),
                version_2_with_negative=version2, n_best_size=n_best, max_answer_length=max_len,
                null_score_diff_threshold=threshold, output_dir=out_dir)
            with open(os.path.join(out_dir, 'nbest_predictions.json')) as f:
                nbest = json.load(f)
            null_odds = None
            if version2:
                with open(os.path.join(out_dir, 'null_odds.json')) as f:
                    null_odds = json.load(f)
            cases.append({
                'version2': version2, 'n_best_size': n_best, 'max_answer_length': max_len, 'threshold': threshold,
                'examples': examples, 'features': features,
                'start_logits': start_logits.tolist(), 'end_logits': end_logits.tolist(),
                'predictions': dict(predictions), 'nbest': nbest, 'null_odds': null_odds,
            })
    write('qa_postprocess.json', {'source': 'run_qa utils_qa.postprocess_qa_predictions', 'cases': cases})


class DictDataset(list):
    """The two ways utils_qa reads the examples: examples['id'] (a column) and iteration over rows."""

    def __getitem__(self, key):
        if isinstance(key, str):
            return [row[key] for row in self]
        return list.__getitem__(self, key)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--evaluate-repo', required=True)
    parser.add_argument('--utils-qa', required=True)
    args = parser.parse_args()
    os.makedirs(OUT, exist_ok=True)
    classification(np.random.default_rng(11))
    correlation(np.random.default_rng(12))
    seqeval_cases(np.random.default_rng(13))
    squad_cases(np.random.default_rng(14), args.evaluate_repo)
    qa_cases(np.random.default_rng(15), args.utils_qa)


if __name__ == '__main__':
    sys.exit(main())
