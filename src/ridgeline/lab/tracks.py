"""The four lab tracks as data, and the numbers that show each track's intensity crisis.

A track fixes a persona, a lighthouse model on a device at a precision, the workload the lab
starts from, the slider ranges and the layers each part asks about, plus the mission's
requirements (rate, deadline, power budget) with the figures they come from (DATA.md ids).

Everything the lab shows is computed from the engine: :func:`track_profile` profiles the
track's model at a slider position (cached, the app calls it on every slider move) and
:func:`crisis` returns the numbers that make the crisis visible.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import lru_cache

import numpy as np

from ..dtypes import get_dtype
from ..errors import RidgelineError, check_dim, unknown
from ..profiling import Profile, profile
from ..recipes import get_model

#: Slider label per scaled parameter (the UI contract's visible texts).
SCALE_LABELS = {"seq-len": "Sequence length", "resolution": "Resolution (width px)",
                "frames": "Frames per inference", "batch": "Batch"}


@dataclass(frozen=True)
class Track:
    """One lab track. Rates, deadlines and budgets cite DATA.md source ids in ``sources``."""

    key: str                 # "cloud" | "edge" | "mobile" | "tiny"
    title: str               # shown in the Track picker
    persona: str
    mission: str
    crisis_text: str
    model: str               # recipe key
    hardware: str            # registry key
    dtype: str
    workload: dict           # overrides of the recipe's default Workload (Part 1/2 start)
    scale_param: str         # "seq-len" | "resolution" | "frames"
    sliders: dict            # {"batch": (min, max, default), scale_param: (min, max, default)}
    linear_layer: str        # Part 1 numeric lock: the named Linear layer
    conv_layer: str          # Part 1 comparison layer (a conv; attention for Cloud)
    probe_layer: str         # Part 2 layer for the 5-move rule
    rate_hz: float           # required rate (tokens/s per stream, frames/s, inferences/s)
    deadline_s: float        # the work of one step must finish within this
    power_budget_w: float    # average power allowed at rate_hz
    intensity_floor: float = 20.0
    # --- extensions (added after the first contract; see docs/lab-design.md) ---
    probe_param: str = ""    # parameter the 5-move rule scales ("" = scale_param)
    scaling_layer: str = ""  # layer the Part 2 lock asks about ("" = probe_layer)
    trajectory_layers: tuple = ()   # layers drawn on the Part 2 trajectory plot
    challenge_workload: dict = field(default_factory=dict)  # Part 3 start (overrides workload)
    challenge_dtype: str = ""  # Part 3's precision when it differs from Parts 1-2 ("" = dtype)
    rate_unit: str = "Hz"
    sources: dict = field(default_factory=dict)  # requirement -> why / DATA.md source ids
    # --- behaviour as data: each view reads these fields, none asks which track it is ---
    conv_role: str = "conv"  # what conv_layer is: "conv" | "attention" (a model with no conv)
    part1_rows: str = "one pooled feature vector per image"  # Part 1's M rows ({workload field})
    scaling_words: str = ""  # Part 2's name for its layer ("" = "scaling_layer (model)")
    part3_swap: str = "depthwise"  # Part 3's lock: "depthwise" | "flash" (swaps.py, questions.py)
    part3_pair: str = ""  # swaps.PAIRS builder of the depthwise-separable pair ("" = none)
    frames_per_run: bool = False  # rate_hz counts frames; a run takes workload["frames"] of them
    latency_budget: bool = False  # the deadline is a latency budget that buffering also spends

    @property
    def scale_label(self) -> str:
        return SCALE_LABELS[self.scale_param]

    @property
    def probe_parameter(self) -> str:
        return self.probe_param or self.scale_param

    @property
    def scaling_layer_name(self) -> str:
        return self.scaling_layer or self.probe_layer

    @property
    def work_unit(self) -> str:
        """'FLOP' or 'op' (integer formats count ops), for labels."""
        return get_dtype(self.dtype).work_unit


CLOUD = Track(
    key="cloud", title="Cloud Titan",
    persona="LLM architect at a model-serving company",
    mission="Maximize Llama-3-70B decode serving on one H100 SXM: every stream gets 20 tokens/s.",
    crisis_text=("The attention sink: in decode every new token re-reads the whole KV cache, so "
                 "attention's intensity is stuck near 2(H/H_kv)/bytes whatever the batch. "
                 "Batching streams reuses each weight more, but the KV reads grow with the batch "
                 "too: even serving hundreds of streams, the whole decode step stays far below "
                 "the ridge and misses the deadline. BF16 weights (141 GB) do not even fit one "
                 "80 GB H100; FP8 fits, with room for only a few long-context KV caches."),
    model="llama-3-70b", hardware="h100-sxm", dtype="fp8",
    workload={"phase": "decode", "batch": 4, "seq_len": 8192},
    scale_param="seq-len",
    sliders={"batch": (1, 1024, 4), "seq-len": (128, 131_072, 8192)},
    linear_layer="gate_proj", conv_layer="attention", probe_layer="gate_proj",
    probe_param="batch", scaling_layer="attention",
    trajectory_layers=("attention", "gate_proj", "q_proj", "k_proj"),
    rate_hz=20.0, deadline_s=0.05, power_budget_w=700.0,
    challenge_workload={"batch": 16, "seq_len": 2048},
    rate_unit="tokens/s per stream", conv_role="attention", part3_swap="flash",
    part1_rows="decode, one new token per stream", scaling_words="the decode attention block",
    sources={
        "power_budget_w": "H100 SXM TDP up to 700 W (S1; Meta's Llama 3 card uses the same, S6)",
        "rate_hz": ("20 tokens/s per stream = a 50 ms per-token deadline: assumption (U1), between "
                    "DATA.md C.2's FP8 batch-1 floor (21 ms, 47 tok/s) and BF16's (42 ms, 24 tok/s)"),
        "dtype": "FP8: BF16 weights are 141.1 GB > 80 GB HBM (DATA.md C.1, S1)",
        "challenge_workload": ("a serving step: 16 streams with 2,048-token prompts and 256-token "
                               "answers - a decode step at the mean context plus 1/256 of the "
                               "prefill of 16 prompts (assumption U1; lab/toolkit.py ANSWER)"),
    })

EDGE = Track(
    key="edge", title="Edge Guardian",
    persona="AV systems lead",
    mission="Run 4K perception on a Jetson AGX Orin inside a deterministic 10 ms loop.",
    crisis_text=("The high-res tax: at 3840x2160 the early convolutions are tens of GFLOPs per "
                 "frame each; the backbone needs more than a TFLOP per frame and the 10 ms "
                 "deadline breaks, while the classifier's Linear layer sits on the memory wall."),
    model="resnet50", hardware="jetson-agx-orin", dtype="int8",
    workload={"batch": 1, "resolution": (3840, 2160)},
    scale_param="resolution",
    sliders={"batch": (1, 16, 1), "resolution": (224, 7680, 3840)},
    linear_layer="fc", conv_layer="stem.conv", probe_layer="layer4.1.conv2",
    trajectory_layers=("stem.conv", "layer1.0.conv2", "layer4.1.conv2", "fc"),
    rate_hz=100.0, deadline_s=0.010, power_budget_w=15.0,
    challenge_workload={"resolution": (1280, 720)}, challenge_dtype="fp16",
    rate_unit="frames/s", part3_pair="resnet-conv",
    sources={
        "deadline_s": "deterministic 10 ms perception loop (PRODUCT.md mission; seed plan)",
        "rate_hz": "one frame per 10 ms loop = 100 frames/s",
        "power_budget_w": ("15 W average: the envelope of the Orin's lowest power mode (S11), taken "
                           "as the thermal budget of a fanless perception box (assumption U1); the "
                           "roofline keeps MAXN peaks - the device races through a frame, then "
                           "idles at its static power"),
        "challenge_workload": ("1280x720 in FP16: Part 2 shows 4K misses the 10 ms loop, so the "
                               "redesign runs the detector on a 720p stream, in FP16 - the "
                               "precision a safety-critical stack validates first (INT8 needs "
                               "per-layer calibration); assumption U1"),
        "dtype": "INT8: GPU + 2 DLA dense 137.5 TOPS (DATA.md A.1, S12)",
    })

MOBILE = Track(
    key="mobile", title="Mobile Nomad",
    persona="AR-glasses developer",
    mission="60 FPS AR translation on a glasses-class NPU with 0.27 W of a < 1 W pair of glasses.",
    crisis_text=("The depthwise compromise: depthwise-separable blocks cut FLOPs ~8x, but do "
                 "the bytes fall with them? Against an NPU ridge of ~590 op/B, that decides "
                 "whether the saved arithmetic saves time and energy, or turns into waiting on "
                 "memory."),
    model="mobilenet-v2", hardware="phone-npu", dtype="int8",
    workload={"batch": 1, "resolution": (640, 480)},
    scale_param="resolution",
    sliders={"batch": (1, 16, 1), "resolution": (96, 2560, 640)},
    linear_layer="fc", conv_layer="features.0.conv", probe_layer="features.18.conv",
    trajectory_layers=("features.0.conv", "features.3.dw", "features.3.project",
                       "features.18.conv", "fc"),
    rate_hz=60.0, deadline_s=1 / 60, power_budget_w=0.27,
    challenge_workload={},
    rate_unit="frames/s", part3_pair="mobilenet-block",
    sources={
        "rate_hz": "60 FPS AR translation (PRODUCT.md mission; seed plan)",
        "deadline_s": "one frame per 1/60 s = 16.7 ms",
        "workload": "640x480 (VGA) camera frames, an assumption (U1) for AR text capture",
        "power_budget_w": ("0.27 W for the NPU (its 0.2 W static share plus 70 mW of work): an "
                           "assumption (U1) - the whole glasses draw < 1 W (Snapdragon AR2 Gen 1, "
                           "S16) and the display, camera, radio and CPU take the rest"),
    })

TINY = Track(
    key="tiny", title="Tiny Pioneer",
    persona="hearable lead",
    mission="Neural speech isolation on an Ethos-U55 microNPU within 10 ms of latency on 1 ms hops, under 50 mW.",
    crisis_text=("The matrix limit: the weights do not fit the SRAM, so they stream from flash "
                 "at 0.5 GB/s; against flash the ridge is 512 op/B, far above a streaming layer's "
                 "intensity. Batching frames regains weight reuse but breaks the 10 ms budget."),
    model="conv-tasnet", hardware="ethos-u55", dtype="int8",
    workload={"batch": 1, "frames": 1},
    scale_param="frames",
    sliders={"batch": (1, 2, 1), "frames": (1, 512, 1)},  # batch 2: both earbuds
    linear_layer="bottleneck", conv_layer="encoder", probe_layer="bottleneck",
    trajectory_layers=("bottleneck", "encoder", "tcn.x0.conv1x1", "tcn.x0.dconv"),
    rate_hz=1000.0, deadline_s=0.010, power_budget_w=0.05, intensity_floor=6.0,
    challenge_workload={},
    rate_unit="frames/s", part3_pair="tcn-conv", frames_per_run=True, latency_budget=True,
    part1_rows="one row per frame, {frames} frame per inference",
    sources={
        "deadline_s": ("neural isolation in < 10 ms (PRODUCT.md mission; seed plan): algorithmic "
                       "latency (2 ms window + (F - 1) x 1 ms of buffered hops) plus compute"),
        "rate_hz": ("Conv-TasNet's encoder hop is 8 samples at 8 kHz = 1 ms (S32): 1000 frames/s, "
                    "i.e. 1000 / F inferences/s with F frames per inference"),
        "intensity_floor": ("6 op/B, not the default 20: with 1 ms hops and a 10 ms budget a run "
                            "can buffer at most 8 frames, so each weight is used at most 8 times "
                            "per run (<= 16 op/B, about half that once activations and the dilated "
                            "convs' cached frames count); 20 is unreachable here (the lab and "
                            "tests/test_lab_tradeoff.py show the best mix within the deadline)"),
        "power_budget_w": "MLPerf-Tiny-class MCUs infer under 50 mW (S33)",
    })


def required_rate(track, workload: dict) -> float:
    """Runs per second the mission needs: rate_hz, or rate_hz / F if frames_per_run (Tiny)."""
    t = get_track(track)
    return t.rate_hz / workload["frames"] if t.frames_per_run else t.rate_hz


def time_budget(track, workload: dict) -> float:
    """Seconds one run may take: the deadline; if latency_budget (Tiny) the deadline less the
    algorithmic latency of F frames (window + buffered hops), at most the F hops' 1 / rate."""
    t = get_track(track)
    if not t.latency_budget:
        return t.deadline_s
    left = t.deadline_s - get_model(t.model).config.algorithmic_latency_s(workload["frames"])
    return np.minimum(left, 1 / required_rate(t, workload))


