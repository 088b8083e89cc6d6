"""Fuzz the public Python API: inputs that cannot lie.

Every generated call to ``ridgeline.op``, ``ridgeline.estimate``, ``ridgeline.profile``,
``ridgeline.sweep`` and ``ridgeline.crossover`` must either

* return an object whose numbers are finite and >= 0 - macs, flops, bytes (total), intensity,
  time_s, energy_j (every element of a sweep), with intensity = flops / bytes > 0 wherever
  flops > 0 and bytes > 0 - and whose ``to_dict()`` is strict JSON (no NaN, no numpy leaks), or
* raise :class:`ridgeline.RidgelineError` with one line of text.

Any other exception (TypeError, OverflowError, numpy's "truth value is ambiguous") or warning
fails. Arguments are drawn from Python ints (0, negative, 2**63, 10**30), every numpy integer
and float scalar type, bools, NaN/inf, strings, None, lists, tuples, dicts and numpy arrays,
mixed with plausible values so that the success path is exercised as well.

CI: >= 20,000 examples in all (``BUDGET``), derandomized so every run draws the same calls.
``RIDGELINE_FUZZ_SCALE=5`` multiplies every budget (``bench/fuzz_api.py`` runs >= 100,000).
"""

from __future__ import annotations

import json
import math
import os
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ridgeline
from ridgeline import RidgelineError
from ridgeline.ops import MEMORY_MODELS as MODELS_OF_MEMORY
from ridgeline.ops import Attention, Conv2d, Elementwise, Embedding, Gemm, Pool2d
from ridgeline.pipeline import Layer, Profile
from ridgeline.recipes import SWEEP_PARAMS
from ridgeline.roofline import Estimate
from ridgeline.sweeping import Crossover, SweepResult

SCALE = float(os.environ.get("RIDGELINE_FUZZ_SCALE", "1"))
#: Examples per API entry point; op/estimate calls cost ~0.1 ms, a profile ~1-7 ms, a sweep or
#: a crossover several model builds - so the cheap ones carry most of the 20,000.
BUDGET = {"op": 8000, "estimate": 6000, "profile": 3600, "sweep": 1600, "crossover": 1000}
#: Calls made, by entry point (printed at the end of the module).
COUNTS: Counter = Counter()

INT_TYPES = (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64)
FLOAT_TYPES = (np.float16, np.float32, np.float64)
HUGE = (0, -1, -7, 10**9, 10**9 + 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64, 10**30, -2**63)


# ----------------------------------------------------------------------------- values


# Strategies are built once, at import: building one inside a draw costs more than the call
# under test (hypothesis validates every new strategy).


def np_ints(lo=None, hi=None):
    """A numpy integer scalar of any width, its value within the type's range (and [lo, hi])."""
    def values(t):
        info = np.iinfo(t)
        a = int(info.min) if lo is None else max(lo, int(info.min))
        b = int(info.max) if hi is None else min(hi, int(info.max))
        return st.integers(a, b).map(t) if a <= b else st.nothing()
    return st.one_of(*(values(t) for t in INT_TYPES))


def _cast(t, v):
    with np.errstate(all="ignore"):  # float16 rounds or overflows to inf, as a caller's would
        return t(v)


def np_floats(values=None):
    """A numpy float scalar of any width."""
    values = values if values is not None else st.one_of(
        st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 70_000).map(float))
    return st.tuples(st.sampled_from(FLOAT_TYPES), values).map(lambda tv: _cast(*tv))


ARRAYS = st.sampled_from([
    np.array(4), np.array(4.0), np.array([4]), np.array([4, 4]), np.array([[2, 2], [2, 2]]),
    np.array([], dtype=float), np.array([1.5, np.nan]), np.array(["a", "b"]),
    np.array([True, False]), np.array([None, 3], dtype=object), np.array([2**62, 2**62]),
    np.array([-3, 8]), np.array([1e300, 1e300]), np.array(True), np.array([[224, 224]])])

