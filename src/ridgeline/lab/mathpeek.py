"""Math peek: each formula as LaTeX with the current numbers substituted.

Intensity (DATA.md D.2-D.4): I = FLOPs / (elements moved x s), s = bytes per element. Each
operator's form shows its symbolic formula, the dimensions substituted, then the evaluated
fraction whose every number - FLOPs, each traffic term and the final I - comes from the
operator's own ``flops()`` and ``traffic()`` (``ridgeline.ops``), the very methods the engine
(``roofline.estimate``) calls, so the peek cannot drift from the profiler card. Energy and
time forms take their numbers from the engine's :class:`~ridgeline.roofline.Estimate`.
"""

from __future__ import annotations

from ..dtypes import get_dtype
from ..energy import op_energy
from ..hardware import get_hardware
from ..ops import Attention, Conv2d, Gemm, OnChip, Traffic
from ..roofline import Estimate
from .cards import track_layers
from .story import EFFECTIVE, judged_estimate, level_ridges
from .tracks import get_track, track_profile

#: The memory model of the peek's traffic and of the estimate it is checked against (the
#: lab's ``track_profile`` default): every operand moved once, the seed's intensity.
PEEK_MEMORY_MODEL = "compulsory"


def _n(x) -> str:
    """A whole number with LaTeX thousands separators, else 4 significant figures."""
    x = float(x)
    if x == int(x) and abs(x) < 1e16:
        return f"{int(x):,}".replace(",", "{,}")
    return f"{x:.4g}"


def latex_number(x) -> str:
    """4 significant figures; powers of ten as LaTeX (1.879 \\times 10^{9})."""
    text = f"{float(x):.4g}"
    if "e" in text:
        mant, exp = text.split("e")
        return rf"{mant} \times 10^{{{int(exp)}}}"
    return text


_i = latex_number  # short name for the formula strings below


def _sum(parts) -> str:
    """'a + b + c' over the non-zero terms, each a whole number with separators."""
    return " + ".join(_n(x) for x in parts if x)


def _from_op(op, s: float, onchip: OnChip | None) -> tuple[float, Traffic, float]:
    """(FLOPs, traffic in elements, I = FLOPs / (traffic.total . s)), all from the op itself."""
    flops = op.flops()
    tr = op.traffic(PEEK_MEMORY_MODEL, onchip)
    return flops, tr, flops / (tr.total * s)


def _evaluated(flops, parts, s: float, value: float) -> str:
    """' = F / ((t_1 + t_2 + ...) . s) = I' with the op's own numbers."""
    return rf" = \frac{{{_n(flops)}}}{{({_sum(parts)}) \cdot {_i(s)}}} = {_i(value)}"


def gemm_latex(op: Gemm, s: float, onchip: OnChip | None = None) -> str:
    """I = 2MNK / ((MK + KN + MN).s) with the numbers substituted (bias adds N weights).

    Evaluated terms: A (inputs), B (weights, bias included), C (outputs) from ``op.traffic()``.
    """
    m, n, k = op.m, op.n, op.k
    bias = f" + {_n(n)}" if op.bias else ""
    flops, tr, value = _from_op(op, s, onchip)
    return (r"I = \frac{2MNK}{(MK + KN + MN)\cdot s} = "
            rf"\frac{{2 \cdot {_n(m)} \cdot {_n(n)} \cdot {_n(k)}}}"
            rf"{{({_n(m)} \cdot {_n(k)} + {_n(k)} \cdot {_n(n)} + {_n(m)} \cdot {_n(n)}{bias}) \cdot {_i(s)}}}"
            + _evaluated(flops, [tr.inputs, tr.weights, tr.outputs], s, value))


