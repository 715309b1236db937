#!/usr/bin/env python3
"""Checks that a model fine-tuned and saved by bertnode (BertClassifier.save / scripts/finetune-imdb.js) loads in
Python transformers as BertForSequenceClassification and gives the same logits as bertnode on the same texts.

    /work/pyenv/bin/python scripts/golden/check_hf_logits.py <saved model folder> [text | "text ||| pair" ...]

bertnode's logits come from `node` running the built package (dist/, `npm run build:ts`). Token ids must match
exactly. Logits: bertnode's head is written in config.json as `bertnode_head`: 'pooler' is transformers' own
BertForSequenceClassification head (tanh pooler, then the classifier), so its logits are compared with
`model(**inputs).logits`; 'cls' (the classic recipe: the classifier on the last layer's [CLS] vector, no pooler) is
computed from the same loaded modules as `model.classifier(model.bert(**inputs).last_hidden_state[:, 0])`.
Exit status 1 when anything differs beyond the tolerance.
"""
import json
import os
import subprocess
import sys

import torch
from transformers import BertForSequenceClassification, BertTokenizerFast

# fp32 on both sides with different summation orders (blocked, threaded GEMMs vs MKL/oneDNN) through up to 12
# layers: differences of a few 1e-6 are expected; 1e-4 absolute on logits of magnitude ~1-10 leaves a wide margin
# while still catching any wrong weight, layout or head.
ATOL = 1e-4

DEFAULT_TEXTS = [
    "A wonderful film, the acting was superb!",
    "Boring and awful. I want my two hours back.",
    "An unwatchable, DULL film... <br /><br />Really.",
    "It was fine, I guess: not great, not terrible.",
    "A sentence pair ||| with a second text (token type 1).",
]
PAIR = " ||| "

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

NODE_SNIPPET = r"""
const { BertClassifier } = require(process.argv[1]);
(async () => {
  const clf = await BertClassifier.fromPretrained(process.argv[2], { device: 'cpu' });
  const texts = JSON.parse(process.argv[3]); // strings or [text, pair]
  const predictions = await clf.predict(texts);
  const ids = texts.map((t) => {
    const [a, b] = typeof t === 'string' ? [t, undefined] : t;
    return clf.tokenizer.encode(a, b, { maxLength: clf.maxLength, truncation: true }).inputIds;
  });
  process.stdout.write(JSON.stringify({ logits: predictions.map((p) => p.logits), ids, labels: clf.labels, head: clf.head }));
  clf.dispose();
})().catch((e) => { console.error(e); process.exit(1); });
"""


def bertnode_outputs(model_dir, texts):
    out = subprocess.run(
        ["node", "-e", NODE_SNIPPET, os.path.join(ROOT, "dist"), model_dir, json.dumps(texts)],
        capture_output=True, text=True,
    )
    if out.returncode != 0:
        sys.exit(f"bertnode could not load {model_dir} (is dist/ built?):\n{out.stderr}")
    return json.loads(out.stdout)


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    model_dir = os.path.abspath(sys.argv[1])
    texts = [t.split(PAIR, 1) if PAIR in t else t for t in (sys.argv[2:] or DEFAULT_TEXTS)]
    ours = bertnode_outputs(model_dir, texts)

    config = json.load(open(os.path.join(model_dir, "config.json")))
    head = config.get("bertnode_head", "pooler")
    tokenizer = BertTokenizerFast.from_pretrained(model_dir)
    model = BertForSequenceClassification.from_pretrained(model_dir).eval()
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]

    failures = []
    if labels != ours["labels"]:
        failures.append(f"labels differ: transformers {labels}, bertnode {ours['labels']}")
    if head != ours["head"]:
        failures.append(f"head differs: config.json {head}, bertnode {ours['head']}")
    worst = 0.0
    for i, text in enumerate(texts):
        args = text if isinstance(text, list) else [text]
        enc = tokenizer(*args, return_tensors="pt", truncation=True, max_length=len(ours["ids"][i]))
        if enc["input_ids"][0].tolist() != ours["ids"][i]:
            failures.append(f"text {i}: token ids differ")
            continue
        with torch.no_grad():
            if head == "cls":
                hidden = model.bert(**enc).last_hidden_state
                theirs = model.classifier(hidden[:, 0])[0]
            else:
                theirs = model(**enc).logits[0]
        diff = (theirs - torch.tensor(ours["logits"][i])).abs().max().item()
        worst = max(worst, diff)
        print(f"text {i}: transformers {[round(x, 6) for x in theirs.tolist()]} bertnode "
              f"{[round(x, 6) for x in ours['logits'][i]]} max |diff| {diff:.2e}")
        if diff > ATOL:
            failures.append(f"text {i}: logits differ by {diff:.2e} > {ATOL}")

    print(f"model {model_dir}: head '{head}', labels {labels}, {len(texts)} texts, worst |logit diff| {worst:.2e} (tolerance {ATOL})")
    for f in failures:
        print("FAIL:", f)
    print("OK: transformers BertForSequenceClassification reproduces bertnode's logits" if not failures else "FAILED")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