#: Values a careless or adversarial caller passes where a size, flag or name belongs.
JUNK = st.one_of(
    st.integers(-10, 10), st.sampled_from(HUGE), np_ints(), np_floats(),
    st.sampled_from([True, False, np.bool_(True), np.bool_(False)]),
    st.sampled_from([math.nan, math.inf, -math.inf, 2.5, -0.0, 1e300, 4.0, 1e-300]),
    st.sampled_from(["4", "no", "yes", "", "nan", "True", "1e3", " 8 "]),
    st.none(), st.lists(st.integers(-2, 300), max_size=3),
    st.tuples(st.integers(0, 300), st.integers(0, 300)),
    st.tuples(st.integers(1, 300), st.integers(1, 300), st.integers(1, 3)),
    st.sampled_from([{}, {"a": 1}, {4}, frozenset(), b"4", 3 + 0j, object()]), ARRAYS)
PERCENT = st.integers(0, 99)
ONE_IN_50 = st.integers(0, 49)


def size(lo=1, hi=64):
    """A plausible size in any accepted spelling: int, numpy int, integral (numpy) float."""
    return st.one_of(st.integers(lo, hi), np_ints(lo, hi), st.integers(lo, hi).map(float),
                     np_floats(st.integers(lo, min(hi, 2048)).map(float)))


FLAG = st.sampled_from([True, False, np.bool_(True), np.bool_(False)])


#: Large but valid sizes (the products must stay exact: 10**9 cubed is past int64).
BIG = st.sampled_from([2**31, 10**6, 10**9, np.int64(10**9), np.uint32(2**32 - 1), 1e9])


def pick(draw, good, bad_pct: int):
    """A draw from ``good`` most of the time; junk with probability ``bad_pct`` percent; a
    large size 3% of the time."""
    r = draw(PERCENT)
    return draw(JUNK) if r < bad_pct else draw(BIG) if r >= 97 else draw(good)


def name_of(names, *extra):
    """A registry name (as given, upper-cased or padded) or a near miss."""
    good = st.sampled_from(sorted(names))
    return st.one_of(good, good.map(str.upper), good.map(lambda s: f" {s} "),
                     st.sampled_from(["", "tpu-v9", *extra]))


HARDWARE = name_of(ridgeline.hardware_registry(), "h100")
DTYPES = name_of(ridgeline.DTYPES, "fp64", "float16")
MEMORY_MODELS = st.sampled_from([*MODELS_OF_MEMORY, "Tiled", "none"])
MODELS = name_of(ridgeline.models(), "gpt-5")
PARAMS = st.sampled_from([*SWEEP_PARAMS, "seq_len", "width"])
LAYERS = {k: [e.name for e in ridgeline.profile(k).layers] for k in ridgeline.models()}
ALL_LAYERS = sorted({n for names in LAYERS.values() for n in names})


# ----------------------------------------------------------------------------- calls


@dataclass(frozen=True)
class Build:
    """An operator constructed inside the call, so that its own validation is fuzzed too."""

    cls: type
    kwargs: dict

    def __repr__(self) -> str:
        return f"{self.cls.__name__}({_kw(self.kwargs)})"


@dataclass(frozen=True)
class Call:
    fn: Callable
    args: tuple
    kwargs: dict

    def __repr__(self) -> str:
        args = ", ".join([*map(repr, self.args), _kw(self.kwargs)] if self.kwargs else
                         map(repr, self.args))
        return f"ridgeline.{self.fn.__name__}({args})"

    def __call__(self):
        args = [a.cls(**a.kwargs) if isinstance(a, Build) else a for a in self.args]
        return self.fn(*args, **self.kwargs)


def _kw(d: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in d.items())


BOOL = st.booleans()
UNKNOWN_KEYS = st.sampled_from(["foo", "Batch", "kernel_size", "seq-len"])


def fields(draw, spec: dict, bad_pct: int, optional=(), keys=True) -> dict:
    """Keyword arguments from ``spec`` (name -> strategy); junk at ``bad_pct``; optional ones
    sometimes left out; with ``keys``, now and then a required one dropped or an unknown one
    added (not for a class's fixed signature, where Python's own TypeError is the answer)."""
    out = {}
    for key, good in spec.items():
        if key in optional and draw(BOOL):
            continue
        out[key] = pick(draw, good, bad_pct)
    if keys and bad_pct and draw(ONE_IN_50) == 0:
        out.pop(next(iter(spec)), None)
    if keys and bad_pct and draw(ONE_IN_50) == 0:
        out[draw(UNKNOWN_KEYS)] = 1
    return out


