"""The subcommand handlers: parsed arguments -> one call into :mod:`ridgeline.api` -> output.

Each handler imports the engine inside itself, and only through the public surface
(:mod:`ridgeline.api`; :mod:`ridgeline.importers` for an ONNX file, :mod:`ridgeline.lab.server`
for ``lab``), so that importing this module costs nothing and ``--help`` loads no numpy.
Handlers return the exit status; bad input raises :class:`UsageError` or ``RidgelineError``.
"""

from __future__ import annotations

import sys

from .. import format as fmt
from . import render
from .parser import PROG, UsageError
from .shape import (
    device_detail,
    device_summary,
    emit_json,
    onnx_profile_json,
    op_json,
    profile_json,
    sweep_json,
)

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
    from ..api import get_hardware, op
    dims = _op_dims(args)
    est = op(args.kind, args.hardware, args.dtype, args.memory_model, **dict(dims))
    if args.json:
        emit_json(op_json(est, dims))
        return 0
    dim_text = " ".join(f"{k}={v}" for k, v in dims.items() if v is not False)
    hw = get_hardware(est.hardware)
    print(f"{est.kind} on {hw.name} ({hw.key}), {est.dtype}: {dim_text}")
    print(render.conventions(est, hw))
    print()
    print(fmt.render_pairs(render.estimate_card(est)))
    return 0


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


def _recipe(args):
    """MODEL as a recipe: a built-in name, a Hugging Face config.json, or --torch's factory
    (the last two imported: ridgeline.importers, torch and transformers loaded only then)."""
    from ..api import get_model
    if args.torch:
        if args.model:
            raise UsageError("give MODEL or --torch PKG.MODULE:FACTORY, not both")
        from ..importers import torch_recipe
        return torch_recipe(args.torch, args.input_shape or [], args.meta)
    if args.model is None:
        raise UsageError("MODEL is required: a model name, path/to/config.json or "
                         "--torch PKG.MODULE:FACTORY")
    if args.input_shape or args.meta:
        raise UsageError("--input-shape and --meta go with --torch PKG.MODULE:FACTORY")
    if args.model.lower().endswith(".json"):
        from ..importers import hf_recipe
        return hf_recipe(args.model)
    return get_model(args.model)


def _import_lines(recipe) -> list[str]:
    """An imported model's unsupported ops and notes (from its last trace), for the table."""
    last = getattr(recipe.config, "last", None)
    if last is None:
        return []
    return last.unsupported_lines + [f"note: {n}" for n in last.notes]


def _plot(args, make) -> None:
    """--plot FILE: write the chart ``make()`` builds; say so on stderr (stdout stays data)."""
    if args.plot:
        from ..plot import write  # checks the suffix before any work is done
        print(f"{PROG}: wrote {write(make(), args.plot)}", file=sys.stderr)


def cmd_profile(args) -> int:
    from ..api import get_hardware, profile
    if args.model and is_onnx_path(args.model):  # a user's own graph: see below
        return cmd_profile_onnx(args)
    if args.max_mb is not None or args.dims:
        raise UsageError("--max-mb and --dims are for an ONNX file's graph")
    recipe = _recipe(args)
    prof = profile(recipe, args.hardware, args.dtype, args.memory_model, **_workload(args, recipe))
    hw = get_hardware(prof.hardware)
    _plot(args, lambda: _profile_chart(prof, hw))
    if args.json:
        emit_json(profile_json(prof, recipe.title))
        return 0
    if args.csv:
        render.emit_csv(render.PROFILE_CSV, [render.csv_row(d) for d in prof.to_dict()["layers"]])
        return 0
    print(f"{_named(recipe)} on {hw.name} ({hw.key}), {prof.dtype}: "
          f"{render.workload_text(prof.workload, recipe)}")
    _print_profile(prof, hw, recipe.title, bool(prof.workload.flash))
    for line in _import_lines(recipe):
        print(line)
    return 0


def _profile_chart(prof, hw):
    return _chart("profile", prof, hw)


def _print_profile(prof, hw, title: str, flash: bool) -> None:
    """Conventions, the layer table, the totals and the capacity check (after the heading)."""
    print(render.conventions(prof.totals, hw, flash)
          + "; each row covers all `count` copies of the layer")
    print()
    print(render.profile_table(prof))
    print()
    print(render.totals_line(prof.totals))
    print(render.capacity_line(prof, title, hw))


# ---------------------------------------------------------------- profile an ONNX file
# (ridgeline.importers; the onnx package is imported only here, when MODEL ends in .onnx)


def is_onnx_path(model: str) -> bool:
    return model.lower().endswith(".onnx")


def _onnx_options(args) -> dict:
    """An exported graph has fixed shapes: only symbolic sizes can still be set (--batch,
    --dims NAME=VALUE). Returns the --dims as {name: value}."""
    fixed = {"seq_len": "--seq-len", "phase": "--phase", "resolution": "--resolution",
             "frames": "--frames", "flash": "--flash", "torch": "--torch"}
    given = [flag for attr, flag in fixed.items() if getattr(args, attr)]
    if given:
        raise UsageError(f"{', '.join(given)} cannot change an ONNX model's shapes (they are "
                         "fixed by the export); --batch and --dims NAME=VALUE set symbolic sizes")
    dims = {}
    for item in args.dims or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip().isdigit() or int(value) < 1:
            raise UsageError(f"--dims takes NAME=VALUE with a whole VALUE >= 1, got {item!r}")
        dims[key.strip()] = int(value)
    return dims


