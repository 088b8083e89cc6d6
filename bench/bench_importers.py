"""from_torch and `ridgeline profile` beside FlopCounterMode, fvcore and ptflops, in one run.

    .venv/bin/python bench/bench_importers.py [--quick]

Architectures (issue 11), built from transformers configs with their published sizes
(torchvision does not import beside this torch build): ResNet-18, ViT-B/16, ConvNeXt-T,
Swin-T, RegNet-Y-400MF-like and MobileNetV2 at 224x224 on CPU; GPT-2, BERT-base, T5-small,
Mistral-7B and Qwen2-0.5B at 512 tokens (prefill) on the meta device (no memory, no
arithmetic), decoders with their LM head (as `ridgeline profile config.json` builds them).
For each: MACs, wall time and peak Python memory (tracemalloc) of ridgeline's from_torch, of
torch's FlopCounterMode, and - vision models on CPU only, they need real tensors - of
fvcore's FlopCountAnalysis and ptflops. NB: the peers count FLOPs (or MACs) only; ridgeline
also gives bytes, intensity and the roofline per layer. fvcore counts one "flop" per MAC;
ptflops counts MACs, hooks on modules. The last column splits ridgeline - FlopCounterMode
into attention (SDPA kernels and bmm) and everything else: bench/README.md explains it by op.

Then `ridgeline profile` end to end, each in a fresh process (`--torch` factories with
`--meta` for the vision models, config.json with `--phase prefill --seq-len 512` for the text
ones): MACs against the from_torch row, wall time and peak resident memory (VmHWM, read by the
process itself: a child's ru_maxrss would include the bench's own memory, inherited at
fork), beside the floor - a fresh process that only imports torch and transformers and
builds the same model on the meta device - so that ridgeline's own cost is the difference.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings

import torch
import transformers as tf

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


DECODERS = {"gpt2", "mistral-7b", "qwen2-0.5b"}  # built with their LM head (AutoModelForCausalLM)
ARCHITECTURES = {"gpt2": "GPT2LMHeadModel", "bert-base": "BertModel", "t5-small": "T5Model",
                 "mistral-7b": "MistralForCausalLM", "qwen2-0.5b": "Qwen2ForCausalLM"}


def ours(model, inputs):
    """(MACs, attention MACs) of from_torch + profile_layers."""
    from ridgeline.importers import from_torch, profile_layers  # not at import: see FACTORIES
    prof = profile_layers(from_torch(model, inputs))
    return prof.totals.macs, sum(e.macs for e in prof.layers if e.kind == "attention")


def flop_counter(model, inputs):
    """(MACs, MACs of SDPA kernels and bmm - attention in these models) of FlopCounterMode."""
    from torch.utils.flop_counter import FlopCounterMode
    with FlopCounterMode(display=False) as fc, torch.no_grad():
        model(*inputs)
    ops = fc.get_flop_counts()["Global"]
    attention = sum(v for k, v in ops.items() if "attention" in str(k) or str(k) == "aten.bmm")
    return fc.get_total_flops() // 2, attention // 2


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


def row(name, model, inputs, peers) -> int:
    """Print one model's row; return ridgeline's MACs (for the CLI rows)."""
    cells, got = [name], {}
    for label, fn in [("ridgeline", ours), ("FlopCounterMode", flop_counter), *peers]:
        try:
            out, dt, peak = measured(lambda fn=fn: fn(model, inputs))
            got[label] = out
            macs = out[0] if isinstance(out, tuple) else out
            cells.append(f"{macs / 1e9:8.3f} GMAC {dt:6.2f} s {peak:7.1f} MB")
        except Exception as exc:  # noqa: BLE001 (a peer that cannot trace this model)
            cells.append(f"{label}: {type(exc).__name__}"[:36])
    (a, att_a), (b, att_b) = got["ridgeline"], got["FlopCounterMode"]
    cells.append(f"{(a / b - 1) * 100:+5.1f} % = attention {(att_a - att_b) / 1e9:+.3f} "
                 f"(ours {att_a / 1e9:.3f}, theirs {att_b / 1e9:.3f}) + rest "
                 f"{(a - att_a - b + att_b) / 1e9:+.3f} GMAC")
    print(" | ".join(cells), flush=True)
    return a


CHILD = """
import sys, time
import torch, transformers
t0 = time.perf_counter()
try:
    exec(sys.argv[1])
