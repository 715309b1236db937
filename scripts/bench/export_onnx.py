"""ONNX side of scripts/bench-inference.js: builds a random-initialised BertForSequenceClassification (transformers'
own init, seed 0), saves it with save_pretrained (config.json + model.safetensors, which bertnode loads) and exports
the same module to model.onnx (TorchScript exporter, eval mode, fixed shape [batch, seq]), so both runtimes read
identical weights. Prints one JSON line: {onnx, versions}.
Usage: python export_onnx.py <out dir> '<bertnode camelCase config json>' <batch> <seq>
The exporter needs the `onnx` package; bench-inference.js installs it into a cache folder when the interpreter lacks
it and names that folder in BERTNODE_BENCH_PYTHONPATH, which goes at the END of sys.path so that the interpreter's
own packages (numpy, torch) still win over the copies pip put beside onnx.
"""
import json
import os
import sys

if os.environ.get("BERTNODE_BENCH_PYTHONPATH"):
    sys.path.append(os.environ["BERTNODE_BENCH_PYTHONPATH"])

import torch  # noqa: E402
from transformers import BertConfig, BertForSequenceClassification  # noqa: E402


def main():
    out_dir, cfg, batch, seq = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    config = BertConfig(
        vocab_size=cfg["vocabSize"], hidden_size=cfg["hiddenSize"], num_hidden_layers=cfg["numHiddenLayers"],
        num_attention_heads=cfg["numAttentionHeads"], intermediate_size=cfg["intermediateSize"],
        max_position_embeddings=cfg["maxPositionEmbeddings"], type_vocab_size=cfg["typeVocabSize"],
        layer_norm_eps=cfg["layerNormEps"], num_labels=cfg["numLabels"], attn_implementation="eager",
    )
    torch.manual_seed(0)
    model = BertForSequenceClassification(config).eval()
    model.save_pretrained(out_dir, safe_serialization=True)
    # Traced with padding in the mask (last example half padded): with an all-ones mask transformers may skip the
    # mask entirely, and the trace would freeze that shortcut into the graph.
    mask = torch.ones(batch, seq, dtype=torch.long)
    mask[-1, seq // 2:] = 0
    inputs = (torch.ones(batch, seq, dtype=torch.long), mask, torch.zeros(batch, seq, dtype=torch.long))
    onnx_path = os.path.join(out_dir, "model.onnx")
    with torch.no_grad():
        torch.onnx.export(model, inputs, onnx_path, input_names=["input_ids", "attention_mask", "token_type_ids"],
                          output_names=["logits"], opset_version=17, dynamo=False, do_constant_folding=True)
    print(json.dumps({"onnx": onnx_path, "versions": {"torch": torch.__version__,
                                                      "transformers": __import__("transformers").__version__}}))


if __name__ == "__main__":
    main()
