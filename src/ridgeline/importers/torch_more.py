"""Handlers for the operators beyond GEMM, conv2d, attention and the bandwidth ops:
3-D and transposed convolution, resampling, top-k and sort, FFT, LSTM and GRU.

Same signature as :mod:`.torch_aten`'s handlers; the formulas are in docs/formulas.md
§15-§18 (ridgeline.ops.ConvND, Resample, TopK, FFT, Recurrent).
"""

from __future__ import annotations

from math import prod

from ..ops import FFT, ConvND, Recurrent, Resample, TopK

UPSAMPLE = {"upsample_nearest1d": "nearest", "upsample_nearest2d": "nearest",
            "upsample_nearest3d": "nearest", "_upsample_nearest_exact1d": "nearest",
            "_upsample_nearest_exact2d": "nearest", "_upsample_nearest_exact3d": "nearest",
            "upsample_linear1d": "linear", "upsample_bilinear2d": "bilinear",
            "_upsample_bilinear2d_aa": "bilinear", "upsample_bicubic2d": "bicubic",
            "_upsample_bicubic2d_aa": "bicubic", "upsample_trilinear3d": "trilinear"}
#: grid_sampler's interpolation_mode argument: 0 bilinear, 1 nearest, 2 bicubic.
GRID_MODES = {0: "bilinear", 1: "nearest", 2: "bicubic"}


def _out(out):
    from .torch_aten import first_tensor
    return first_tensor(out)


def conv_nd(tracer, a, out):
    """aten.convolution with 3 spatial axes or transposed -> ConvND (§15)."""
    x, w, o = a["input"], a["weight"], _out(out)
    transposed = bool(a.get("transposed"))
    groups = a.get("groups", 1)
    # weight: (C_out, C_in/g, k...) plain, (C_in, C_out/g, k...) transposed
    c_out = w.shape[1] * groups if transposed else w.shape[0]
    op = ConvND(x.shape[0], x.shape[1], c_out, prod(x.shape[2:]), prod(o.shape[2:]),
                prod(w.shape[2:]), groups, a.get("bias") is not None, transposed)
    short = ("conv_transpose" if transposed else "conv") + f"{x.dim() - 2}d"
    tracer.add(short, op)


def _upsample(mode):
    def handler(tracer, a, out):
        x = a.get("self", a.get("input"))
        tracer.add(f"upsample_{mode}", Resample(mode, _out(out).numel(), x.numel()))
    return handler


def _grid_sample(tracer, a, out):
    mode = GRID_MODES.get(a.get("interpolation_mode"), "bilinear")
    if a["input"].dim() == 5 and mode == "bilinear":
        mode = "trilinear"
    tracer.add("grid_sample", Resample(mode, _out(out).numel(), a["input"].numel(),
                                       grid=a["grid"].numel()))


def _select(tracer, a, out, short):
    x, dim = a["self"], a.get("dim", -1)
    n = x.shape[dim] if x.dim() else 1
    k = a.get("k", n) if short == "topk" else n
    tracer.add(short, TopK(max(1, x.numel() // max(1, n)), n, max(1, k)))


def _fft(tracer, a, out, real):
    x, dims = a["self"], a.get("dim") or range(a["self"].dim())
    if real == "c2r":  # the real output's length along the last axis gives n
        n = prod(_out(out).shape[d] for d in dims)
        batch = _out(out).numel() // n
    else:
        n = prod(x.shape[d] for d in dims)
        batch = x.numel() // n
    tracer.add("fft", FFT(batch, n, real=real != "c2c"))


def recurrent(cell):
    """torch.lstm / torch.gru (what nn.LSTM / nn.GRU call) -> one Recurrent per layer, its
    directions as the count. Packed sequences and LSTM projections are counted in pieces."""
    def handler(tracer, input, hx, params, has_biases, num_layers, dropout, train,
                bidirectional, batch_first=False, *rest):
        if not isinstance(params, (list, tuple)) or not params or params[0].dim() != 2:
            return False  # a packed sequence: (data, batch_sizes, hx, params, ...)
        dirs = 2 if bidirectional else 1
        per = len(params) // (num_layers * dirs)
        if per not in (2, 4):  # proj_size adds a projection weight: leave it to the aten ops
            return False
        steps, batch = _steps_batch(input, batch_first)
        width = input.shape[-1]
        for layer in range(num_layers):
            first = params[layer * dirs * per: (layer + 1) * dirs * per]
            hidden = first[1].shape[1]
            tracer.reading = list(first)
            tracer.add(cell, Recurrent(cell, batch, steps, width, hidden, has_biases), dirs)
            width = hidden * dirs
        return True
    return handler


def _steps_batch(x, batch_first):
    if x.dim() == 2:  # unbatched (T, I)
        return x.shape[0], 1
    return (x.shape[1], x.shape[0]) if batch_first else (x.shape[0], x.shape[1])


ATEN = {
    **{n: _upsample(m) for n, m in UPSAMPLE.items()},
    "grid_sampler_2d": _grid_sample, "grid_sampler_3d": _grid_sample,
    "topk": lambda t, a, o: _select(t, a, o, "topk"),
    "sort": lambda t, a, o: _select(t, a, o, "sort"),
    "_fft_r2c": lambda t, a, o: _fft(t, a, o, "r2c"),
    "_fft_c2c": lambda t, a, o: _fft(t, a, o, "c2c"),
    "_fft_c2r": lambda t, a, o: _fft(t, a, o, "c2r"),
}
FUSED = {"lstm": recurrent("lstm"), "gru": recurrent("gru")}
