"""PyTorch + transformers peer for scripts/bench-gpu.js: the same bert-base shapes, recipes and precision on the same
GPU. Prints one JSON line: seconds per call for 'train_step.classic', 'train_step.full' and 'forward', plus the
versions; or {"error": ...} when torch with CUDA or transformers is missing.

Argument: one JSON object {config, recipes, precision, batchSize, seqLen, steps, warmup, device} (bench-gpu.js builds
it); device is 'cuda', or 'cpu' when bench-gpu.js runs with --device cpu to check itself and this script on a
machine without a GPU.
Both sides do the same work per step: forward with dropout, cross-entropy, backward, global-norm clipping, AdamW.
Differences, stated: transformers' default attention (SDPA, fused kernels) against bertnode's explicit softmax; the
classic recipe's head is bertnode's 'cls' (linear on [CLS]) against BertForSequenceClassification's pooler + linear,
trained alongside the last layer (one 768x768 GEMM on 32 rows: negligible).
"""
import json
import sys
import time


def main():
    args = json.loads(sys.argv[1])
    try:
        import torch
        import transformers
        from transformers import BertConfig, BertForSequenceClassification
    except Exception as e:  # any import failure means no peer on this machine
        print(json.dumps({"error": f"PyTorch/transformers not importable: {e}"}))
        return
    device = args.get("device", "cuda")
    if device == "cuda" and not torch.cuda.is_available():
        print(json.dumps({"error": "torch has no CUDA device"}))
        return
    on_gpu = device == "cuda"

    c = args["config"]
    precision = args["precision"]
    torch.backends.cuda.matmul.allow_tf32 = precision == "tf32"
    torch.backends.cudnn.allow_tf32 = precision == "tf32"
    config = BertConfig(
        vocab_size=c["vocabSize"], hidden_size=c["hiddenSize"], num_hidden_layers=c["numHiddenLayers"],
        num_attention_heads=c["numAttentionHeads"], intermediate_size=c["intermediateSize"],
        max_position_embeddings=c["maxPositionEmbeddings"], type_vocab_size=c["typeVocabSize"],
        layer_norm_eps=c["layerNormEps"], hidden_dropout_prob=c["hiddenDropoutProb"],
        attention_probs_dropout_prob=c["attentionProbsDropoutProb"], num_labels=c["numLabels"])
    B, T = args["batchSize"], args["seqLen"]
    ids = torch.randint(1000, c["vocabSize"], (B, T), device=device)
    mask = torch.ones(B, T, dtype=torch.long, device=device)
    types = torch.zeros(B, T, dtype=torch.long, device=device)
    labels = torch.arange(B, device=device) % 2
    autocast = torch.autocast(device, dtype=torch.bfloat16, enabled=precision == "bf16")

    def synchronize():
        # GPU work is queued asynchronously: the clock may only be read once it has finished.
        if on_gpu:
            torch.cuda.synchronize()

    def timed(fn):
        for _ in range(args["warmup"]):
            fn()
        synchronize()
        start = time.perf_counter()
        for _ in range(args["steps"]):
            fn()
        synchronize()
        return (time.perf_counter() - start) / args["steps"]

    results = {}
    for name, recipe in args["recipes"].items():
        model = BertForSequenceClassification(config).to(device)
        trainable_layers = recipe["trainableLayers"]
        for pname, p in model.named_parameters():
            layer = pname.split("encoder.layer.")[1].split(".")[0] if "encoder.layer." in pname else None
            if pname.startswith("bert.embeddings."):
                p.requires_grad = recipe["trainEmbeddings"]
            elif layer is not None:
                p.requires_grad = int(layer) >= c["numHiddenLayers"] - trainable_layers
        params = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(params, lr=2e-5, weight_decay=0.01)
        model.train()

        def step():
            with autocast:
                loss = model(input_ids=ids, attention_mask=mask, token_type_ids=types, labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)

        results[f"train_step.{name}"] = timed(step)
        attention = getattr(model.config, "_attn_implementation", None)
        if name == "classic":
            model.eval()

            def forward():
                with torch.no_grad(), autocast:
                    model(input_ids=ids, attention_mask=mask, token_type_ids=types)

            results["forward"] = timed(forward)
        del model, optimizer
        if on_gpu:
            torch.cuda.empty_cache()
    results["versions"] = {"torch": torch.__version__, "transformers": transformers.__version__,
                           "attention": attention}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
