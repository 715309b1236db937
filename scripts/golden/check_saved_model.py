"""Checks that a model folder written by bertnode's TypeScript (lib/weights saveModel) is what Python
`transformers` expects: BertForSequenceClassification.from_pretrained loads it with no missing, unexpected or
mis-shaped keys, every tensor is identical (bit for bit) to the reference model's, the labels survive, the
logits are identical, and the tokenizer loads from the copied vocab.txt.

Run: /work/pyenv/bin/python scripts/golden/check_saved_model.py
  With no arguments it has the TS code write a folder (jest test/weights/save.test.ts with
  BERTNODE_SAVED_MODEL_DIR set) from the fixture test/fixtures/weights/pytorch-legacy, and compares with the
  same weights as transformers itself saved them (test/fixtures/weights/safetensors-f32).
  --dir D --reference R checks any saved folder D against a reference folder R instead.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import torch
from safetensors.torch import load_file
from transformers import BertForSequenceClassification, BertTokenizer

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FIXTURES = os.path.join(REPO, "test", "fixtures", "weights")


def write_with_typescript(out_dir):
    env = dict(os.environ, BERTNODE_SAVED_MODEL_DIR=out_dir)
    cmd = ["npx", "jest", "test/weights/save.test.ts", "-t", "saved for python"]
    subprocess.run(cmd, cwd=REPO, env=env, check=True)


def check(saved_dir, reference_dir):
    failures = []
    model, info = BertForSequenceClassification.from_pretrained(saved_dir, output_loading_info=True)
    for kind in ("missing_keys", "unexpected_keys", "mismatched_keys", "error_msgs"):
        if info.get(kind):
            failures.append(f"from_pretrained reported {kind}: {info[kind]}")
    reference = BertForSequenceClassification.from_pretrained(reference_dir).eval()
    model.eval()

    saved = load_file(os.path.join(saved_dir, "model.safetensors"))
    ref_sd = reference.state_dict()
    if set(saved) != set(ref_sd):
        failures.append(f"tensor names differ: only saved {sorted(set(saved) - set(ref_sd))}, only reference {sorted(set(ref_sd) - set(saved))}")
    for name in sorted(set(saved) & set(ref_sd)):
        if saved[name].dtype != torch.float32 or not torch.equal(saved[name], ref_sd[name]):
            failures.append(f"tensor {name} differs")
    for name, t in model.state_dict().items():
        if not torch.equal(t, ref_sd[name]):
            failures.append(f"loaded parameter {name} differs from the reference")

    if any(p.dtype != torch.float32 for p in model.parameters()):
        failures.append("from_pretrained did not give float32 parameters")
    if model.config.id2label != reference.config.id2label:
        failures.append(f"id2label {model.config.id2label} != {reference.config.id2label}")

    # Same weights, same code: the logits must be identical, not merely close.
    torch.manual_seed(0)
    ids = torch.randint(5, model.config.vocab_size, (3, 10))
    mask = torch.ones_like(ids)
    mask[1, 6:] = 0
    types = torch.zeros_like(ids)
    types[:, 5:] = 1
    with torch.no_grad():
        got = model(input_ids=ids, attention_mask=mask, token_type_ids=types).logits
        want = reference(input_ids=ids, attention_mask=mask, token_type_ids=types).logits
    if not torch.equal(got, want):
        failures.append(f"logits differ, max abs diff {(got - want).abs().max().item()}")

    if os.path.exists(os.path.join(saved_dir, "vocab.txt")):
        tok = BertTokenizer.from_pretrained(saved_dir)
        if tok.convert_tokens_to_ids("[CLS]") != 2:
            failures.append("tokenizer from the copied vocab.txt does not map [CLS] to 2")

    print(f"checked {saved_dir} against {reference_dir}: {len(saved)} tensors, logits {tuple(got.shape)}, labels {model.config.id2label}")
    for f in failures:
        print("FAIL:", f)
    print("OK: transformers loads the folder with identical tensors and logits" if not failures else f"{len(failures)} failure(s)")
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", help="a folder written by bertnode")
    parser.add_argument("--reference", help="a folder with the same weights saved by transformers")
    args = parser.parse_args()
    if args.dir:
        if not args.reference:
            parser.error("--dir needs --reference")
        return check(args.dir, args.reference)
    with tempfile.TemporaryDirectory(prefix="bertnode-saved-") as out:
        write_with_typescript(out)
        return check(out, os.path.join(FIXTURES, "safetensors-f32"))


if __name__ == "__main__":
    sys.exit(main())
