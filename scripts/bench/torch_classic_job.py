"""PyTorch peer for scripts/bench/classic-job.js: the classic IMDb recipe (BERT, last encoder layer + a linear head on
[CLS], max length 256, batch 32, 2 epochs, AdamW 5e-5 with linear decay, clipping 1.0) on the reviews the bench wrote,
done the fastest way PyTorch offers on a CPU: the frozen layers run once per review (the hidden states entering the
trained layer are cached, as bertnode's frozen-layer cache does), transformers' default SDPA attention, and either
fp32 or torch.autocast('cpu', dtype=torch.bfloat16) (oneDNN's AMX kernels) with fp32 master weights.

Phases timed separately: `cache` (embeddings + frozen layers over the training and validation reviews, under
inference_mode), `train` (the epochs over the cached states, validation after each), `test` (the whole model over the
test reviews). Tokenisation (the fast Rust tokenizer) is timed in `tokenize`. Each batch is padded to its longest review
(truncated at max length), as bertnode pads.
Prints one JSON line: {setting, seconds: {tokenize, cache, train, test}, accuracy: {validation, test}}.
Usage: python torch_classic_job.py <model dir> <data.json> <threads> <fp32|bf16>
  data.json: {"train": [[text, label], ...], "validation": [...], "test": [...]}
"""
import contextlib
import json
import sys
import time

import torch
from transformers import BertConfig, BertModel, BertTokenizerFast

MAX_LENGTH, BATCH, EPOCHS, LR = 256, 32, 2, 5e-5


def batches(tokenizer, examples, shuffle_seed=None):
    order = list(range(len(examples)))
    if shuffle_seed is not None:
        order = torch.randperm(len(examples), generator=torch.Generator().manual_seed(shuffle_seed)).tolist()
    out = []
    for start in range(0, len(order), BATCH):
        chunk = [examples[i] for i in order[start:start + BATCH]]
        enc = tokenizer([t for t, _ in chunk], truncation=True, max_length=MAX_LENGTH, padding=True,
                        return_tensors="pt")
        out.append((enc["input_ids"], enc["attention_mask"], torch.tensor([label for _, label in chunk])))
    return out


def first(output):
    """transformers 5's BertLayer returns the hidden states; 4.x returned a tuple starting with them."""
    return output[0] if isinstance(output, tuple) else output


def main():
    model_dir, data_path, threads, setting = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    data = json.load(open(data_path))
    tokenizer = BertTokenizerFast(vocab_file=f"{model_dir}/vocab.txt", do_lower_case=True)
    bert = BertModel.from_pretrained(model_dir, add_pooling_layer=False)
    bert.eval()
    head = torch.nn.Linear(bert.config.hidden_size, 2)
    last = bert.encoder.layer[-1]
    frozen = bert.encoder.layer[:-1]
    autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if setting == "bf16" else contextlib.nullcontext
    seconds = {}

    start = time.perf_counter()
    train = batches(tokenizer, data["train"])
    validation = batches(tokenizer, data["validation"])
    test = batches(tokenizer, data["test"])
    seconds["tokenize"] = time.perf_counter() - start

    def extended(mask, dtype):
        return (1.0 - mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min

    def prefix(ids, mask):
        hidden = bert.embeddings(input_ids=ids)
        for layer in frozen:
            hidden = first(layer(hidden, attention_mask=extended(mask, hidden.dtype)))
        return hidden

    start = time.perf_counter()
    with torch.inference_mode(), autocast():
        cached_train = [(prefix(ids, mask), mask, labels) for ids, mask, labels in train]
        cached_validation = [(prefix(ids, mask), mask, labels) for ids, mask, labels in validation]
    seconds["cache"] = time.perf_counter() - start

    params = list(last.parameters()) + list(head.parameters())
    optimizer = torch.optim.AdamW(params, lr=LR, weight_decay=0.01)
    total = EPOCHS * len(cached_train)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: max(0.0, 1 - step / total))
    dropout = torch.nn.Dropout(0.1)

    def logits_from(hidden, mask):
        out = first(last(hidden, attention_mask=extended(mask, hidden.dtype)))
        return head(dropout(out[:, 0]))

    def accuracy(cached):
        last.eval(), dropout.eval()
        right = 0
        with torch.inference_mode(), autocast():
            for hidden, mask, labels in cached:
                right += (logits_from(hidden, mask).argmax(-1) == labels).sum().item()
        last.train(), dropout.train()
        return right / sum(len(labels) for _, _, labels in cached)

    start = time.perf_counter()
    accuracies = {}
    for epoch in range(EPOCHS):
        last.train(), dropout.train()
        order = torch.randperm(len(cached_train), generator=torch.Generator().manual_seed(epoch)).tolist()
        for i in order:
            hidden, mask, labels = cached_train[i]
            optimizer.zero_grad(set_to_none=True)
            with autocast():
                # An inference-mode tensor cannot be saved for backward: the trained layer gets a normal copy.
                loss = torch.nn.functional.cross_entropy(logits_from(hidden.clone(), mask), labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            scheduler.step()
        accuracies["validation"] = accuracy(cached_validation)
    seconds["train"] = time.perf_counter() - start

    start = time.perf_counter()
    last.eval()
    right = 0
    with torch.inference_mode(), autocast():
        for ids, mask, labels in test:
            out = bert(input_ids=ids, attention_mask=mask).last_hidden_state
            right += (head(out[:, 0]).argmax(-1) == labels).sum().item()
    seconds["test"] = time.perf_counter() - start
    accuracies["test"] = right / len(data["test"])
    print(json.dumps({"setting": setting, "seconds": seconds, "accuracy": accuracies,
                      "versions": {"torch": torch.__version__, "transformers": __import__("transformers").__version__},
                      "attention": bert.config._attn_implementation, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
