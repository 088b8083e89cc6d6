"""Tiny-track recipes: a causal Conv-TasNet for streaming speech isolation, and DS-CNN (KWS).

Tiny track story: a hearable must isolate speech in < 10 ms on a Cortex-M55 + Ethos-U55 class
MCU. Conv-TasNet's algorithmic latency is only its 2 ms encoder window (causal TCN, no
look-ahead), so the latency budget is met on paper - but its ~5.05 M int8 weights (5 MB) are
ten times the 512 KB SRAM, so every frame streams all of them from flash: ~2 op/B, far below
the flash ridge, ~10 ms per 1 ms hop. Processing F frames per inference (``frames``) reuses
each weight F times (intensity grows ~F) but buffers F hops first: algorithmic latency
= window + (F - 1) . hop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..ops import Conv2d, Elementwise, linear, norm
from . import register
from .base import Layer, Recipe, Workload
from .cnn import conv_bn, global_avg_pool

# --------------------------------------------------------------------------- Conv-TasNet


@dataclass(frozen=True)
class ConvTasNetConfig:
    """Luo & Mesgarani 2019 (arXiv:1809.07454, S32), Table I row N=512, L=16, B=128, H=512,
    Sc=128, P=3, X=8, R=3 (5.1 M params), in its causal form (cLN, causal padding), as built
    by the authors' reference code (github.com/naplab/Conv-TasNet, ``TasNet(causal=True)``).
    """

    filters: int = 512          # N: encoder basis functions
    window: int = 16            # L: encoder window, samples (2 ms at 8 kHz)
    bottleneck: int = 128       # B: TCN residual (and skip, Sc) channels
    hidden: int = 512           # H: channels inside each 1-D conv block
    kernel: int = 3             # P: depthwise kernel along time
    blocks: int = 8             # X: blocks per repeat, dilations 1, 2, ..., 2^(X-1)
    repeats: int = 3            # R
    sources: int = 2            # C: speakers separated (wsj0-2mix)
    sample_rate: float = 8000.0  # Hz: wsj0-2mix at 8 kHz (S32)

    @property
    def hop(self) -> int:
        return self.window // 2  # encoder stride L/2 (reference code: stride = win // 2)

    @property
    def window_s(self) -> float:
        return self.window / self.sample_rate  # 16 / 8000 = 2 ms

    @property
    def hop_s(self) -> float:
        return self.hop / self.sample_rate     # 8 / 8000 = 1 ms per encoder frame

    def algorithmic_latency_s(self, frames=1):
        """Window + buffered hops: L/fs + (F - 1) . hop/fs (causal TCN: no look-ahead).

        The newest sample waits for its window to close; with F frames per inference the
        oldest one also waits for F - 1 further hops. Compute time comes on top.
        """
        return self.window_s + (frames - 1) * self.hop_s


CONV_TASNET = ConvTasNetConfig()


def build_conv_tasnet(cfg: ConvTasNetConfig, wl: Workload) -> list[Layer]:
    """Named layers of one streaming inference over F = ``frames`` new encoder frames.

    Every 1x1 conv is a GEMM with M = batch . F rows; the dilated depthwise conv of block x
    (dilation d = 2^x) reads the min(F + (P-1).d, P.F) frames its taps touch (new + cached). Blocks with
    the same x are identical across the R repeats: one layer, ``count = R``.
    Per frame: ~4.98 M MACs; params 5,049,650 (N.L + B.N + ... ; 5.1 M in S32).
    """
    m = wl.batch * wl.frames
    layers = _tasnet_front(cfg, wl, m)
    for x in range(cfg.blocks):
        layers += _tasnet_block(cfg, wl, m, x)
    layers += _tasnet_back(cfg, wl, m)
    return layers


def _tasnet_front(cfg, wl, m):
    n, samples = cfg.filters, cfg.hop * wl.frames + cfg.window - cfg.hop  # F frames of L, hop L/2
    enc = Conv2d(wl.batch, 1, n, 1, samples, 1, cfg.window, stride=cfg.hop)  # Conv1d(1, N, L, L/2)
    return [Layer("encoder", enc, 1, "encoder"),
            Layer("bottleneck", linear(m, n, cfg.bottleneck), 1, "separator"),  # 1x1, no bias
            Layer("norm", norm("layernorm", m, cfg.bottleneck, 2 * cfg.bottleneck), 1, "separator")]


def _tasnet_block(cfg, wl, m, x):
    """1x1 B->H, PReLU, cLN, depthwise P (dilation 2^x), PReLU, cLN, 1x1 H->B (residual) and
    1x1 H->B (skip); residual and skip sums. All convs have biases (reference DepthConv1d)."""
    b, h, d, g = cfg.bottleneck, cfg.hidden, 2 ** x, f"tcn.x{x}"
    # The F outputs need inputs {t - k.d : k < P} for F consecutive t: min(F + (P-1).d, P.F)
    # distinct frames (the cached taps, not the whole gap between them, are read). A
    # dilation of min(d, F) gives exactly that input length with the same F outputs and MACs.
    d_read = np.minimum(d, wl.frames)
    dconv = Conv2d(wl.batch, h, h, 1, wl.frames + (cfg.kernel - 1) * d_read, 1, cfg.kernel,
                   dilation=d_read, groups=h, bias=True)
    ops = [("conv1x1", linear(m, b, h, bias=True)),
           ("prelu1", Elementwise("prelu", m * h, weights=1)),
           ("norm1", norm("layernorm", m, h, 2 * h)),
           ("dconv", dconv),
           ("prelu2", Elementwise("prelu", m * h, weights=1)),
           ("norm2", norm("layernorm", m, h, 2 * h)),
           ("res_conv", linear(m, h, b, bias=True)),
           ("skip_conv", linear(m, h, b, bias=True)),
           ("res_add", Elementwise("add", m * b, reads=2)),
           ("skip_add", Elementwise("add", m * b, reads=2))]
    return [Layer(f"{g}.{name}", op, cfg.repeats, g) for name, op in ops]


def _tasnet_back(cfg, wl, m):
    """PReLU, 1x1 B -> C.N masks (+ sigmoid, fused), masks x encoder output, then the
    decoder: ConvTranspose1d(N, 1, L, stride L/2) = a per-frame GEMM N -> L (shared by the
    C sources) and an overlap-add of half-windows that also adds its single bias."""
    c, n = cfg.sources, cfg.filters
    return [
        Layer("mask.prelu", Elementwise("prelu", m * cfg.bottleneck, weights=1), 1, "mask"),
        Layer("mask.conv", linear(m, cfg.bottleneck, c * n, bias=True), 1, "mask"),
        Layer("mask.apply", Elementwise("mul", m * c * n, reads=2), 1, "mask"),
        Layer("decoder", linear(m * c, n, cfg.window), 1, "decoder"),
        Layer("decoder.overlap_add", Elementwise("add", m * c * cfg.hop, reads=2, weights=1), 1,
              "decoder"),
    ]


register(Recipe(
    key="conv-tasnet", title="Conv-TasNet (causal, streaming)",
    citation="Luo & Mesgarani 2019, Conv-TasNet, IEEE/ACM TASLP 27(8) (arXiv:1809.07454, S32): "
             "N=512, L=16, B=128, H=512, P=3, X=8, R=3, ~5.1 M params at 8 kHz; causal "
             "reference code github.com/naplab/Conv-TasNet",
    builder=build_conv_tasnet, config=CONV_TASNET, params=("frames", "batch"),
    default=Workload(batch=1, frames=1), default_dtype="int8", default_hardware="ethos-u55",
    notes="Tiny track: speech isolation in < 10 ms. Encoder window L = 16 samples = 2 ms, hop "
          "1 ms at 8 kHz; causal, so algorithmic latency = 2 ms + (F - 1) x 1 ms for F frames "
          "per inference. 5.05 M int8 weights (5 MB) >> 512 KB SRAM: they stream from flash "
          "(0.5 GB/s, ~10 ms per inference) at ~2 op/B; batching frames raises intensity ~F "
          "but the buffering breaks the 10 ms budget."))


# --------------------------------------------------------------------------- DS-CNN (KWS)


@dataclass(frozen=True)
class DSCNNConfig:
    """MLPerf Tiny keyword-spotting reference (S33 keras_model.py; Zhang et al. 2017, S34)."""

    mfcc_frames: int = 49       # 1 s at 16 kHz, 40 ms window, 20 ms stride
    mfcc_coeffs: int = 10
    channels: int = 64
    first_kernel: tuple = (10, 4)  # (time, frequency), stride 2, 'same' padding
    ds_blocks: int = 4          # DepthwiseConv 3x3 + BN + ReLU, Conv 1x1 + BN + ReLU
    num_classes: int = 12
    bn_weights_per_channel: int = 4  # Keras counts gamma, beta, moving mean and variance


DS_CNN = DSCNNConfig()


def _same_padded(size, kernel, stride):
    """TF 'same': out = ceil(size/stride); the zero-padded input spans (out - 1).S + K."""
    out = -(-size // stride)
    return (out - 1) * stride + kernel


def build_ds_cnn(cfg: DSCNNConfig, wl: Workload) -> list[Layer]:
    """Named layers of one 1-second inference: 24,908 params incl. BN, 2,656,768 MACs.

    NB: TF's asymmetric 'same' padding of the 10x4 stride-2 conv (4 top / 5 bottom rows,
    1 / 1 columns) is expressed as a pre-padded 58 x 12 input, so its input traffic counts the
    zeros (696 instead of 490 elements).
    """
    n, c, (kh, kw) = wl.batch, cfg.channels, cfg.first_kernel
    h, w = _same_padded(cfg.mfcc_frames, kh, 2), _same_padded(cfg.mfcc_coeffs, kw, 2)
    conv1 = Conv2d(n, 1, c, h, w, kh, kw, stride=2, bias=True)
    rows = n * conv1.out_height * conv1.out_width
    layers = [Layer("conv1", conv1, 1, "stem"),
              Layer("conv1_bn", norm("batchnorm", rows, c, cfg.bn_weights_per_channel * c), 1,
                    "stem")]
    h, w = conv1.out_height, conv1.out_width
    for i in range(1, cfg.ds_blocks + 1):
        g, bn = f"ds{i}", cfg.bn_weights_per_channel
        conv_bn(layers, f"{g}.dw", f"{g}.dw_bn", g, n, c, c, h, w, 3, groups=c, bias=True,
                bn_weights_per_channel=bn)
        conv_bn(layers, f"{g}.pw", f"{g}.pw_bn", g, n, c, c, h, w, 1, padding=0, bias=True,
                bn_weights_per_channel=bn)
    global_avg_pool(layers, "avgpool", "head", n, c, h, w)
    layers.append(Layer("fc", linear(n, c, cfg.num_classes, bias=True), 1, "head"))
    return layers


register(Recipe(
    key="ds-cnn", title="DS-CNN keyword spotting (MLPerf Tiny)",
    citation="mlcommons/tiny v0.1 keyword_spotting keras_model.py (S33); Zhang et al. 2017, "
             "Hello Edge (arXiv:1711.07128, S34): 24,908 params incl. BN, 2.66 M MACs",
    builder=build_ds_cnn, config=DS_CNN, params=("batch",),
    default=Workload(batch=1), default_dtype="int8", default_hardware="ethos-u55",
    notes="Tiny-track contrast: a classifier whose 25 KB of int8 weights fit SRAM easily; "
          "one inference per 1 s of audio (49 x 10 MFCC). Not a streaming enhancer."))
