"""Reference cases for lib/metrics/multilabel.ts, computed by scikit-learn on 0/1 indicator matrices, as
transformers' run_classification.py scores multi-label predictions (sigmoid > threshold, then sklearn):

  accuracy_score (subset accuracy), precision/recall/f1 with average='micro', f1 with average='macro' and
  average=None (per class), zero_division=0                 -> test/fixtures/metrics/multilabel.json

Run: /work/pyenv/bin/python scripts/golden/generate_multilabel_metric_cases.py

Random cases come from numpy's seeded generator; hand-picked ones cover a class never present nor predicted,
nothing predicted at all and every row right. (One column is not a multi-label case for sklearn: it reads it
as binary classification, whose micro F1 pools both classes, so lib/metrics refuses k = 1.)
"""
import json
import os
import warnings

import numpy as np
import sklearn
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'metrics', 'multilabel.json')
warnings.filterwarnings('ignore')


def case(pred, ref):
    pred = np.asarray(pred, dtype=np.int64)
    ref = np.asarray(ref, dtype=np.int64)
    return {
        'k': int(pred.shape[1]),
        'predictions': pred.reshape(-1).tolist(),
        'references': ref.reshape(-1).tolist(),
        'accuracy': float(accuracy_score(ref, pred)),
        'precision_micro': float(precision_score(ref, pred, average='micro', zero_division=0)),
        'recall_micro': float(recall_score(ref, pred, average='micro', zero_division=0)),
        'f1_micro': float(f1_score(ref, pred, average='micro', zero_division=0)),
        'f1_macro': float(f1_score(ref, pred, average='macro', zero_division=0)),
        'f1_per_class': [float(x) for x in f1_score(ref, pred, average=None, zero_division=0)],
        'precision_per_class': [float(x) for x in precision_score(ref, pred, average=None, zero_division=0)],
        'recall_per_class': [float(x) for x in recall_score(ref, pred, average=None, zero_division=0)],
    }


def main():
    rng = np.random.default_rng(20261203)
    cases = []
    for n, k, p in [(10, 3, 0.5), (40, 5, 0.3), (25, 2, 0.7), (100, 8, 0.2), (7, 4, 0.5)]:
        ref = (rng.random((n, k)) < p).astype(int)
        noise = rng.random((n, k)) < 0.25
        cases.append(case(np.where(noise, 1 - ref, ref), ref))
    cases.append(case([[1, 0, 0], [0, 1, 0]], [[1, 0, 0], [0, 0, 0]]))  # class 2 never present nor predicted
    cases.append(case([[0, 0], [0, 0], [0, 0]], [[1, 0], [0, 1], [0, 0]]))  # nothing predicted
    cases.append(case([[1, 0, 1], [0, 1, 1]], [[1, 0, 1], [0, 1, 1]]))  # every row right
    payload = {'generator': 'scripts/golden/generate_multilabel_metric_cases.py', 'sklearn': sklearn.__version__, 'cases': cases}
    with open(OUT, 'w') as f:
        json.dump(payload, f, indent=0)


if __name__ == '__main__':
    main()
