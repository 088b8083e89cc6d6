"""The ``ridgeline`` argument parser and its argument types. Standard library only.

Parsing never imports numpy, so ``ridgeline --help`` and a rejected argument are instant. Each
subcommand names its handler by string (``handler="cmd_op"``); :func:`ridgeline.cli.main` looks
it up in :mod:`ridgeline.cli`, where the handlers (and their heavy imports) live.
"""

from __future__ import annotations

import argparse
import math

PROG = "ridgeline"
#: Largest accepted size on the command line (ridgeline.errors.MAX_DIM, repeated here so that
#: parsing the arguments needs no numpy): beyond a billion on one axis a size is a typo.
MAX_DIM = 10**9
SWEEP_PARAMS = ("batch", "seq-len", "resolution", "frames")
MEMORY_MODELS = ("compulsory", "placed", "tiled")  # = ridgeline.ops.base.MEMORY_MODELS (test)
DEFAULT_MEMORY_MODEL = "placed"
PHASES = ("prefill", "decode")


class UsageError(Exception):
    """Bad command-line input found by the CLI itself (argparse or our own checks): exit 2."""


# ---------------------------------------------------------------- argument types


def _number(text: str):
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def whole(minimum: int = 1, maximum: int = MAX_DIM):
    """An argparse type: a whole number in [minimum, maximum] ('4096', '1e3' and '8.0' pass)."""

    def parse(text: str) -> int:
        x = _number(text)
        if isinstance(x, float) and not math.isfinite(x):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
        if isinstance(x, float) and not x.is_integer():
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}")
        if x < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {text!r}")
        if x > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum:,}, got {text!r}")
        return int(x)

    return parse


def name(what: str):
    """An argparse type: a name that is not blank. The text is kept as typed (the lookup that
    follows ignores case and surrounding spaces); a blank one is refused here, at the edge, so
    that an empty ``--hardware ""`` can never fall through to a default device."""

    def parse(text: str) -> str:
        if not text.strip():
            raise argparse.ArgumentTypeError(f"{what} cannot be blank, got {text!r}")
        return text

    return parse


def resolution(text: str) -> tuple[int, int]:
    """'3840x2160' -> (3840, 2160): WIDTHxHEIGHT in pixels."""
    parts = text.lower().replace("×", "x").split("x")
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise argparse.ArgumentTypeError(f"must be WIDTHxHEIGHT such as 3840x2160, got {text!r}")
    size = whole()
    return size(parts[0].strip()), size(parts[1].strip())


# ---------------------------------------------------------------- the parser


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line instead of argparse's usage block
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _add_output(p, csv_too: bool = False):
    g = p.add_mutually_exclusive_group()
    g.add_argument("--json", action="store_true", help="print JSON instead of a table")
    if csv_too:
        g.add_argument("--csv", action="store_true", help="print CSV (one row per layer/point)")


def _add_device(p, defaults: bool):
    hw, dt = ("h100-sxm", "bf16") if defaults else (None, None)
    p.add_argument("--hardware", default=hw, metavar="NAME", type=name("a device name"),
                   help=f"device (default: {hw or 'the model default'}; see 'ridgeline hardware')")
    p.add_argument("--dtype", default=dt, type=name("a number format"),
                   help=f"fp32, tf32, bf16, fp16, fp8, int8, int4 (default: {dt or 'the model default'})")
    p.add_argument("--memory-model", default=DEFAULT_MEMORY_MODEL, choices=MEMORY_MODELS,
                   help="placed (default): tensors that fit stay on chip, epilogues and "
                        "depthwise->pointwise fuse (docs/formulas.md 14); compulsory: every "
                        "tensor moves once (the seed's arithmetic intensity); tiled: re-reads "
                        "when operands exceed the device's on-chip memory")


def _add_workload(p):
    p.add_argument("--batch", type=whole(), help="batch size")
    p.add_argument("--seq-len", type=whole(),
                   help="tokens: prompt length in prefill, context length in decode")
    p.add_argument("--phase", choices=PHASES, help="prefill or decode (transformers)")
    p.add_argument("--resolution", type=resolution, metavar="WxH", help="input image size")
    p.add_argument("--frames", type=whole(), help="audio frames per inference")
    p.add_argument("--flash", action="store_true", default=None,
                   help="attention layers use FlashAttention's IO model")


def _op_parsers(sub):
    p = sub.add_parser("op", help="one operator on one device")
    kinds = p.add_subparsers(dest="kind", metavar="KIND", required=True, parser_class=_Parser)
    g = kinds.add_parser("gemm", help="C[MxN] = A[MxK] . B[KxN]  (B is the weight)")
    for d in ("m", "n", "k"):
        g.add_argument(f"--{d}", type=whole(), required=True)
    c = kinds.add_parser("conv2d", help="2-D convolution, NCHW")
    for d in ("batch", "in-channels", "out-channels", "height", "width", "kernel"):
        c.add_argument(f"--{d}", type=whole(), required=True)
    c.add_argument("--stride", type=whole(), default=1)
    c.add_argument("--padding", type=whole(minimum=0), default=0)
    c.add_argument("--dilation", type=whole(), default=1)
    c.add_argument("--groups", type=whole(), default=1, help="= channels for depthwise")
    a = kinds.add_parser("attention", help="scaled dot-product attention core (no projections)")
    for d in ("batch", "heads", "head-dim", "seq-len"):
        a.add_argument(f"--{d}", type=whole(), required=True)
    a.add_argument("--kv-heads", type=whole(), help="key/value heads (default: --heads)")
    a.add_argument("--phase", choices=PHASES, required=True)
    a.add_argument("--flash", action="store_true", help="FlashAttention's IO model")
    for k in (g, c, a):
        _add_device(k, defaults=True)
        _add_output(k)
        k.set_defaults(handler="cmd_op")