def cmd_profile_onnx(args) -> int:
    from ..api import get_hardware
    from ..importers import from_onnx, profile_layers
    dims = _onnx_options(args)
    max_bytes = None if args.max_mb is None else args.max_mb * 1_000_000
    layers = from_onnx(args.model, batch=args.batch, dims=dims or None, max_bytes=max_bytes)
    prof = profile_layers(layers, args.hardware or "h100-sxm", args.dtype or "bf16",
                          args.memory_model, title=layers.name)
    _plot(args, lambda: _profile_chart(prof, get_hardware(prof.hardware)))
    if args.json:
        emit_json(onnx_profile_json(prof, layers, args.model))
        return 0
    if args.csv:
        render.emit_csv(render.PROFILE_CSV, [render.csv_row(d) for d in prof.to_dict()["layers"]])
        for line in layers.warnings:
            print(f"{PROG}: warning: {line}", file=sys.stderr)
        return 0
    hw = get_hardware(prof.hardware)
    batch = f"batch {args.batch}" if args.batch else "shapes as exported"
    print(f"{layers.name} (imported from ONNX, {len(layers)} layers) on {hw.name} ({hw.key}), "
          f"{prof.dtype}: {batch}")
    _print_profile(prof, hw, layers.name, False)
    for line in layers.unsupported_lines:  # "not modelled (counted as zero cost): ..."
        print(line)
    for line in layers.notes:
        print(f"note: {line}")
    return 0


# ---------------------------------------------------------------- sweep and ridge


def cmd_sweep(args) -> int:
    from ..api import get_hardware, sweep
    recipe = _recipe(args)
    fixed = _workload(args, recipe)
    res = sweep(recipe, args.param, args.start, args.stop, args.points, log=not args.linear,
                layer=args.layer, hardware=args.hardware, dtype=args.dtype,
                memory_model=args.memory_model, **fixed)
    rows, e = res.rows(), res.estimate
    _plot(args, lambda: _chart("sweep", res, rows))
    if args.json:
        emit_json(sweep_json(res, rows))
        return 0
    if args.csv:
        render.emit_csv(render.SWEEP_CSV, [[r[k] for k in render.SWEEP_CSV] for r in rows])
        return 0
    hw = get_hardware(e.hardware)
    what = f"layer {res.layer}" if res.layer else "whole model (totals)"
    print(f"{_named(recipe)}, {what}, on {hw.name} ({hw.key}), {e.dtype}: "
          f"{res.param} from {fmt.format_count(args.start)} to {fmt.format_count(args.stop)}")
    print(render.conventions(e, hw, bool(fixed["flash"])))
    print()
    print(render.sweep_table(res.param, rows, e.dtype))
    if not all(r["fits_memory"] for r in rows):
        print()
        print("fits = no: the whole model's weights + KV cache + activations exceed the device "
              "memory at that point")
    return 0


def _named(recipe) -> str:
    """'Llama-3-70B (llama-3-70b)'; an import's title already holds its key (its path)."""
    return recipe.title if recipe.key in recipe.title else f"{recipe.title} ({recipe.key})"


def cmd_ridge(args) -> int:
    from ..api import crossover
    recipe = _recipe(args)
    fixed = _workload(args, recipe)
    x = crossover(recipe, args.layer, args.param, args.hardware, args.dtype, args.memory_model,
                  **fixed)
    _plot(args, lambda: _ridge_chart(args, recipe, x, fixed))
    if args.json:
        emit_json(x.to_dict())
        return 0
    print(f"{_named(recipe)}, layer {x.layer}, on {x.hardware}, {x.dtype}, "
          f"memory model {args.memory_model}: scaling {x.param}")
    print("\n".join(render.ridge_lines(x)))
    return 0


def _chart(builder: str, *data, **kw):
    from ..plot import CHARTS
    return CHARTS[builder](*data, **kw)


def _ridge_chart(args, recipe, x, fixed):
    """The layer's intensity over the crossover's search range, the crossover marked."""
    return _chart("ridge", recipe, x, hardware=args.hardware, dtype=args.dtype,
                  memory_model=args.memory_model, **fixed)


# ---------------------------------------------------------------- hardware and lab


def _measured_if_cached(get_hardware) -> list:
    """[this-machine] when `ridgeline measure` has cached it (a listing shows it beside the
    registry), else [] - an absent or unreadable cache is for `hardware this-machine` to say."""
    from ..api import RidgelineError
    try:
        return [get_hardware("this-machine")]
    except RidgelineError:
        return []


def cmd_hardware(args) -> int:
    from ..api import get_hardware, hardware_registry
    if args.name is None:
        devices = [*hardware_registry().values(), *_measured_if_cached(get_hardware)]
        if args.json:
            emit_json([device_summary(hw) for hw in devices])
        else:
            print(render.hardware_table(devices))
        return 0
    hw = get_hardware(args.name)
    if args.json:
        emit_json(device_detail(hw))
        return 0
    print(render.hardware_detail(hw))
    return 0
