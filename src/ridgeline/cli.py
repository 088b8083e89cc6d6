"""The ``ridgeline`` command line: a thin layer over ``ridgeline.api``, ``profile`` and ``sweep``.

    ridgeline lab        [--host 127.0.0.1] [--port 2718]
    ridgeline hardware   [NAME]
    ridgeline op         gemm | conv2d | attention  (dimensions as flags)
    ridgeline profile    MODEL
    ridgeline sweep      MODEL [--layer NAME] --param P --from A --to B
    ridgeline ridge      MODEL --layer NAME --param P

Every subcommand takes ``--json`` (``profile`` and ``sweep`` also ``--csv``). Bad input prints
one line, ``ridgeline: error: ...``, and exits 2; an internal error prints one line and exits 1
(``RIDGELINE_DEBUG=1`` shows the traceback). This module imports only the standard library at
the top; the core (numpy) is imported inside the handlers and the lab (marimo) only by
``ridgeline lab``, so ``--help`` and ``op`` stay fast.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys

from . import format as fmt

PROG = "ridgeline"
#: Largest accepted size on the command line (ridgeline.errors.MAX_DIM, repeated here so that
#: parsing the arguments needs no numpy): beyond a billion on one axis a size is a typo.
MAX_DIM = 10**9
SWEEP_PARAMS = ("batch", "seq-len", "resolution", "frames")
MEMORY_MODELS = ("compulsory", "tiled")
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
    p.add_argument("--hardware", default=hw, metavar="NAME",
                   help=f"device (default: {hw or 'the model default'}; see 'ridgeline hardware')")
    p.add_argument("--dtype", default=dt,
                   help=f"fp32, tf32, bf16, fp16, fp8, int8, int4 (default: {dt or 'the model default'})")
    p.add_argument("--memory-model", default="compulsory", choices=MEMORY_MODELS,
                   help="compulsory: every tensor moves once (default); tiled: re-reads when "
                        "operands exceed the device's on-chip memory")


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
        k.set_defaults(handler=cmd_op)


def _model_parsers(sub):
    pr = sub.add_parser("profile", help="a model layer by layer on a device")
    sw = sub.add_parser("sweep", help="one layer (or the whole model) as a parameter grows")
    rd = sub.add_parser("ridge", help="where a layer crosses the ridge point")
    for p in (pr, sw, rd):
        p.add_argument("model", metavar="MODEL", help="e.g. llama-3-70b, llama-3-8b, resnet50"
                       + (", or path/to/model.onnx (imported)" if p is pr else ""))
        _add_device(p, defaults=False)
        _add_workload(p)
    for p in (sw, rd):
        p.add_argument("--param", choices=SWEEP_PARAMS, required=True,
                       help="the parameter to scale (overrides its fixed value)")
    sw.add_argument("--layer", help="layer name (default: the whole model's totals)")
    rd.add_argument("--layer", required=True, help="layer name (see 'ridgeline profile MODEL')")
    sw.add_argument("--from", dest="start", type=whole(), required=True, metavar="A",
                    help="first value (for resolution: the width; the aspect ratio is kept)")
    sw.add_argument("--to", dest="stop", type=whole(), required=True, metavar="B",
                    help="last value (>= A)")
    sw.add_argument("--points", type=whole(maximum=100_000), default=16,
                    help="grid points, log-spaced integers (default 16)")
    sw.add_argument("--linear", action="store_true", help="linear instead of log spacing")
    _add_output(pr, csv_too=True)
    _add_output(sw, csv_too=True)
    _add_output(rd)
    pr.set_defaults(handler=cmd_profile)
    sw.set_defaults(handler=cmd_sweep)
    rd.set_defaults(handler=cmd_ridge)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Arithmetic intensity, roofline time and energy of "
                     "neural-network layers on named hardware. FLOPs = 2 x MACs.")
    from . import __version__
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    lab = sub.add_parser("lab", help="open the interactive lab in the browser")
    lab.add_argument("--host", default="127.0.0.1",
                     help="address to bind (default 127.0.0.1; anything else exposes the lab)")
    lab.add_argument("--port", type=whole(minimum=0, maximum=65_535), default=2718)
    _add_output(lab)
    lab.set_defaults(handler=cmd_lab)
    hw = sub.add_parser("hardware", help="list devices, or every figure of one with its source")
    hw.add_argument("name", nargs="?", metavar="NAME")
    _add_output(hw)
    hw.set_defaults(handler=cmd_hardware)
    _op_parsers(sub)
    _model_parsers(sub)
    return parser


# ---------------------------------------------------------------- output helpers


def _jsonable(x):
    if hasattr(x, "tolist"):  # numpy scalars and arrays
        return x.tolist()
    raise TypeError(f"cannot serialize {type(x).__name__}")


def emit_json(obj) -> None:
    print(json.dumps(obj, indent=2, default=_jsonable))


def emit_csv(header: list[str], rows: list[list]) -> None:
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)


def _unit(dtype: str) -> str:
    """'FLOP' for floating point, 'op' for integer formats (PRODUCT.md conventions)."""
    from .dtypes import get_dtype
    return get_dtype(dtype).work_unit


def _source(fig) -> str:
    return fig.source + (" (estimate)" if fig.estimate else "")


def conventions(est, hw, flash: bool = False) -> str:
    """The one line that says how every number below was computed."""
    from .dtypes import get_dtype
    dt = get_dtype(est.dtype)
    peak_fig = hw.peaks[dt.peak_key]
    if est.memory_model == "tiled":
        model = (f"tiled (re-reads beyond {hw.onchip.name} "
                 f"{fmt.format_si(hw.onchip.capacity.value, 'B')} on chip)")
    else:
        model = "compulsory (every input, weight and output moves once)"
    if flash or est.kind == "flash_attention":
        model += "; attention uses FlashAttention's IO model (Dao et al. 2022, S36)"
    u = dt.work_unit
    return (f"conventions: dense peak {fmt.format_si(est.peak, u + '/s')} [{_source(peak_fig)}], "
            f"{hw.memory.name} {fmt.format_si(hw.bandwidth, 'B/s')} "
            f"[{_source(hw.memory.bandwidth)}]; memory model {model}; "
            f"{u}s = 2 x MACs; time = max({u}s/peak, bytes/bandwidth)")


def _scalar(x) -> float:
    return float(x.max()) if hasattr(x, "max") else float(x)


# ---------------------------------------------------------------- op


def _op_dims(args) -> dict:
    if args.kind == "gemm":
        return {"m": args.m, "n": args.n, "k": args.k}
    if args.kind == "conv2d":
        names = ("batch", "in_channels", "out_channels", "height", "width", "kernel", "stride",
                 "padding", "dilation", "groups")
        return {n: getattr(args, n) for n in names}
    return {"batch": args.batch, "heads": args.heads, "kv_heads": args.kv_heads or args.heads,
            "head_dim": args.head_dim, "seq_len": args.seq_len, "phase": args.phase,
            "flash": args.flash}


def cmd_op(args) -> int:
    from .api import op
    from .hardware import get_hardware
    dims = _op_dims(args)
    est = op(args.kind, args.hardware, args.dtype, args.memory_model, **dict(dims))
    if args.json:
        emit_json(dict(est.to_dict(), dims=dims))
        return 0
    dim_text = " ".join(f"{k}={v}" for k, v in dims.items() if v is not False)
    hw = get_hardware(est.hardware)
    print(f"{est.kind} on {hw.name} ({hw.key}), {est.dtype}: {dim_text}")
    print(conventions(est, hw))
    print()
    print(fmt.render_pairs(estimate_card(est)))
    return 0


def estimate_card(est) -> list[tuple[str, str]]:
    """The Layer Profiler card as 'key  value' lines."""
    u, b, s = _unit(est.dtype), est.bytes, fmt.format_si
    moved = [("weights", b.weights), ("inputs", b.inputs), ("outputs", b.outputs),
             ("KV cache", b.kv_cache), ("scratch", b.scratch)]
    intensity = fmt.format_ratio(est.intensity, u + "/B")
    return [
        ("work", f"{s(est.macs, 'MAC')} = {s(est.flops, u)}"),
        ("bytes", _split(b.total, moved[:4] + [p for p in moved[4:] if p[1]], "B")),
        ("intensity", f"{intensity} = {s(est.flops, u)} / {s(b.total, 'B')}"),
        ("ridge", fmt.format_ratio(est.ridge, u + "/B")),
        ("bound", f"{est.bound}-bound"),
        *_placement(est),
        ("time", _split(est.time_s, [("compute", est.time_compute_s),
                                     ("memory", est.time_memory_s)], "s")),
        ("energy", _split(est.energy_j, [("compute", est.energy_compute_j),
                                         ("memory", est.energy_memory_j),
                                         ("static", est.energy_static_j)], "J")),
    ]


def _placement(est) -> list[tuple[str, str]]:
    """Say so when the weights stream from the slow weight store (flash), not working memory."""
    if est.weights_in != "weight_store":
        return []
    from .hardware import get_hardware
    store = get_hardware(est.hardware).weight_store
    rate = fmt.format_si(store.bandwidth.value, "B/s")
    return [("weights in", f"{store.name}: too big for working memory, streamed at {rate}")]


def _split(whole_value, parts, unit) -> str:
    """'101 MB (weights 33.6 MB, inputs 33.6 MB, ...)'; zero-valued 'static' parts dropped."""
    shown = [(k, v) for k, v in parts if v or k != "static"]
    inner = ", ".join(f"{k} {fmt.format_si(v, unit)}" for k, v in shown)
    return f"{fmt.format_si(whole_value, unit)} ({inner})"


# ---------------------------------------------------------------- profile


def _workload(args, recipe) -> dict:
    """The model options the user gave (None = keep the recipe's default)."""
    used = {"seq_len": "seq-len", "resolution": "resolution", "frames": "frames"}
    swept = getattr(args, "param", None)
    for attr, param in used.items():
        if getattr(args, attr) is not None and param not in recipe.params and param != swept:
            raise UsageError(f"{recipe.key} does not use --{param}; it scales with: "
                             f"{', '.join(recipe.params)}")
    if args.phase is not None and "seq-len" not in recipe.params:
        raise UsageError(f"{recipe.key} has no prefill/decode phase (--phase is for transformers)")
    return {"batch": args.batch, "seq_len": args.seq_len, "phase": args.phase,
            "resolution": args.resolution, "frames": args.frames, "flash": args.flash}


def _workload_text(w, recipe) -> str:
    parts = [f"batch {fmt.format_count(w.batch)}"]
    if "seq-len" in recipe.params:
        parts += [w.phase, f"seq-len {fmt.format_count(w.seq_len)}"]
    if "resolution" in recipe.params:
        parts.append(f"{w.resolution[0]}x{w.resolution[1]}")
    if "frames" in recipe.params:
        parts.append(f"frames {fmt.format_count(w.frames)}")
    if w.flash:
        parts.append("FlashAttention")
    return ", ".join(parts)


PROFILE_CSV = ["name", "group", "kind", "count", "macs", "flops", "bytes_weights", "bytes_inputs",
               "bytes_outputs", "bytes_kv_cache", "bytes_scratch", "bytes_total", "intensity",
               "ridge", "bound", "time_s", "energy_j", "hardware", "dtype", "memory_model"]


def _csv_row(d: dict) -> list:
    flat = dict(d, **{f"bytes_{k}": v for k, v in d["bytes"].items()})
    return [flat.get(k, "") for k in PROFILE_CSV]


def cmd_profile(args) -> int:
    from .hardware import get_hardware
    from .profiling import profile
    from .recipes import get_model
    if is_onnx_path(args.model):  # a user's own model: see "profile an ONNX file" below
        return cmd_profile_onnx(args)
    recipe = get_model(args.model)
    prof = profile(recipe, args.hardware, args.dtype, args.memory_model, **_workload(args, recipe))
    if args.json:
        emit_json(dict(prof.to_dict(), title=recipe.title))
        return 0
    if args.csv:
        emit_csv(PROFILE_CSV, [_csv_row(d) for d in prof.to_dict()["layers"]])
        return 0
    hw = get_hardware(prof.hardware)
    print(f"{recipe.title} ({recipe.key}) on {hw.name} ({hw.key}), {prof.dtype}: "
          f"{_workload_text(prof.workload, recipe)}")
    print(conventions(prof.totals, hw, bool(prof.workload.flash))
          + "; each row covers all `count` copies of the layer")
    print()
    print(profile_table(prof))
    print()
    print(totals_line(prof.totals))
    print(capacity_line(prof, recipe, hw))
    return 0


def profile_table(prof) -> str:
    u = _unit(prof.dtype)
    s = fmt.format_si
    rows = []
    for e in [*prof.layers, prof.totals]:
        b = e.bytes
        rows.append([e.name, "" if e.kind == "total" else fmt.format_count(e.count),
                     s(e.macs, "MAC"), s(e.flops, u), s(b.weights, "B"),
                     s(b.inputs + b.outputs + b.scratch, "B"), s(b.kv_cache, "B"),
                     fmt.format_ratio(e.intensity, u + "/B"), e.bound, s(e.time_s, "s"),
                     s(e.energy_j, "J")])
    headers = ["layer", "count", "MACs", f"{u}s", "weights", "activations", "KV cache",
               "intensity", "bound", "time", "energy"]
    return fmt.render_table(headers, rows, align="lrrrrrrrlrr", rule_before={len(rows) - 1})


def totals_line(t) -> str:
    u = _unit(t.dtype)
    s = fmt.format_si
    return (f"total: {s(t.macs, 'MAC')} = {s(t.flops, u)}, {s(t.bytes.total, 'B')} moved, "
            f"intensity {fmt.format_ratio(t.intensity, u + '/B')} vs ridge "
            f"{fmt.format_ratio(t.ridge, u + '/B')}: {t.bound}-bound; "
            f"{s(t.time_s, 's')} and {s(t.energy_j, 'J')} per forward pass")


def capacity_line(prof, recipe, hw) -> str:
    """The capacity check in words: does the model (weights + KV cache + activations) fit?"""
    c, s = prof.capacity, fmt.format_si
    mem = f"{s(c.memory_bytes, 'B')} of {hw.memory.name}"
    acts = f"KV cache {s(c.kv_cache_bytes, 'B')} + largest activations {s(c.activation_bytes, 'B')}"
    if c.weights_in == "weight_store":
        return _capacity_with_store(c, recipe, prof.dtype, hw, acts, mem)
    held = f"weights {s(c.weights_bytes, 'B')} + {acts} = {s(c.working_bytes, 'B')}"
    if bool(c.fits):
        return f"capacity: fits on {hw.key}: {held} of {mem}"
    return (f"capacity: DOES NOT FIT: {recipe.title} in {prof.dtype} does not fit {hw.name} "
            f"({hw.key}): {held} > {mem}")


def _capacity_with_store(c, recipe, dtype, hw, acts, mem) -> str:
    """Weights live in the weight store (flash); activations and KV cache in working memory."""
    s, store = fmt.format_si, hw.weight_store
    in_store = f"weights {s(c.weights_bytes, 'B')} in {store.name}"
    working = f"{acts} = {s(c.working_bytes, 'B')}"
    if bool(c.fits):
        return (f"capacity: fits on {hw.key}: {in_store} (of {s(store.capacity.value, 'B')}); "
                f"{working} of {mem}")
    problems = []
    if c.weights_bytes > store.capacity.value:
        problems.append(f"{in_store} exceed its {s(store.capacity.value, 'B')}")
    if c.working_bytes > c.memory_bytes:
        problems.append(f"{working} > {mem}")
    return (f"capacity: DOES NOT FIT: {recipe.title} in {dtype} does not fit {hw.name} "
            f"({hw.key}): {'; '.join(problems)}")


# ---------------------------------------------------------------- profile an ONNX file
# (ridgeline.importers; the onnx package is imported only here, when MODEL ends in .onnx)


def is_onnx_path(model: str) -> bool:
    return model.lower().endswith(".onnx")


def _onnx_options(args) -> None:
    """An exported graph has fixed shapes: only a symbolic batch size can still be set."""
    fixed = {"seq_len": "--seq-len", "phase": "--phase", "resolution": "--resolution",
             "frames": "--frames", "flash": "--flash"}
    given = [flag for attr, flag in fixed.items() if getattr(args, attr) is not None]
    if given:
        raise UsageError(f"{', '.join(given)} cannot change an ONNX model's shapes (they are "
                         "fixed by the export); only --batch sets a symbolic batch size")


def cmd_profile_onnx(args) -> int:
    import types

    from .hardware import get_hardware
    from .importers import from_onnx, profile_layers
    _onnx_options(args)
    layers = from_onnx(args.model, batch=args.batch)
    prof = profile_layers(layers, args.hardware or "h100-sxm", args.dtype or "bf16",
                          args.memory_model, title=layers.name)
    if args.json:
        emit_json(dict(prof.to_dict(), title=layers.name, workload=None, imported={
            "format": "onnx", "path": args.model, "unsupported": layers.unsupported,
            "skipped": layers.skipped, "notes": layers.notes}))
        return 0
    if args.csv:
        emit_csv(PROFILE_CSV, [_csv_row(d) for d in prof.to_dict()["layers"]])
        for line in layers.warnings:
            print(f"{PROG}: warning: {line}", file=sys.stderr)
        return 0
    hw = get_hardware(prof.hardware)
    batch = f"batch {args.batch}" if args.batch else "shapes as exported"
    print(f"{layers.name} (imported from ONNX, {len(layers)} layers) on {hw.name} ({hw.key}), "
          f"{prof.dtype}: {batch}")
    print(conventions(prof.totals, hw) + "; each row covers all `count` copies of the layer")
    print()
    print(profile_table(prof))
    print()
    print(totals_line(prof.totals))
    print(capacity_line(prof, types.SimpleNamespace(title=layers.name), hw))
    for line in layers.unsupported_lines:
        print(f"not counted: {line}")
    for line in layers.notes:
        print(f"note: {line}")
    return 0


# ---------------------------------------------------------------- sweep


SWEEP_CSV = ["value", "macs", "flops", "bytes", "intensity", "ridge", "bound", "time_s",
             "energy_j", "fits_memory"]


def cmd_sweep(args) -> int:
    from .hardware import get_hardware
    from .recipes import get_model
    from .sweeping import sweep
    recipe = get_model(args.model)
    fixed = _workload(args, recipe)
    res = sweep(recipe, args.param, args.start, args.stop, args.points, log=not args.linear,
                layer=args.layer, hardware=args.hardware, dtype=args.dtype,
                memory_model=args.memory_model, **fixed)
    rows, e = res.rows(), res.estimate
    if args.json:
        emit_json({"model": res.model, "layer": res.layer, "param": res.param,
                   "hardware": e.hardware, "dtype": e.dtype, "memory_model": e.memory_model,
                   "points": rows})
        return 0
    if args.csv:
        emit_csv(SWEEP_CSV, [[r[k] for k in SWEEP_CSV] for r in rows])
        return 0
    hw = get_hardware(e.hardware)
    what = f"layer {res.layer}" if res.layer else "whole model (totals)"
    print(f"{recipe.title} ({recipe.key}), {what}, on {hw.name} ({hw.key}), {e.dtype}: "
          f"{res.param} from {fmt.format_count(args.start)} to {fmt.format_count(args.stop)}")
    print(conventions(e, hw, bool(fixed["flash"])))
    print()
    print(sweep_table(res.param, rows, e.dtype))
    if not all(r["fits_memory"] for r in rows):
        print()
        print("fits = no: the whole model's weights + KV cache + activations exceed the device "
              "memory at that point")
    return 0


def sweep_table(param: str, rows: list[dict], dtype: str) -> str:
    u, s = _unit(dtype), fmt.format_si
    body = [[fmt.format_count(r["value"]), s(r["macs"], "MAC"), s(r["flops"], u),
             s(r["bytes"], "B"), fmt.format_ratio(r["intensity"], u + "/B"),
             fmt.format_ratio(r["ridge"], u + "/B"), r["bound"], s(r["time_s"], "s"),
             s(r["energy_j"], "J"), "yes" if r["fits_memory"] else "no"] for r in rows]
    headers = [param, "MACs", f"{u}s", "bytes", "intensity", "ridge", "bound", "time", "energy",
               "fits"]
    return fmt.render_table(headers, body, align="rrrrrrlrrl")


# ---------------------------------------------------------------- ridge


def cmd_ridge(args) -> int:
    from .recipes import get_model
    from .sweeping import crossover
    recipe = get_model(args.model)
    fixed = _workload(args, recipe)
    x = crossover(recipe, args.layer, args.param, args.hardware, args.dtype, args.memory_model,
                  **fixed)
    if args.json:
        emit_json(x.to_dict())
        return 0
    u = _unit(x.dtype)
    print(f"{recipe.title} ({recipe.key}), layer {x.layer}, on {x.hardware}, {x.dtype}, "
          f"memory model {args.memory_model}: scaling {x.param}")
    print(f"ridge point: {fmt.format_ratio(x.ridge, u + '/B')} (dense peak / bandwidth)")
    print(crossover_sentence(x))
    print(f"method: {x.method}: {x.reason}")
    return 0


def crossover_sentence(x) -> str:
    if x.crossover is None:
        return f"crossover: none: {x.layer} never crosses the ridge as {x.param} grows"
    at = f"{x.param} = {fmt.significant(x.crossover, 4)}"
    if x.direction == "memory->compute":
        return (f"crossover: {at}: memory-bound below, compute-bound from {x.param} "
                f"{fmt.format_count(x.first_compute_bound)}")
    return f"crossover: {at}: compute-bound below, memory-bound above"


# ---------------------------------------------------------------- hardware


def _units(key: str, work: str) -> str:
    if key.startswith("peak."):
        return work + "/s"
    return {"capacity": "B", "tile": "B", "bandwidth": "B/s", "energy_per_byte": "J/B",
            "tdp_w": "W", "static_w": "W"}[key.split(".")[-1]]


def _ridges(hw) -> dict:
    from .dtypes import DTYPES
    return {name: hw.ridge(d) for name, d in DTYPES.items() if d.peak_key in hw.peaks}


def cmd_hardware(args) -> int:
    from .hardware import get_hardware, registry
    if args.name is None:
        devices = list(registry().values())
        if args.json:
            emit_json([device_summary(hw) for hw in devices])
        else:
            print(hardware_table(devices))
        return 0
    hw = get_hardware(args.name)
    if args.json:
        emit_json(device_detail(hw))
        return 0
    print(hardware_detail(hw))
    return 0


def device_summary(hw) -> dict:
    return {"key": hw.key, "name": hw.name, "summary": hw.summary,
            "memory_bytes": hw.memory.capacity.value, "bandwidth": hw.bandwidth,
            "tdp_w": hw.tdp_w.value, "peaks": {k: f.value for k, f in hw.peaks.items()},
            "ridge": _ridges(hw)}


def device_detail(hw) -> dict:
    from .hardware import sources
    figs = hw.figures()
    return dict(device_summary(hw), figures={
        k: {"value": f.value, "unit": _units(k, "FLOP"), "source": f.source,
            "estimate": f.estimate, "note": f.note} for k, f in figs.items()},
        levels={lvl: getattr(hw, lvl).name for lvl in ("memory", "onchip", "weight_store")
                if getattr(hw, lvl) is not None},
        sources={f.source: sources().get(f.source, "") for f in figs.values()})


def hardware_table(devices) -> str:
    from .dtypes import DTYPES
    rows = []
    for hw in devices:
        r = _ridges(hw)
        rows.append([hw.key, fmt.format_si(hw.memory.capacity.value, "B"),
                     fmt.format_si(hw.bandwidth, "B/s"), fmt.format_si(hw.tdp_w.value, "W")]
                    + [fmt.format_ratio(r[d]) if d in r else "-" for d in DTYPES])
    headers = ["device", "memory", "bandwidth", "TDP"] + list(DTYPES)
    return ("ridge point per precision = dense peak / memory bandwidth, in FLOP/B (op/B for "
            "integer formats); '-' = no peak for that format\n\n"
            + fmt.render_table(headers, rows, align="l" + "r" * (len(headers) - 1))
            + "\n\n'ridgeline hardware NAME' lists every figure with its source")


def hardware_detail(hw) -> str:
    from .dtypes import DTYPES
    from .hardware import sources
    figs = hw.figures()
    rows = [[k, fmt.format_si(f.value, _units(k, _peak_unit(k))), _source(f), f.note]
            for k, f in figs.items()]
    levels = ", ".join(f"{lvl} = {getattr(hw, lvl).name}" for lvl in
                       ("memory", "onchip", "weight_store") if getattr(hw, lvl) is not None)
    ridge_rows = []
    for name, r in _ridges(hw).items():
        d = DTYPES[name]
        peak = hw.peaks[d.peak_key]
        ridge_rows.append([name, fmt.format_si(peak.value, d.work_unit + "/s"),
                           fmt.format_ratio(r, d.work_unit + "/B"), _source(peak)])
    cited = sorted({f.source for f in figs.values()})
    return "\n".join([
        f"{hw.name} ({hw.key}): {hw.summary}",
        f"levels: {levels}; peaks are dense (not 2:4 sparse)",
        "",
        fmt.render_table(["figure", "value", "source", "note"], rows, align="lrll"),
        "",
        (f"ridge point per precision = dense peak / {hw.memory.name} bandwidth "
        f"{fmt.format_si(hw.bandwidth, 'B/s')}:"),
        fmt.render_table(["dtype", "peak", "ridge", "source"], ridge_rows, align="lrrl"),
        "",
        "sources:",
        *(f"  {sid}: {sources().get(sid, '(not in sources.toml)')}" for sid in cited),
    ])


def _peak_unit(key: str) -> str:
    from .dtypes import DTYPES
    name = key.split(".", 1)[1] if key.startswith("peak.") else ""
    d = DTYPES.get(name)
    return d.work_unit if d else "FLOP"


# ---------------------------------------------------------------- lab


def cmd_lab(args) -> int:
    """Serve the lab. The default host is loopback; another address is used only because the
    user typed it with --host (the server itself warns that the lab is then exposed)."""
    try:
        from .lab.server import serve
    except ImportError as exc:
        if exc.name == "ridgeline.lab.server":
            raise UsageError("the lab is not available in this installation "
                             "(ridgeline.lab.server is missing)") from None
        raise UsageError(f"the lab cannot start: {exc}") from None
    if args.json:  # one line, before the server's own output
        print(json.dumps({"host": args.host, "port": args.port,
                          "url": f"http://{args.host}:{args.port}/"}), flush=True)
    result = serve(args.host, args.port)
    return result if isinstance(result, int) else 0


# ---------------------------------------------------------------- main


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 1 internal error, 2 bad input)."""
    from .errors import RidgelineError
    debug = os.environ.get("RIDGELINE_DEBUG", "") not in ("", "0")
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            return 2
        return args.handler(args)
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    except (UsageError, RidgelineError, ValueError) as exc:
        if debug:
            raise
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `ridgeline profile ... | head`
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (silence the flush at exit)
        return 0
    except Exception as exc:  # a bug: one line unless asked for the traceback
        if debug:
            raise
        print(f"{PROG}: internal error: {type(exc).__name__}: {_one_line(exc)} "
              "(set RIDGELINE_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