BAD_PCT = st.sampled_from([0, 0, 5, 15, 40])

GEMM = {"m": size(1, 4096), "n": size(1, 4096), "k": size(1, 4096)}
CONV = {"batch": size(1, 8), "in_channels": st.sampled_from([1, 3, 8, 16, 64]),
        "out_channels": st.sampled_from([1, 8, 16, 64]), "height": size(1, 224),
        "width": size(1, 224), "kernel": size(1, 7), "stride": size(1, 3),
        "padding": size(0, 3), "dilation": size(1, 2), "groups": st.sampled_from([1, 2, 8])}
ATTN = {"batch": size(1, 8), "heads": st.sampled_from([8, 32, 64]),
        "kv_heads": st.sampled_from([1, 8, 32]), "head_dim": st.sampled_from([64, 128]),
        "seq_len": size(1, 32768), "phase": st.sampled_from(["prefill", "decode", "Decode"]),
        "causal": FLAG, "flash": FLAG}
OP_SPECS = {"gemm": (GEMM, ()), "conv2d": (CONV, ("stride", "padding", "dilation", "groups")),
            "attention": (ATTN, ("phase", "causal", "flash"))}
OP_KINDS = st.sampled_from(sorted(OP_SPECS))
DEVICE = {"hardware": HARDWARE, "dtype": DTYPES, "memory_model": MEMORY_MODELS}


