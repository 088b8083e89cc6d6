"""from_torch and `ridgeline profile` beside FlopCounterMode, fvcore and ptflops, in one run.

    .venv/bin/python bench/bench_importers.py [--quick]

Architectures (issue 11), built from transformers configs with their published sizes
(torchvision does not import beside this torch build): ResNet-18, ViT-B/16, ConvNeXt-T,
Swin-T, RegNet-Y-400MF-like and MobileNetV2 at 224x224 on CPU; GPT-2, BERT-base, T5-small,
Mistral-7B and Qwen2-0.5B at 512 tokens on the meta device (no memory, no arithmetic).
For each: wall time and peak Python memory (tracemalloc) of ridgeline's from_torch, of
torch's FlopCounterMode, and - vision models on CPU only, they need real tensors - of
fvcore's FlopCountAnalysis and ptflops. NB: the peers count FLOPs (or MACs) only; ridgeline
also gives bytes, intensity and the roofline per layer. The MACs columns show where they
agree (fvcore counts one "flop" per MAC; ptflops counts MACs, hooks on modules only).
Then `ridgeline profile` end to end on a GPT-2 config.json (a fresh process: wall time and
peak resident memory).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings

import torch
import transformers as tf

from ridgeline.importers import from_torch, profile_layers

VISION = {  # name: config (transformers' defaults are the published models unless set)
    "resnet18": lambda: tf.ResNetConfig(depths=[2, 2, 2, 2], layer_type="basic",
                                        hidden_sizes=[64, 128, 256, 512]),
    "vit_b_16": lambda: tf.ViTConfig(),
    "convnext_tiny": lambda: tf.ConvNextConfig(),
    "swin_t": lambda: tf.SwinConfig(),
    "regnet": lambda: tf.RegNetConfig(),
    "mobilenet_v2": lambda: tf.MobileNetV2Config(),
}
TEXT = {
    "gpt2": lambda: tf.GPT2Config(),
    "bert-base": lambda: tf.BertConfig(),
    "t5-small": lambda: tf.T5Config(),
    "mistral-7b": lambda: tf.MistralConfig(),
    "qwen2-0.5b": lambda: tf.Qwen2Config(hidden_size=896, intermediate_size=4864,
                                         num_hidden_layers=24, num_attention_heads=14,
                                         num_key_value_heads=2, tie_word_embeddings=True),
}


def measured(fn):
    """(result, seconds, peak MB of Python allocations) of fn()."""
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return out, dt, peak


def ours(model, inputs):
    layers = from_torch(model, inputs)
    return profile_layers(layers).totals.macs


def flop_counter(model, inputs):
    from torch.utils.flop_counter import FlopCounterMode
    with FlopCounterMode(display=False) as fc, torch.no_grad():
        model(*inputs)
    return fc.get_total_flops() // 2


def fvcore_macs(model, inputs):
    from fvcore.nn import FlopCountAnalysis
    a = FlopCountAnalysis(model, inputs)
    a.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    return int(a.total())


def ptflops_macs(model, inputs):
    from ptflops import get_model_complexity_info
    macs, _ = get_model_complexity_info(model, tuple(inputs[0].shape[1:]), as_strings=False,
                                        print_per_layer_stat=False, verbose=False)
    return int(macs) * inputs[0].shape[0]


class EncoderDecoder(torch.nn.Module):
    """T5 called positionally (encoder ids, decoder ids): every tool takes a module."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, ids, decoder_ids):
        return self.model(input_ids=ids, decoder_input_ids=decoder_ids)


def build(cfg_fn, auto, meta):
    cfg = cfg_fn()
    make = getattr(auto, "from_config", auto)  # AutoModel.from_config(cfg), or T5Model(cfg)
    if meta:
        with torch.device("meta"):
            return make(cfg).eval()
    return make(cfg).eval()


def row(name, model, inputs, peers):
    cells = [name]
    for label, fn in [("ridgeline", ours), ("FlopCounterMode", flop_counter), *peers]:
        try:
            macs, dt, peak = measured(lambda fn=fn: fn(model, inputs))
            cells.append(f"{macs / 1e9:8.3f} GMAC {dt:6.2f} s {peak:7.1f} MB")
        except Exception as exc:  # noqa: BLE001 (a peer that cannot trace this model)
            cells.append(f"{label}: {type(exc).__name__}"[:36])
    print(" | ".join(cells), flush=True)


def cli_profile():
    """`ridgeline profile config.json` in a fresh process: wall time, peak RSS (MB)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "config.json")
        cfg = tf.GPT2Config().to_dict()
        cfg["architectures"] = ["GPT2LMHeadModel"]
        with open(path, "w") as f:
            json.dump(cfg, f)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "ridgeline", "profile", path, "--seq-len", "512",
                        "--json"], check=True, capture_output=True)
        dt = time.perf_counter() - t0
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"ridgeline profile gpt2 config.json (fresh process): {dt:.2f} s, peak RSS {child:.0f} MB")


def main(quick: bool) -> None:
    warnings.simplefilter("ignore")
    torch.manual_seed(0)
    print("model | ridgeline from_torch+profile | FlopCounterMode | fvcore | ptflops "
          "(MACs, wall time, peak Python memory; peers: FLOPs/MACs only)")
    img = (torch.randn(1, 3, 224, 224),)
    peers = [("fvcore", fvcore_macs), ("ptflops", ptflops_macs)]
    for name, cfg in list(VISION.items())[:2 if quick else None]:
        row(name, build(cfg, tf.AutoModel, meta=False), img, peers)
    for name, cfg in list(TEXT.items())[:2 if quick else None]:
        model = build(cfg, tf.AutoModel, meta=True)
        ids = torch.zeros(1, 512, dtype=torch.long, device="meta")
        inputs = (ids, ids) if name == "t5-small" else (ids,)
        if name == "t5-small":
            model = EncoderDecoder(build(cfg, tf.T5Model, meta=True))
        row(name, model, inputs, [])
    cli_profile()


if __name__ == "__main__":
    main("--quick" in sys.argv)