finally:
    peak = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
    print("@@", time.perf_counter() - t0, int(peak) // 1024, file=sys.stderr)
"""
FACTORIES = """
import sys  # the vision factories; bench_importers imports no ridgeline at module level
sys.path.insert(0, {bench!r})
import transformers as tf
from bench_importers import VISION, build
globals().update({{n: (lambda n=n: build(VISION[n], tf.AutoModel, meta=False)) for n in VISION}})
"""


def fresh(code: str, cwd: str, runs: int) -> tuple:
    """(stdout, wall s, s after torch and transformers are imported, peak resident MB) of
    ``code`` in a fresh Python process: the least of ``runs`` runs (the one least disturbed
    by other work on this shared machine)."""
    outs = [_fresh_once(code, cwd) for _ in range(runs)]
    return outs[0][0], *(min(o[i] for o in outs) for i in (1, 2, 3))


def _fresh_once(code: str, cwd: str) -> tuple:
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", CHILD, code], cwd=cwd, capture_output=True,
                       text=True, check=False)
    dt = time.perf_counter() - t0
    mark = [ln.split() for ln in p.stderr.splitlines() if ln.startswith("@@ ")]
    if p.returncode or not mark:
        raise RuntimeError(p.stderr.strip().splitlines()[-1] if p.stderr.strip() else "failed")
    return p.stdout, dt, float(mark[-1][1]), int(mark[-1][2])


def cli_commands(name: str, tmp: str) -> tuple[list, str]:
    """(ridgeline's argv, the floor's code: torch + transformers + the model on meta)."""
    if name in VISION:
        argv = ["profile", "--torch", f"factories:{name}", "--input-shape", "1x3x224x224",
                "--meta", "--json"]
        return argv, f"import torch, factories\nwith torch.device('meta'): factories.{name}()"
    path = os.path.join(tmp, f"{name}.json")
    cfg = TEXT[name]().to_dict()
    auto = "AutoModelForCausalLM" if name in DECODERS else "AutoModel"
    cfg["architectures"] = [ARCHITECTURES[name]]
    with open(path, "w") as f:
        json.dump(cfg, f)
    floor = (f"import json, torch, transformers as tf\n"
             f"c = tf.AutoConfig.for_model(**json.load(open({path!r})))\n"
             f"with torch.device('meta'): tf.{auto}.from_config(c)")
    return ["profile", path, "--phase", "prefill", "--seq-len", "512", "--json"], floor


def cli_rows(names, macs: dict, runs: int) -> None:
    """`ridgeline profile` in a fresh process per model, beside the import-and-build floor."""
    print(f"\nridgeline profile, fresh process (least of {runs}) | MACs = from_torch row | wall "
          "(after importing torch + transformers) | peak RSS || floor: import torch + "
          "transformers, build the model on meta | ridgeline's own: the differences")
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "factories.py"), "w") as f:
            f.write(FACTORIES.format(bench=os.path.dirname(os.path.abspath(__file__))))
        for name in names:
            argv, floor = cli_commands(name, tmp)
            try:
                code = f"from ridgeline.cli import main; sys.exit(main({argv!r}))"
                out, dt, after, peak = fresh(code, tmp, runs)
                _, dt0, after0, peak0 = fresh(floor, tmp, runs)
            except RuntimeError as exc:
                print(f"{name}: {exc}", flush=True)
                continue
            got = json.loads(out)["totals"]["macs"]
            same = "yes" if got == macs.get(name) else f"no ({macs.get(name, 0) / 1e9:.3f})"
            print(f"{name} | {got / 1e9:8.3f} GMAC = {same} | {dt:5.2f} s ({after:4.2f} s) | "
                  f"{peak:4d} MB || {dt0:5.2f} s ({after0:4.2f} s) {peak0:4d} MB | "
                  f"{after - after0:+5.2f} s {peak - peak0:+4d} MB", flush=True)


def main(quick: bool) -> None:
    warnings.simplefilter("ignore")
    torch.manual_seed(0)
    print("model | ridgeline from_torch+profile | FlopCounterMode | fvcore | ptflops "
          "(MACs, wall time, peak Python memory; peers: FLOPs/MACs only) | ridgeline - "
          "FlopCounterMode")
    img = (torch.randn(1, 3, 224, 224),)
    peers = [("fvcore", fvcore_macs), ("ptflops", ptflops_macs)]
    vision, text = list(VISION)[:2 if quick else None], list(TEXT)[:2 if quick else None]
    macs = {}
    for name in vision:
        macs[name] = row(name, build(VISION[name], tf.AutoModel, meta=False), img, peers)
    for name in text:
        ids = torch.zeros(1, 512, dtype=torch.long, device="meta")
        if name == "t5-small":
            model, inputs = EncoderDecoder(build(TEXT[name], tf.T5Model, meta=True)), (ids, ids)
        else:
            auto = tf.AutoModelForCausalLM if name in DECODERS else tf.AutoModel
            model, inputs = build(TEXT[name], auto, meta=True), (ids,)
        macs[name] = row(name, model, inputs, [])
    cli_rows(vision + text, macs, 1 if quick else 3)


if __name__ == "__main__":
    main("--quick" in sys.argv)