@st.composite
def op_calls(draw):
    bad = draw(BAD_PCT)
    kind = pick(draw, OP_KINDS, bad // 2)
    spec, optional = OP_SPECS.get(kind if isinstance(kind, str) else "gemm", OP_SPECS["gemm"])
    dims = fields(draw, spec, bad, optional)
    device = fields(draw, DEVICE, bad, optional=tuple(DEVICE))
    return Call(ridgeline.op, (kind,), {**device, **dims})


OP_CLASSES = {
    Gemm: {**GEMM, "weight_operand": FLAG, "bias": FLAG},
    Conv2d: {**{k: v for k, v in CONV.items() if k != "kernel"}, "kernel_h": size(1, 7),
             "kernel_w": size(1, 7), "bias": FLAG},
    Attention: ATTN,
    Elementwise: {"op": st.sampled_from(["add", "relu", "softmax", "avgpool", "rmsnorm", "x"]),
                  "elements": size(1, 10**6), "reads": size(1, 49), "weights": size(0, 4096)},
    Pool2d: {"batch": size(1, 8), "channels": size(1, 64), "height": size(1, 112),
             "width": size(1, 112), "kernel": size(1, 7), "stride": size(1, 3),
             "padding": size(0, 2)},
    Embedding: {"tokens": size(1, 8192), "vocab": size(1, 128_256), "dim": size(1, 8192)},
}
OP_CLASS = st.sampled_from(list(OP_CLASSES))
ESTIMATE_KW = {**DEVICE, "count": size(1, 96),
               "weights_in": st.sampled_from(["memory", "weight_store", "flash"]),
               "name": st.sampled_from(["layer", "q_proj"])}


@st.composite
def estimate_calls(draw):
    bad = draw(BAD_PCT)
    cls = draw(OP_CLASS)
    op = Build(cls, fields(draw, OP_CLASSES[cls], bad, keys=False))
    if bad and draw(ONE_IN_50) < 3:
        op = draw(JUNK)
    kw = fields(draw, ESTIMATE_KW, bad, optional=tuple(ESTIMATE_KW))
    return Call(ridgeline.estimate, (op,), kw)


RESOLUTION = st.one_of(size(32, 512), st.tuples(size(32, 512), size(32, 512)),
                       st.lists(size(32, 512), min_size=2, max_size=2),
                       st.tuples(size(32, 512), size(32, 512)).map(np.array))
WORKLOAD = {"batch": size(1, 16), "seq_len": size(1, 4096),
            "phase": st.sampled_from(["prefill", "decode"]), "resolution": RESOLUTION,
            "frames": size(1, 64), "flash": FLAG}


def workload(draw, bad) -> dict:
    return fields(draw, WORKLOAD, bad, optional=tuple(WORKLOAD))


#: ``profile(layers=...)``: the lab's toolkit hands its own layers; fuzz their names, ops, counts.
LAYER = st.builds(
    Layer, name=st.one_of(st.sampled_from(["q_proj", "stem"]), JUNK),
    op=st.one_of(st.sampled_from([Gemm(64, 64, 64), Conv2d(1, 8, 8, 16, 16, 3, 3, padding=1),
                                  Attention(1, 8, 8, 64, 128)]), JUNK),
    count=st.one_of(size(1, 96), JUNK))
LAYERS_ARG = st.one_of(st.lists(LAYER, max_size=3), st.tuples(LAYER), JUNK)


@st.composite
def profile_calls(draw):
    bad = draw(BAD_PCT)
    model = pick(draw, MODELS, bad // 2)
    device = fields(draw, DEVICE, bad, optional=tuple(DEVICE))
    kw = {**device, **workload(draw, bad)}
    if bad and draw(ONE_IN_50) < 5:
        kw["layers"] = draw(LAYERS_ARG)
    return Call(ridgeline.profile, (model,), kw)


LAYER_OF = {k: st.sampled_from(names) for k, names in LAYERS.items()}
ANY_LAYER = st.sampled_from(ALL_LAYERS)


def layer_of(model):
    """A layer of ``model`` (any model's layer when the model is not a known name)."""
    return LAYER_OF.get(model.strip().lower() if isinstance(model, str) else None, ANY_LAYER)


SWEEP_KW = {"points": size(1, 12), "log": FLAG, **DEVICE}
START, STOP = size(1, 64), size(1, 4096)


@st.composite
def sweep_calls(draw):
    bad = draw(BAD_PCT)
    model = pick(draw, MODELS, bad // 3)
    kw = fields(draw, {**SWEEP_KW, "layer": layer_of(model)}, bad,
                optional=(*SWEEP_KW, "layer"))
    args = (model, pick(draw, PARAMS, bad // 3), pick(draw, START, bad), pick(draw, STOP, bad))
    return Call(ridgeline.sweep, args, {**kw, **workload(draw, bad // 2)})


CROSSOVER_KW = {"lo": size(1, 64), "hi": size(1, 100_000), **DEVICE}


@st.composite
def crossover_calls(draw):
    bad = draw(BAD_PCT)
    model = pick(draw, MODELS, bad // 3)
    kw = fields(draw, CROSSOVER_KW, bad, optional=tuple(CROSSOVER_KW))
    args = (model, pick(draw, layer_of(model), bad // 2), pick(draw, PARAMS, bad // 3))
    return Call(ridgeline.crossover, args, {**kw, **workload(draw, bad // 2)})


# ----------------------------------------------------------------------------- the oracle


def _numbers_ok(what: str, **values) -> None:
    """Every value finite and >= 0 (elementwise for sweeps)."""
    for name, v in values.items():
        a = np.asarray(v, dtype=float)
        assert a.size and np.all(np.isfinite(a)) and np.all(a >= 0), f"{what}.{name} = {v!r}"


def check_estimate(e, what="estimate") -> None:
    """Finite, >= 0 numbers; intensity = flops / bytes (> 0 with work) wherever bytes > 0, and
    the documented convention where a layer moves no off-chip bytes (the ``placed`` model
    keeps it on chip): +inf with work, 0 without."""
    assert isinstance(e, Estimate), f"{what} is {type(e).__name__}, not an Estimate"
    b, f, i = (np.asarray(x, dtype=float) for x in (e.bytes.total, e.flops, e.intensity))
    _numbers_ok(what, macs=e.macs, flops=f, bytes=b, time_s=e.time_s, energy_j=e.energy_j)
    b, f, i = np.broadcast_arrays(b, f, i)
    moved = b > 0
    _numbers_ok(what, intensity=i[moved] if moved.any() else 0.0)
    assert np.all(i[moved & (f > 0)] > 0), f"{what}: intensity 0 with flops > 0"
    assert np.allclose(i[moved], f[moved] / b[moved], rtol=1e-9), f"{what}: intensity != F/B"
    assert np.all(i[~moved] == np.where(f[~moved] > 0, np.inf, 0)), f"{what}: intensity {i}"


def check_result(r) -> None:
    """The oracle for whatever a call returned."""
    if isinstance(r, Estimate):
        check_estimate(r)
        json.dumps(r.to_dict(), allow_nan=False)
    elif isinstance(r, Profile):
        check_estimate(r.totals, "totals")
        for e in r.layers:
            check_estimate(e, e.name)
        json.dumps(r.to_dict(), allow_nan=False)
    elif isinstance(r, SweepResult):
        _numbers_ok("sweep", values=r.values)
        assert np.ndim(r.values) == 1 and np.all(r.values >= 1), f"values {r.values!r}"
        check_estimate(r.estimate, "sweep")
        # NB: rows() keeps +inf intensity (a layer the placed model keeps on chip) as a float,
        # unlike Estimate.to_dict's null, so this is not strict JSON; it must still serialize
        json.dumps(r.rows())
    elif isinstance(r, Crossover):
        _numbers_ok("crossover", ridge=r.ridge)
        if r.crossover is not None:
            _numbers_ok("crossover", crossover=r.crossover)
        json.dumps(r.to_dict(), allow_nan=False)
    else:
        raise AssertionError(f"returned a {type(r).__name__}")  # noqa: TRY004 - the oracle


def outcome(call: Call) -> str | None:
    """None if ``call`` behaved (valid result or one-line RidgelineError); else what went wrong."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            result = call()
    except RidgelineError as e:
        msg = str(e)
        return None if msg and "\n" not in msg else f"RidgelineError not one line: {msg!r}"
    except Exception as e:  # noqa: BLE001 - anything else is the bug being hunted
        return f"{type(e).__name__}: {e}"
    try:
        check_result(result)
    except (AssertionError, TypeError, ValueError) as e:
        return f"nonsense result: {type(e).__name__}: {e}"
    return None


def run_one(kind: str, call: Call) -> None:
    COUNTS[kind] += 1
    problem = outcome(call)
    assert problem is None, f"{call!r} -> {problem}"


def _settings(kind: str):
    return settings(max_examples=max(1, round(BUDGET[kind] * SCALE)), deadline=None,
                    derandomize=True, database=None, print_blob=False,
                    suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module", autouse=True)
def _report_total(request):
    """Print the number of calls made in pytest's closing summary (always shown)."""
    manager = request.config.pluginmanager
    if not manager.has_plugin("fuzz_api_total"):
        manager.register(_Total(), "fuzz_api_total")
    yield


class _Total:
    def pytest_terminal_summary(self, terminalreporter):
        if COUNTS:
            parts = ", ".join(f"{k} {v:,}" for k, v in COUNTS.items())
            terminalreporter.write_line(
                f"fuzz_api: {sum(COUNTS.values()):,} examples ({parts})")


@_settings("op")
@given(op_calls())
def test_fuzz_op(call):
    run_one("op", call)


@_settings("estimate")
@given(estimate_calls())
def test_fuzz_estimate(call):
    run_one("estimate", call)


@_settings("profile")
@given(profile_calls())
def test_fuzz_profile(call):
    run_one("profile", call)


@_settings("sweep")
@given(sweep_calls())
def test_fuzz_sweep(call):
    run_one("sweep", call)


@_settings("crossover")
@given(crossover_calls())
def test_fuzz_crossover(call):
    run_one("crossover", call)


# ----------------------------------------------------------------------------- pinned finds
# Each problem the fuzzer found, as a known answer, so a regression names itself.


def test_numpy_integers_become_exact_python_ints():
    # 10**7 cubed = 10**21 MACs, past int64's 9.2e18: int64 arithmetic would wrap around
    e = ridgeline.op("gemm", m=np.int64(10**7), n=np.int32(10**7), k=np.uint64(10**7))
    assert e.macs == 10**21 and type(e.macs) is int


def test_numpy_floats_are_converted_before_comparing():
    # float16 cannot hold the 10**9 bound (it is inf there); 2048.0 is exact in float16
    e = ridgeline.op("gemm", m=np.float16(2048), n=8, k=8)
    assert e.macs == 2048 * 8 * 8 and type(e.macs) is int
    with pytest.raises(RidgelineError, match="finite"):
        ridgeline.op("gemm", m=np.float16(np.inf), n=8, k=8)  # what float16(70_000) becomes


@pytest.mark.parametrize("bad", ["no", "yes", 1, 0, np.array([True, False])])
def test_flags_are_strict(bad):  # (None means "not given": the default, False)
    with pytest.raises(RidgelineError, match="flash must be True or False"):
        ridgeline.op("attention", batch=1, heads=8, kv_heads=8, head_dim=64, seq_len=8, flash=bad)


def test_square_resolution_and_exact_pairs():
    assert ridgeline.profile("mobilenet-v2", resolution=224).workload.resolution == (224, 224)
    w = ridgeline.profile("mobilenet-v2", resolution=np.array([np.uint16(320), 240])).workload
    assert w.resolution == (320, 240) and all(type(x) is int for x in w.resolution)


@pytest.mark.parametrize("kw", [{"lo": 0}, {"hi": 0}, {"lo": -1}, {"lo": 8, "hi": 8}])
def test_crossover_range_is_never_silently_the_default(kw):
    with pytest.raises(RidgelineError):
        ridgeline.crossover("llama-3-70b", "gate_proj", "batch", **kw)


@pytest.mark.parametrize("call", [
    lambda: ridgeline.op("gemm", m=8, n=8, k=8, memory_model=["tiled"]),        # unhashable
    lambda: ridgeline.op("gemm", m=8, n=8, k=8, memory_model=np.array([])),     # ambiguous truth
    lambda: ridgeline.op("attention", batch=1, heads=8, kv_heads=8, head_dim=64, seq_len=8,
                         phase=np.array(["prefill", "decode"])),
    lambda: ridgeline.op("gemm", hardware=5, m=8, n=8, k=8),
    lambda: ridgeline.op("gemm", dtype=["bf16"], m=8, n=8, k=8),
    lambda: ridgeline.estimate("gemm"),
    lambda: ridgeline.estimate(Gemm(8, 8, 8), count=np.float16(3.5)),
    lambda: ridgeline.estimate(Gemm(8, 8, 8), count=object()),
    lambda: ridgeline.estimate(Gemm(8, 8, 8), colour="red"),
    lambda: ridgeline.sweep("llama-3-70b", "batch", 1, 8, log="no"),
    lambda: ridgeline.sweep("llama-3-70b", ["batch"], 1, 8),
    lambda: ridgeline.sweep("llama-3-70b", "batch", 1, 8, values=[1, 2]),
    lambda: ridgeline.crossover("llama-3-70b", np.array(["a", "b"]), "batch"),
    lambda: ridgeline.profile("resnet50", resolution="224"),
    lambda: ridgeline.profile("resnet50", resolution=np.array([[224, 224]])),
    # 1e9 x 1e9 pixels x batch 1e9: tensors of 3e27 elements (numpy's int64 overflowed)
    lambda: ridgeline.profile("resnet50", batch=10**9, resolution=10**9),
    lambda: ridgeline.profile("llama-3-8b", layers=[Layer("a", Gemm(2, 2, 2), count=2.5)]),
    lambda: ridgeline.profile("llama-3-8b", layers=[Layer("a", "gemm")]),
    lambda: ridgeline.profile("llama-3-8b", layers="q_proj"),
    # array sizes (vectorized ops) in a divisibility check: numpy's "truth value is ambiguous"
    lambda: Attention(7, np.array([4, 4]), 8, 64, 1, "decode"),
    lambda: Conv2d(1, np.array([8, 12]), 8, 16, 16, 3, 3, groups=8),
])
def test_bad_input_is_one_clean_error(call):
    with pytest.raises(RidgelineError) as info:
        call()
    assert "\n" not in str(info.value)


def test_messages_quote_arrays_on_one_line():
    with pytest.raises(RidgelineError) as info:
        ridgeline.sweep("llama-3-70b", "batch", 1, 8, flash=np.array([[1, 2], [3, 4]]))
    assert str(info.value) == "flash must be True or False, got array([[1, 2], [3, 4]])"


def test_budget_is_at_least_20000():
    """The CI run covers >= 20,000 calls (hypothesis runs max_examples unless it fails)."""
    assert sum(BUDGET.values()) >= 20_000
