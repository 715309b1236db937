"""Checks that the task models bertnode saves (lib/tasks: BertTokenClassifier, BertQuestionAnswerer,
BertMultipleChoice, BertMaskedLM with and without next-sentence prediction, BertSequenceClassifier multi-label and
regression, BertClassifier multi-label and regression with the pooler head, BertEmbedder) load in Python
`transformers` with the matching AutoModelFor... class and give bertnode's outputs.

Run: /work/pyenv/bin/python scripts/golden/check_task_models.py [--dir D]
  1. writes a tiny random BertForPreTraining (and a word vocabulary) to D/base;
  2. runs scripts/golden/write_task_models.js (needs `npx tsc -p tsconfig.build.json`), which fits each task class
     a few steps from D/base, saves it to D/<task> and records the engine's outputs on fixed inputs;
  3. loads each D/<task> with transformers and compares.
Tolerance 1e-4 absolute on the outputs: the same float32 weights, but the engine's GEMMs and reductions sum in
another order than PyTorch's (observed differences are ~1e-6 on these tiny models).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import torch
from transformers import (AutoModel, AutoModelForMaskedLM, AutoModelForMultipleChoice, AutoModelForPreTraining,
                          AutoModelForQuestionAnswering, AutoModelForSequenceClassification, AutoModelForTokenClassification, BertConfig,
                          BertForPreTraining)

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
TOLERANCE = 1e-4
WORDS = ["good", "bad", "movie", "plot", "the", "was", "is", "a", "great", "awful", "what", "it"]
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + WORDS

CLASSES = {
    "token-classification": ("BertForTokenClassification", AutoModelForTokenClassification),
    "question-answering": ("BertForQuestionAnswering", AutoModelForQuestionAnswering),
    "multiple-choice": ("BertForMultipleChoice", AutoModelForMultipleChoice),
    "masked-lm": ("BertForMaskedLM", AutoModelForMaskedLM),
    "pretraining": ("BertForPreTraining", AutoModelForPreTraining),
    "sequence-multi-label": ("BertForSequenceClassification", AutoModelForSequenceClassification),
    "sequence-regression": ("BertForSequenceClassification", AutoModelForSequenceClassification),
    "classifier-multi-label": ("BertForSequenceClassification", AutoModelForSequenceClassification),
    "classifier-regression": ("BertForSequenceClassification", AutoModelForSequenceClassification),
    "embedding": ("BertModel", AutoModel),
}
PROBLEM_TYPES = {"sequence-multi-label": "multi_label_classification", "sequence-regression": "regression",
                 "classifier-multi-label": "multi_label_classification", "classifier-regression": "regression"}
# transformers' own reading of a saved model's labels: what inference needs (num_labels, and id2label for classes).
LABELS = {"classifier-multi-label": {0: "pos", 1: "neg", 2: "plot"}, "classifier-regression": {0: "LABEL_0"}}


def write_base(base):
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(VOCAB), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=64, max_position_embeddings=64, pad_token_id=0)
    BertForPreTraining(config).save_pretrained(base)
    with open(os.path.join(base, "vocab.txt"), "w") as f:
        f.write("\n".join(VOCAB) + "\n")
    with open(os.path.join(base, "tokenizer_config.json"), "w") as f:
        json.dump({"do_lower_case": True}, f)


def check(task_dir, name):
    architecture, auto = CLASSES[name]
    with open(os.path.join(task_dir, "config.json")) as f:
        config = json.load(f)
    failures = []
    if config.get("architectures") != [architecture]:
        failures.append(f"architectures {config.get('architectures')} != [{architecture}]")
    if name in PROBLEM_TYPES and config.get("problem_type") != PROBLEM_TYPES[name]:
        failures.append(f"problem_type {config.get('problem_type')} != {PROBLEM_TYPES[name]}")
    model, info = auto.from_pretrained(task_dir, output_loading_info=True)
    model.eval()
    if name in LABELS and (model.config.id2label != LABELS[name] or model.config.num_labels != len(LABELS[name])):
        failures.append(f"id2label {model.config.id2label} != {LABELS[name]}")
    if type(model).__name__ != architecture:
        failures.append(f"{auto.__name__} gave {type(model).__name__}")
    for kind in ("missing_keys", "unexpected_keys", "mismatched_keys"):
        keys = [k for k in info.get(kind, []) if not (name == "embedding" and k.startswith("pooler."))]
        if keys:
            failures.append(f"{kind}: {keys}")
    with open(os.path.join(task_dir, "bertnode-outputs.json")) as f:
        record = json.load(f)
    i = record["inputs"]
    shape = (i["batchSize"], i["seqLen"])
    ids = torch.tensor(i["inputIds"]).view(shape)
    mask = torch.tensor(i["attentionMask"]).view(shape)
    types = torch.tensor(i["tokenTypeIds"]).view(shape)
    rows = record["rows"]
    if rows > 1:
        ids, mask, types = (t.view(shape[0] // rows, rows, shape[1]) for t in (ids, mask, types))
    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=mask, token_type_ids=types)
    if name == "embedding":
        hidden = out.last_hidden_state
        m = mask.unsqueeze(-1).float()
        pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
        expected = {"logits": torch.nn.functional.normalize(pooled, dim=-1)}
    elif name == "question-answering":
        expected = {"startLogits": out.start_logits, "endLogits": out.end_logits}
    elif name == "pretraining":
        expected = {"logits": out.prediction_logits, "seqRelationshipLogits": out.seq_relationship_logits}
    else:
        expected = {"logits": out.logits}
    worst = 0.0
    for key, value in expected.items():
        mine = torch.tensor(record["outputs"][key])
        if mine.numel() != value.numel():
            failures.append(f"{key}: {mine.numel()} values, transformers has {value.numel()}")
            continue
        diff = (mine - value.reshape(-1)).abs().max().item()
        worst = max(worst, diff)
        if diff > TOLERANCE:
            failures.append(f"{key}: max |difference| {diff:.3g} > {TOLERANCE}")
    return failures, worst


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", help="work folder (default: a temporary one)")
    args = parser.parse_args()
    out = args.dir or tempfile.mkdtemp(prefix="bertnode-task-models-")
    write_base(os.path.join(out, "base"))
    subprocess.run(["node", os.path.join(REPO, "scripts", "golden", "write_task_models.js"), out], cwd=REPO, check=True)
    failed = False
    for name in CLASSES:
        failures, worst = check(os.path.join(out, name), name)
        status = "ok" if not failures else "FAIL"
        print(f"{name:22s} {CLASSES[name][0]:28s} {status}  max |bertnode - transformers| = {worst:.2e}")
        for f in failures:
            print(f"    {f}")
        failed = failed or bool(failures)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
