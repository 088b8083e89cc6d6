"""Math peek: every number in an intensity form comes from the operator's own flops() and
traffic() (the methods the engine calls), and the final I equals the engine's intensity for
every layer of every track; the workbench split keeps one facade and no UI imports."""

import ast
import pathlib
from dataclasses import dataclass

import pytest

from ridgeline.dtypes import get_dtype
from ridgeline.hardware import get_hardware
from ridgeline.lab import mathpeek as mp
from ridgeline.lab import workbench as wb
from ridgeline.lab.cards import track_layers
from ridgeline.lab.tracks import TRACKS, track_profile
from ridgeline.ops import Attention, Conv2d, Gemm, Traffic, linear
from ridgeline.recipes import models

AVAILABLE = [t for t in TRACKS.values() if t.model in models()]
ids = lambda t: t.key


def _final(latex: str) -> str:
    """The text after the last '=' (the form's final value, as printed)."""
    return latex.rsplit("=", 1)[1].strip()


@pytest.mark.parametrize("track", AVAILABLE, ids=ids)
def test_every_layer_form_ends_on_the_engines_intensity(track):
    prof = track_profile(track)
    checked = 0
    for layer in track_layers(track):
        form = wb.math_peek(track, layer.name)["layer"]
        if layer.op.macs() == 0:  # norms, pools, lookups: bandwidth operators have no form
            assert form is None, layer.name
            continue
        # 4 significant figures: the printed value is the engine's intensity, printed the same way
        assert _final(form) == mp.latex_number(float(prof.layer(layer.name).intensity)), layer.name
        checked += 1
    assert checked >= 3  # each track has matrix layers (Linear, conv or attention)


def test_gemm_form_known_answer():
    # Llama-3-70B gate_proj at batch 4, fp8 (s = 1): M = 4, K = 8192, N = 28672
    #   FLOPs = 2.4.28672.8192 = 1,879,048,192; traffic = MK 32,768 + KN 234,881,024 + MN 114,688
    #   I = 1,879,048,192 / 235,028,480 = 7.995
    form = mp.gemm_latex(linear(4, 8192, 28_672), 1)
    assert (r"= \frac{1{,}879{,}048{,}192}{(32{,}768 + 234{,}881{,}024 + 114{,}688) \cdot 1}"
            r" = 7.995") in form
    assert form.startswith(r"I = \frac{2MNK}{(MK + KN + MN)\cdot s} = \frac{2 \cdot 4 \cdot 28{,}672")


def test_conv_form_known_answer():
    # ResNet-50 stem at 3840x2160, int8 (s = 1): 3 -> 64 channels, 7x7, stride 2, pad 3
    #   Ho.Wo = 1080.1920; FLOPs = 2.1080.1920.64.3.49 = 39,016,857,600
    #   traffic = 3.2160.3840 (24,883,200) + 49.3.64 (9,408) + 64.1080.1920 (132,710,400)
    #   I = 39,016,857,600 / 157,603,008 = 247.6
    form = mp.conv_latex(Conv2d(1, 3, 64, 2160, 3840, 7, 7, stride=2, padding=3), 1)
    assert (r"= \frac{39{,}016{,}857{,}600}{(24{,}883{,}200 + 9{,}408 + 132{,}710{,}400) \cdot 1}"
            r" = 247.6") in form


@dataclass(frozen=True)
class _Rereading(Gemm):
    """A GEMM whose traffic says the weights are read twice: the form must follow it."""

    def traffic(self, memory_model="compulsory", onchip=None) -> Traffic:
        t = super().traffic(memory_model, onchip)
        return Traffic(weights=2 * t.weights, inputs=t.inputs, outputs=t.outputs)


def test_forms_take_their_numbers_from_the_op_not_a_rederivation():
    # M = N = K = 10, s = 2: FLOPs 2,000; traffic 100 + 2.100 + 100 = 400 elements
    #   I = 2,000 / (400.2) = 2.5 (a re-derived MK + KN + MN would give 2,000 / 600 = 3.333)
    form = mp.gemm_latex(_Rereading(10, 10, 10), 2)
    assert r"\frac{2{,}000}{(100 + 200 + 100) \cdot 2} = 2.5" in form


def test_flash_attention_form_matches_the_engine():
    # FlashAttention's traffic may depend on the chip's on-chip sizes (Dao et al. 2022): the
    # form passes the device's OnChip, as roofline.estimate does, so its I is the engine's
    from ridgeline.roofline import estimate

    op = Attention(1, 64, 8, 128, 8192, "prefill", flash=True)
    hw, dt = get_hardware("h100-sxm"), get_dtype("bf16")
    form = mp.attention_latex(op, dt.bytes, hw.onchip_elements(dt))
    engine = estimate(op, hw, dt, mp.PEEK_MEMORY_MODEL)
    assert _final(form) == mp.latex_number(float(engine.intensity))
    assert "scores" in form  # the symbolic prefill form


def test_workbench_facade_reexports_the_split_modules():
    from ridgeline.lab import cards, probes, roofline_data, trajectory

    assert wb.layer_card is cards.layer_card and wb.trajectory is trajectory.trajectory
    assert wb.new_game is probes.new_game and wb.ProbeGame is probes.ProbeGame
    assert wb.roofline is roofline_data.roofline and wb.math_peek is mp.math_peek
    assert all(hasattr(wb, name) for name in wb.__all__)


LAB = pathlib.Path(wb.__file__).parent


@pytest.mark.parametrize("module", ["cards", "trajectory", "probes", "roofline_data", "mathpeek"])
def test_split_modules_import_no_ui_stack(module):
    tree = ast.parse((LAB / f"{module}.py").read_text())
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module.split(".")[0] for n in ast.walk(tree)
              if isinstance(n, ast.ImportFrom) and n.module and n.level == 0}
    assert not names & {"marimo", "altair", "pandas", "torch", "onnx"}


def test_lab_functions_and_cells_stay_short():
    """<= 40 lines per function (marimo cells included), <= 400 per module but the notebook."""
    for path in sorted(LAB.glob("*.py")):
        text = path.read_text()
        if path.name != "app.py":
            assert text.count("\n") <= 400, path.name
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                span = node.end_lineno - node.lineno + 1
                assert span <= 40, f"{path.name}:{node.lineno} {node.name} is {span} lines"
