"""PyTorch peer for scripts/bench-train.js: times BertForSequenceClassification train steps and forwards on the CPU.

Same shapes, same thread count, same trainable set as bertnode's run; random weights (throughput does not depend on
them), dropout on as in training. Prints one JSON object per line: {case, stepSeconds, forwardSeconds}.
Usage: python torch_train_step.py '<json list of cases>' <threads> <repeats>
"""
import json
import sys
import time

import torch
from transformers import BertConfig, BertForSequenceClassification


def trainable_parameters(model, trainable_layers, num_layers):
    for p in model.parameters():
        p.requires_grad_(False)
    first = num_layers - trainable_layers
    for name, p in model.named_parameters():
        if name.startswith("classifier.") or name.startswith("bert.pooler."):
            p.requires_grad_(True)
        elif name.startswith("bert.encoder.layer."):
            if int(name.split(".")[3]) >= first:
                p.requires_grad_(True)
    return [p for p in model.parameters() if p.requires_grad]


def time_case(case, repeats):
    cfg = case["config"]
    config = BertConfig(
        vocab_size=cfg["vocabSize"], hidden_size=cfg["hiddenSize"], num_hidden_layers=cfg["numHiddenLayers"],
        num_attention_heads=cfg["numAttentionHeads"], intermediate_size=cfg["intermediateSize"],
        max_position_embeddings=cfg["maxPositionEmbeddings"], num_labels=2, attn_implementation="eager",
    )
    torch.manual_seed(0)
    model = BertForSequenceClassification(config)
    params = trainable_parameters(model, case["trainableLayers"], cfg["numHiddenLayers"])
    optimizer = torch.optim.AdamW(params, lr=5e-5, weight_decay=0.01)
    b, t = case["batchSize"], case["seqLen"]
    ids = torch.randint(0, cfg["vocabSize"], (b, t))
    mask = torch.ones(b, t, dtype=torch.long)
    labels = torch.randint(0, 2, (b,))

    def step():
        model.train()
        optimizer.zero_grad(set_to_none=True)
        out = model(input_ids=ids, attention_mask=mask, labels=labels)
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()

    def forward():
        model.eval()
        with torch.inference_mode():
            model(input_ids=ids, attention_mask=mask)

    step()  # warm-up: allocator, thread pool, lazy init
    start = time.perf_counter()
    for _ in range(repeats):
        step()
    step_seconds = (time.perf_counter() - start) / repeats
    forward()
    start = time.perf_counter()
    for _ in range(repeats):
        forward()
    forward_seconds = (time.perf_counter() - start) / repeats
    return {"case": case["name"], "stepSeconds": step_seconds, "forwardSeconds": forward_seconds}


def main():
    cases = json.loads(sys.argv[1])
    torch.set_num_threads(int(sys.argv[2]))
    repeats = int(sys.argv[3])
    for case in cases:
        print(json.dumps(time_case(case, repeats)), flush=True)


if __name__ == "__main__":
    main()