def conv_latex(op: Conv2d, s: float, onchip: OnChip | None = None) -> str:
    """I = 2.N.Ho.Wo.Co.(Ci/g).Kh.Kw / ((N.Ci.H.W + Kh.Kw.(Ci/g).Co + N.Co.Ho.Wo).s).

    Evaluated terms: inputs, weights (bias included), outputs from ``op.traffic()``.
    """
    nb, ci, co, g = op.batch, op.in_channels, op.out_channels, op.groups
    h, w, ho, wo, kh, kw = op.height, op.width, op.out_height, op.out_width, op.kernel_h, op.kernel_w
    cig = ci // g
    flops, tr, value = _from_op(op, s, onchip)
    return (r"I = \frac{2\,N H_o W_o C_o (C_i/g) K_h K_w}{(N C_i H W + K_h K_w (C_i/g) C_o + N C_o H_o W_o)\cdot s}"
            rf" = \frac{{2 \cdot {_n(nb)} \cdot {_n(ho)} \cdot {_n(wo)} \cdot {_n(co)} \cdot {_n(cig)} \cdot {_n(kh)} \cdot {_n(kw)}}}"
            rf"{{({_n(nb)} \cdot {_n(ci)} \cdot {_n(h)} \cdot {_n(w)} + {_n(kh)} \cdot {_n(kw)} \cdot {_n(cig)} \cdot {_n(co)}"
            rf" + {_n(nb)} \cdot {_n(co)} \cdot {_n(ho)} \cdot {_n(wo)}) \cdot {_i(s)}}}"
            + _evaluated(flops, [tr.inputs, tr.weights, tr.outputs], s, value))


def attention_latex(op: Attention, s: float, onchip: OnChip | None = None) -> str:
    """I = 4.B.H.d.P / ((Q + O + K,V + scores).s), P = query-key pairs (T in decode).

    The denominator's terms (Q + O, the KV cache, the score scratch) and I come from
    ``op.traffic()`` and ``op.flops()``; ``onchip`` matters only for FlashAttention.
    """
    _, tr, value = _from_op(op, s, onchip)
    b, h, d = op.batch, op.heads, op.head_dim
    if op.phase == "decode":
        head = (r"I_{\text{decode}} = \frac{4 B H d T}{(2 B H d + 2 B H_{kv} T d + 4 B H T)\cdot s}"
                rf" = \frac{{4 \cdot {_n(b)} \cdot {_n(h)} \cdot {_n(d)} \cdot {_n(op.seq_len)}}}")
    else:
        head = (r"I_{\text{prefill}} = \frac{4 B H d P}{(Q + K + V + O + \text{scores})\cdot s},\ P = \tfrac{T(T+1)}{2}"
                rf" = \frac{{4 \cdot {_n(b)} \cdot {_n(h)} \cdot {_n(d)} \cdot {_n(op.pairs)}}}")
    denom = _sum([tr.inputs + tr.outputs, tr.kv_cache, tr.scratch])
    return head + rf"{{({denom}) \cdot {_i(s)}}} = {_i(value)}"


def energy_latex(e: Estimate, e_op: float, e_mem: float, e_w: float, e_on: float = 0.0) -> str:
    """E = F.e_op + B_act.e_mem + B_w.e_w + B_on.e_on + P_static.t for one copy, with the
    estimate's own bytes per level (docs/formulas.md §8, §14); equals ``e.energy_j / count``."""
    n = e.count
    fl, act, wts = float(e.flops) / n, float(e.bytes.activations) / n, float(e.bytes.weights) / n
    on, stat = float(e.onchip_bytes) / n, float(e.energy_static_j) / n
    value = fl * e_op + act * e_mem + wts * e_w + on * e_on + stat
    terms = [rf"{_i(fl)} \cdot {_i(e_op * 1e12)}\,\text{{pJ}}", rf"{_i(act)} \cdot {_i(e_mem * 1e12)}\,\text{{pJ}}",
             rf"{_i(wts)} \cdot {_i(e_w * 1e12)}\,\text{{pJ}}"]
    head = r"E = F \cdot e_{op} + B_{mem} \cdot e_{mem} + B_{w} \cdot e_{w}"
    if on:
        head += r" + B_{chip} \cdot e_{chip}"
        terms.append(rf"{_i(on)} \cdot {_i(e_on * 1e12)}\,\text{{pJ}}")
    if stat:
        head += r" + P_{\text{static}}\, t"
        terms.append(rf"{_i(float(e.static_w))}\,\text{{W}} \cdot {_i(float(e.time_s) / n)}\,\text{{s}}")
    # three lines (aligned at '='): the formula, the terms (two lines when there are more
    # than three: the static and on-chip terms), the value - one line overflowed 1366 px
    lines = [head.replace("E = ", "E &= ", 1), "&= " + " + ".join(terms[:3])]
    if terms[3:]:
        lines.append(r"&\quad + " + " + ".join(terms[3:]))
    lines.append(rf"&= {_i(value)}\ \text{{J}}")
    return r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}"