def _model_parsers(sub):
    pr = sub.add_parser("profile", help="a model layer by layer on a device")
    sw = sub.add_parser("sweep", help="one layer (or the whole model) as a parameter grows")
    rd = sub.add_parser("ridge", help="where a layer crosses the ridge point")
    for p in (pr, sw, rd):
        p.add_argument("model", metavar="MODEL", type=name("a model name"), nargs="?",
                       help="e.g. llama-3-70b, llama-3-8b, resnet50, or a Hugging Face "
                       "path/to/config.json" + (", or path/to/model.onnx" if p is pr else "")
                       + " (or --torch)")
        _add_device(p, defaults=False)
        _add_workload(p)
        _add_import(p)
    pr.add_argument("--max-mb", type=whole(maximum=1_000_000), metavar="MB",
                    help="ONNX only: the largest graph to read, in MB, weights' values excluded "
                         "(default 256, or $RIDGELINE_ONNX_MAX_MB)")
    pr.add_argument("--dims", action="append", metavar="NAME=VALUE",
                    help="ONNX only: a value for a symbolic dimension (repeatable)")
    for p in (sw, rd):
        p.add_argument("--param", choices=SWEEP_PARAMS, required=True,
                       help="the parameter to scale (overrides its fixed value)")
    sw.add_argument("--layer", type=name("a layer name"),
                    help="layer name (default: the whole model's totals)")
    rd.add_argument("--layer", required=True, type=name("a layer name"),
                    help="layer name (see 'ridgeline profile MODEL')")
    _sweep_range(sw)
    _add_output(pr, csv_too=True)
    _add_output(sw, csv_too=True)
    _add_output(rd)
    pr.set_defaults(handler="cmd_profile")
    sw.set_defaults(handler="cmd_sweep")
    rd.set_defaults(handler="cmd_ridge")


def _add_import(p):
    p.add_argument("--torch", metavar="PKG.MODULE:FACTORY",
                   help="profile your own PyTorch model: FACTORY() returns a torch.nn.Module")
    p.add_argument("--input-shape", action="append", metavar="1x3x224x224[:int64]",
                   help="--torch: one input's shape (repeat per input; :int64 for token ids)")
    p.add_argument("--meta", action="store_true",
                   help="--torch: build and run the model on the meta device (no memory)")
    p.add_argument("--plot", metavar="FILE", help="also write the roofline (profile) or "
                   "trajectory (sweep, ridge) chart: .svg, .png or .html")


def _sweep_range(sw):
    sw.add_argument("--from", dest="start", type=whole(), required=True, metavar="A",
                    help="first value (for resolution: the width; the aspect ratio is kept)")
    sw.add_argument("--to", dest="stop", type=whole(), required=True, metavar="B",
                    help="last value (>= A)")
    sw.add_argument("--points", type=whole(maximum=100_000), default=16,
                    help="grid points, log-spaced integers (default 16)")
    sw.add_argument("--linear", action="store_true", help="linear instead of log spacing")


def _device_parsers(sub):
    from .lab import add_lab_parsers  # lab, class-report, export-site (it imports this module)
    add_lab_parsers(sub)
    hw = sub.add_parser("hardware", help="list devices, or every figure of one with its source")
    hw.add_argument("name", nargs="?", metavar="NAME", type=name("a device name"))
    _add_output(hw)
    hw.set_defaults(handler="cmd_hardware")


def _challenge_parser(sub):
    ch = sub.add_parser("challenge", help="the lab's Part 3 answer key for a track: the start, "
                        "the energy/intensity frontier and every passing operator mix")
    ch.add_argument("track", metavar="TRACK", type=name("a track name"),
                    help="cloud, edge, mobile or tiny")
    _add_output(ch)
    ch.set_defaults(handler="cmd_challenge")


def _measure_parser(sub):
    me = sub.add_parser("measure", help="measure this machine (device 'this-machine') and check "
                        "the engine's predictions against real layers")
    me.add_argument("--quick", action="store_true",
                    help="fewer repeats, sizes and layers (under a minute on 2 cores)")
    me.add_argument("--threads", type=whole(maximum=4096), metavar="N",
                    help="threads for the kernels (default: torch's/the BLAS's own)")
    me.add_argument("--cached", action="store_true",
                    help="print the cached measurement instead of measuring again")
    _add_output(me)
    me.set_defaults(handler="cmd_measure")


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__  # a plain string: ridgeline/__init__ loads the API lazily
    parser = _Parser(prog=PROG, description="Arithmetic intensity, roofline time and energy of "
                     "neural-network layers on named hardware. FLOPs = 2 x MACs.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    _device_parsers(sub)
    _op_parsers(sub)
    _model_parsers(sub)
    _measure_parser(sub)
    _challenge_parser(sub)
    return parser