TRACKS: dict[str, Track] = {t.key: t for t in (CLOUD, EDGE, MOBILE, TINY)}


def get_track(key: str | Track) -> Track:
    """Look a track up by key ('cloud') or title ('Cloud Titan'); RidgelineError if unknown."""
    if isinstance(key, Track):
        return key
    k = str(key).strip().lower()
    for t in TRACKS.values():
        if k in (t.key, t.title.lower()):
            return t
    raise unknown("track", str(key), TRACKS)


# --- workloads and cached profiles --------------------------------------------------------

def workload_kwargs(track: Track, batch=None, scale=None, part: int = 1, **extra) -> dict:
    """Workload fields for ``profile`` at a slider position.

    ``part=3`` starts from the challenge workload. The scaled parameter sets seq_len, frames or
    the image width (height keeps the aspect ratio, as ``Workload.with_param`` does).
    """
    track = get_track(track)
    recipe = get_model(track.model)
    base = dict(track.workload, **(track.challenge_workload if part == 3 else {}))
    w = recipe.workload(**base)
    if batch is not None:
        w = w.with_param("batch", check_dim("batch", batch))
    if scale is not None:
        w = w.with_param(track.scale_param, check_dim(track.scale_label, scale))
    out = asdict(w)
    out["resolution"] = tuple(int(x) for x in out["resolution"])
    out.update(extra)
    return out


