"""PyTorch peer for scripts/bench/classic-job.js: the classic IMDb recipe (BERT, last encoder layer + a linear head on
[CLS], max length 256, batch 32, 2 epochs, AdamW 5e-5 with linear decay, clipping 1.0) on the reviews the bench wrote,
done the fastest way PyTorch offers on a CPU: the frozen layers run once per review (the hidden states entering the
trained layer are cached, as bertnode's frozen-layer cache does), transformers' default SDPA attention, and either
fp32 or torch.autocast('cpu', dtype=torch.bfloat16) (oneDNN's AMX kernels) with fp32 master weights.

Phases timed separately: `cache` (embeddings + frozen layers over the training and validation reviews, under
inference_mode), `train` (the epochs over the cached states, validation after each), `test` (the whole model over the
test reviews). Tokenisation (the fast Rust tokenizer) is timed in `tokenize`. Each batch is padded to its longest review
(truncated at max length), as bertnode pads, and batches that run without gradients go longest first, as bertnode's
do (its frozen-layer cache and evaluate sort by length): the cache is computed over length-sorted batches and kept per
review (its real tokens only), every epoch draws random batches of cached reviews padded to their longest, and the
validation and test reviews run in length-sorted batches.
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


def sorted_batches(tokenizer, examples):
    """Batches of BATCH reviews, longest first, each padded to its longest (truncated at MAX_LENGTH)."""
    ids = tokenizer([t for t, _ in examples], truncation=True, max_length=MAX_LENGTH)["input_ids"]
    order = sorted(range(len(examples)), key=lambda i: -len(ids[i]))
    out = []
    for start in range(0, len(order), BATCH):
        rows = order[start:start + BATCH]
        longest = max(len(ids[i]) for i in rows)
        batch = torch.zeros(len(rows), longest, dtype=torch.long)
        mask = torch.zeros(len(rows), longest, dtype=torch.long)
        for r, i in enumerate(rows):
            batch[r, :len(ids[i])] = torch.tensor(ids[i])
            mask[r, :len(ids[i])] = 1
        out.append((batch, mask, torch.tensor([examples[i][1] for i in rows])))
    return out


def per_review(cached_batches):
    """Each review's cached hidden states (real tokens only) with its label."""
    out = []
    for hidden, mask, labels in cached_batches:
        for r in range(hidden.shape[0]):
            out.append((hidden[r, :int(mask[r].sum())], int(labels[r])))
    return out


def padded(reviews):
    """A batch of cached reviews padded to the longest: hidden [B, T, H], mask [B, T], labels [B]."""
    longest = max(h.shape[0] for h, _ in reviews)
    hidden = torch.zeros(len(reviews), longest, reviews[0][0].shape[1], dtype=reviews[0][0].dtype)
    mask = torch.zeros(len(reviews), longest, dtype=torch.long)
    for r, (h, _) in enumerate(reviews):
        hidden[r, :h.shape[0]] = h
        mask[r, :h.shape[0]] = 1
    return hidden, mask, torch.tensor([label for _, label in reviews])


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
    train = sorted_batches(tokenizer, data["train"])
    validation = sorted_batches(tokenizer, data["validation"])
    test = sorted_batches(tokenizer, data["test"])
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
        cached_train = per_review([(prefix(ids, mask), mask, labels) for ids, mask, labels in train])
        cached_validation = [(prefix(ids, mask), mask, labels) for ids, mask, labels in validation]
    seconds["cache"] = time.perf_counter() - start

    params = list(last.parameters()) + list(head.parameters())
    optimizer = torch.optim.AdamW(params, lr=LR, weight_decay=0.01)
    steps_per_epoch = (len(cached_train) + BATCH - 1) // BATCH
    total = EPOCHS * steps_per_epoch
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
        for step in range(steps_per_epoch):
            hidden, mask, labels = padded([cached_train[i] for i in order[step * BATCH:(step + 1) * BATCH]])
            optimizer.zero_grad(set_to_none=True)
            with autocast():
                loss = torch.nn.functional.cross_entropy(logits_from(hidden, mask), labels)
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
