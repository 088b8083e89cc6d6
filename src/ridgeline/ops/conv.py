"""2-D convolution (stride, padding, dilation, groups); depthwise and pointwise fall out of it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import RidgelineError, check_flags, check_tensors, set_dim
from .base import OnChip, Traffic, check_memory_model, gemm_rereads


def conv_out(size, kernel, stride, padding, dilation):
    """H_out = floor((H + 2P - D.(K - 1) - 1) / S) + 1   (PyTorch Conv2d docs; D.3)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


@dataclass(frozen=True)
class Conv2d:
    """Conv2d on N x C_in x H x W with C_out filters of (C_in/g) x K_h x K_w.

    MACs = N.H_out.W_out.C_out.(C_in/g).K_h.K_w ; FLOPs = 2.MACs   [D.3, S41; docs/formulas.md §4]
    Compulsory traffic (elements): inputs N.C_in.H.W, weights C_out.(C_in/g).K_h.K_w,
    outputs N.C_out.H_out.W_out (each tensor moves once; im2col is not materialized).

    Depthwise (g = C_in = C_out) needs no special case: the weight shape already divides by
    groups (as torch/utils/flop_counter.py does). Its intensity ~ 2.K^2 / (bytes.(S^2 + 1)).

    Tiled model: viewed as an implicit GEMM per group with M = N.H_out.W_out,
    N' = C_out/g, K' = (C_in/g).K_h.K_w; with a t x t output tile (t = sqrt(S)) the
    weights are re-read max(1, M/t) times and the input max(1, N'/t) times - unless the
    input, weights and output fit on chip together, when tiled == compulsory (docs/formulas.md §7).
    """

    batch: int
    in_channels: int
    out_channels: int
    height: int
    width: int
    kernel_h: int
    kernel_w: int
    stride: int = 1
    padding: int = 0
    dilation: int = 1
    groups: int = 1
    bias: bool = False
    kind: str = "conv2d"

    def __post_init__(self):
        check_flags(self, "bias")
        for name in ("batch", "in_channels", "out_channels", "height", "width",
                     "kernel_h", "kernel_w", "stride", "dilation", "groups"):
            set_dim(self, name)
        set_dim(self, "padding", minimum=0)
        self._check_groups()
        self._check_kernel_fits()
        check_tensors("conv2d", input=self.batch * self.in_channels * self.height * self.width,
                      weight=self._weight_elems(),
                      output=self.batch * self.out_channels * self.out_height * self.out_width)

    def _check_groups(self):
        g = self.groups
        if np.any(self.in_channels % g) or np.any(self.out_channels % g):  # arrays in sweeps
            raise RidgelineError(
                f"groups={g} must divide in_channels={self.in_channels} "
                f"and out_channels={self.out_channels}")

    def _check_kernel_fits(self):
        for axis, size, k in (("height", self.height, self.kernel_h), ("width", self.width, self.kernel_w)):
            span = self.dilation * (k - 1) + 1
            if np.any(size + 2 * self.padding < span):
                raise RidgelineError(
                    f"kernel spans {span} pixels but the padded {axis} is only "
                    f"{np.min(size) + 2 * self.padding}: the output would be empty")

    @property
    def out_height(self):
        return conv_out(self.height, self.kernel_h, self.stride, self.padding, self.dilation)

    @property
    def out_width(self):
        return conv_out(self.width, self.kernel_w, self.stride, self.padding, self.dilation)

    @property
    def is_depthwise(self) -> bool:
        return self.groups > 1 and self.groups == self.in_channels == self.out_channels

    @property
    def is_pointwise(self) -> bool:
        return self.kernel_h == self.kernel_w == 1

    def _weight_elems(self):
        return self.out_channels * (self.in_channels // self.groups) * self.kernel_h * self.kernel_w

    def macs(self):
        return self.batch * self.out_height * self.out_width * self._weight_elems()

    def flops(self):
        return 2 * self.macs()

    def params(self):
        return self._weight_elems() + (self.out_channels if self.bias else 0)

    def traffic(self, memory_model: str = "compulsory", onchip: OnChip | None = None) -> Traffic:
        check_memory_model(memory_model)
        inputs = self.batch * self.in_channels * self.height * self.width
        weights = self.params()
        outputs = self.batch * self.out_channels * self.out_height * self.out_width
        if memory_model == "tiled" and onchip is not None:
            spills = (inputs + weights + outputs) > onchip.capacity
            gemm_m = self.batch * self.out_height * self.out_width  # implicit GEMM per group
            reads_in, reads_w = gemm_rereads(gemm_m, self.out_channels // self.groups,
                                             onchip.capacity)
            weights = weights * np.where(spills, reads_w, 1.0)
            inputs = inputs * np.where(spills, reads_in, 1.0)
        return Traffic(weights=weights, inputs=inputs, outputs=outputs)


def conv2d(batch, in_channels, out_channels, height, width, kernel, stride=1, padding=None,
           groups=1, dilation=1, bias=False) -> Conv2d:
    """Square-kernel convenience; ``padding=None`` means 'same'-style K//2 (x dilation)."""
    pad = dilation * (kernel // 2) if padding is None else padding
    return Conv2d(batch, in_channels, out_channels, height, width, kernel, kernel, stride, pad,
                  dilation, groups, bias)


def depthwise_separable(batch, in_channels, out_channels, height, width, kernel=3, stride=1):
    """Depthwise K x K (groups = C_in) then pointwise 1 x 1 (Howard et al. 2017, S41).

    Cost ratio to a standard conv = 1/C_out + 1/K^2 (D.3, S41; docs/formulas.md §4).
    Returns the pair (depthwise, pointwise).
    """
    dw = conv2d(batch, in_channels, in_channels, height, width, kernel, stride, groups=in_channels)
    pw = conv2d(batch, in_channels, out_channels, dw.out_height, dw.out_width, 1, 1, padding=0)
    return dw, pw
