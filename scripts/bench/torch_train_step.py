"""PyTorch peer for scripts/bench-train.js and bench-inference.js: times BertForSequenceClassification train steps
and forwards on the CPU, in the settings a PyTorch user runs: transformers' default attention (SDPA,
torch.nn.functional.scaled_dot_product_attention) in fp32, and the same under torch.autocast('cpu', dtype=bfloat16),
which sends the Linear layers and attention products to oneDNN's bf16 kernels (AMX where the CPU has it) with fp32
master weights and optimizer state.

Same shapes, same thread count, same trainable set as bertnode's run (the last K encoder layers + pooler +
classifier, plus the embeddings when the case says so); random weights (throughput does not depend on them); dropout
on for training steps (model.train()), off for forwards (model.eval() under inference_mode). A train step is
zero_grad + forward + loss (under autocast for bf16, as PyTorch's AMP recipe says: backward outside it) + backward +
clip_grad_norm_ + AdamW, like bertnode's trainStep. No GradScaler: bf16 has fp32's exponent range.
Prints one JSON object per case and setting: {case, setting: "fp32"|"bf16", seconds} (mean over `repeats` timed
calls after `warmup` untimed ones).
Usage: python torch_train_step.py '<json list of cases>' <threads> [settings, default fp32,bf16]
  case: {name, kind: "train"|"forward", config (bertnode camelCase), trainableLayers, trainEmbeddings,
         batchSize, seqLen, warmup, repeats}
"""
import contextlib
import json
import sys
import time

import torch
from transformers import BertConfig, BertForSequenceClassification


def set_trainable(model, trainable_layers, train_embeddings, num_layers):
    first = num_layers - trainable_layers
    params = []
    for name, p in model.named_parameters():
        if name.startswith("classifier.") or name.startswith("bert.pooler."):
            trainable = True
        elif name.startswith("bert.embeddings."):
            trainable = train_embeddings
        else:  # bert.encoder.layer.{i}.
            trainable = int(name.split(".")[3]) >= first
        p.requires_grad_(trainable)
        if trainable:
            params.append(p)
    return params


def time_case(case, setting):
    cfg = case["config"]
    config = BertConfig(
        vocab_size=cfg["vocabSize"], hidden_size=cfg["hiddenSize"], num_hidden_layers=cfg["numHiddenLayers"],
        num_attention_heads=cfg["numAttentionHeads"], intermediate_size=cfg["intermediateSize"],
        max_position_embeddings=cfg["maxPositionEmbeddings"], type_vocab_size=cfg["typeVocabSize"],
        hidden_dropout_prob=cfg["hiddenDropoutProb"], attention_probs_dropout_prob=cfg["attentionProbsDropoutProb"],
        num_labels=cfg["numLabels"],
    )
    torch.manual_seed(0)
    model = BertForSequenceClassification(config)
    b, t = case["batchSize"], case["seqLen"]
    ids = torch.randint(0, cfg["vocabSize"], (b, t))
    mask = torch.ones(b, t, dtype=torch.long)
    labels = torch.randint(0, cfg["numLabels"], (b,))

    def autocast():
        if setting == "bf16":
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    if case["kind"] == "train":
        params = set_trainable(model, case["trainableLayers"], case["trainEmbeddings"], cfg["numHiddenLayers"])
        optimizer = torch.optim.AdamW(params, lr=5e-5, weight_decay=0.01)
        model.train()

        def call():
            optimizer.zero_grad(set_to_none=True)
            with autocast():
                loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
    else:
        model.eval()

        def call():
            with torch.inference_mode(), autocast():
                model(input_ids=ids, attention_mask=mask)

    for _ in range(case["warmup"]):  # allocator, thread pool, lazy init
        call()
    start = time.perf_counter()
    for _ in range(case["repeats"]):
        call()
    return {"case": case["name"], "setting": setting, "seconds": (time.perf_counter() - start) / case["repeats"],
            "attention": model.config._attn_implementation}


def main():
    cases = json.loads(sys.argv[1])
    torch.set_num_threads(int(sys.argv[2]))
    settings = (sys.argv[3] if len(sys.argv) > 3 else "fp32,bf16").split(",")
    print(json.dumps({"versions": {"torch": torch.__version__,
                                   "transformers": __import__("transformers").__version__},
                      "threads": torch.get_num_threads()}), flush=True)
    for case in cases:
        for setting in settings:
            print(json.dumps(time_case(case, setting)), flush=True)


if __name__ == "__main__":
    main()