@lru_cache(maxsize=512)
def _cached_profile(model, hardware, dtype, memory_model, items) -> Profile:
    return profile(model, hardware, dtype, memory_model, **dict(items))


def track_profile(track, batch=None, scale=None, *, dtype=None, memory_model="compulsory",
                  part: int = 1, **extra) -> Profile:
    """The track's model profiled on its device at a slider position (cached).

    ``extra`` overrides workload fields (e.g. ``flash=True``, ``phase='prefill'``).
    """
    track = get_track(track)
    kw = workload_kwargs(track, batch, scale, part, **extra)
    return _cached_profile(track.model, track.hardware, dtype or track.dtype, memory_model,
                           tuple(sorted(kw.items())))


def layer_names(track) -> list[str]:
    """Names of the track's layers in model order (for the Layer picker)."""
    return [e.name for e in track_profile(track).layers]


def default(track, name: str):
    """A slider's default: ``default(track, 'batch')`` or ``default(track, track.scale_param)``."""
    track = get_track(track)
    if name not in track.sliders:
        raise RidgelineError(f"track {track.key} has no slider {name!r}")
    return track.sliders[name][2]


# --- the crisis in numbers ------------------------------------------------------------------

def crisis(track) -> dict:
    """Label (with unit) -> number: the track's intensity crisis, computed by the engine
    (lab/crisis.py: it shows no number a lock grades, nor one that gives it by proportion)."""
    from .crisis import crisis_numbers  # crisis.py builds on this module's profiles
    return crisis_numbers(track)


def time_budget_rule(track, workload: dict) -> str:
    """:func:`time_budget` in the words every view uses (Part 2's breaks, Part 3's card):
    'time budget per run: min(10 ms latency budget − 2 ms window and buffering, keep up with
    1 × 1 ms hops) = 1 ms' if latency_budget, else 'time budget per run: the 10 ms deadline'."""
    t = get_track(track)
    ms = lambda s: f"{float(s) * 1e3:.3g} ms"
    left = float(time_budget(t, workload))
    value = ms(left) if left > 0 else f"{ms(left)}: buffering alone uses the latency budget"
    if not t.latency_budget:  # the deadline itself: no arithmetic to show
        return f"time budget per run: the {ms(t.deadline_s)} deadline"
    f = int(workload["frames"])
    lat = get_model(t.model).config.algorithmic_latency_s(f)
    return (f"time budget per run: min({ms(t.deadline_s)} latency budget − {ms(lat)} window and "
            f"buffering, keep up with {f} × {ms(1 / t.rate_hz)} hops) = {value}")