def roofline_latex(e: Estimate) -> str:
    """t = max(F / P_peak, B / BW) for one copy; the device's ridge per memory level
    I*_level = P_peak / BW_level; and, for bytes from two levels, the effective ridge of the
    layer's byte mix P_peak . t_mem / B (the engine's, which its bound is judged against)."""
    n = e.count
    tc, tm = float(e.time_compute_s) / n, float(e.time_memory_s) / n
    levels = r",\ ".join(rf"I^*_{{\text{{{r['level']}}}}} = \frac{{P_{{peak}}}}{{BW_{{\text{{{r['level']}}}}}}}"
                          rf" = {_i(r['ridge'])}" for r in level_ridges(e.hardware, e.dtype))
    out = (r"t = \max\!\left(\frac{F}{P_{peak}}, \frac{B}{BW}\right) = "
           rf"\max({_i(tc * 1e3)}\,\text{{ms}}, {_i(tm * 1e3)}\,\text{{ms}}) = {_i(max(tc, tm) * 1e3)}\,\text{{ms}};"
           rf"\quad {levels}")
    if judged_estimate(e)["effective"]:
        out += (rf";\quad I^*_{{\text{{eff}}}} = \frac{{P_{{peak}}\, t_{{mem}}}}{{B}} = {_i(e.ridge)}"
                rf"\ \text{{({EFFECTIVE})}}")
    return out


def op_latex(op, s: float, onchip: OnChip | None = None) -> str | None:
    """The intensity formula for ``op`` with its numbers, or None for bandwidth operators."""
    if isinstance(op, Gemm):
        return gemm_latex(op, s, onchip)
    if isinstance(op, Conv2d):
        return conv_latex(op, s, onchip)
    if isinstance(op, Attention):
        return attention_latex(op, s, onchip)
    return None


def math_peek(track, layer=None, batch=None, scale=None) -> dict:
    """LaTeX for the selected layer (its own form, energy, roofline) and the track's GEMM,
    conv and attention layers, with the current numbers substituted."""
    t = get_track(track)
    layer = layer or t.linear_layer
    ops = {l.name: l.op for l in track_layers(t, batch, scale)}
    hw = get_hardware(t.hardware)
    s, onchip = get_dtype(t.dtype).bytes, hw.onchip_elements(t.dtype)
    # time and energy where the bytes really live (placed); the intensity forms are the seed's
    e = track_profile(t, batch, scale, memory_model="placed").layer(layer)
    w_level = hw.weight_store if e.weights_in == "weight_store" else hw.memory
    out = {"layer": op_latex(ops[layer], s, onchip),
           "energy": energy_latex(e, op_energy(hw, t.dtype).value, hw.memory.energy_per_byte.value,
                                  w_level.energy_per_byte.value, hw.onchip.energy_per_byte.value),
           "roofline": roofline_latex(e),
           "gemm": op_latex(ops[t.linear_layer], s, onchip)}
    return out | _first_forms(t, ops, s, onchip)


def _first_forms(t, ops: dict, s: float, onchip: OnChip) -> dict:
    """The conv form (the track's conv layer, else its first conv) and the first attention's."""
    convs = [op for op in ops.values() if isinstance(op, Conv2d)]
    attns = [op for op in ops.values() if isinstance(op, Attention)]
    conv = ops.get(t.conv_layer) if isinstance(ops.get(t.conv_layer), Conv2d) else next(iter(convs), None)
    return {"conv": conv_latex(conv, s, onchip) if conv is not None else None,
            "attention": attention_latex(attns[0], s, onchip) if attns else None}
