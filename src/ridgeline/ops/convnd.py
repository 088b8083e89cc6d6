"""N-D and transposed convolution, by element counts (docs/formulas.md §15).

Conv2d (ops.conv) keeps the 2-D geometry a lesson needs (stride, padding, the tiled model);
an importer that meets a Conv3d or a ConvTranspose2d already knows every tensor's shape, so
this operator takes the counts that the formulas use: spatial positions in and out and the
kernel's size.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import check_flags, check_tensors, set_dim
from .base import OnChip, Traffic, check_memory_model


@dataclass(frozen=True)
class ConvND:
    """A convolution over any number of spatial axes, plain or transposed.

    ``in_positions``/``out_positions``: spatial positions of one channel (D.H.W), ``kernel``:
    the kernel's positions (K_d.K_h.K_w). Plain:  MACs = N.P_out.C_out.(C_in/g).K; transposed
    (every input position scatters a kernel into the output): MACs = N.P_in.C_in.(C_out/g).K
    - the count torch/utils/flop_counter.py uses (docs/formulas.md §15).
    Compulsory traffic (elements): inputs N.C_in.P_in, weights C_out.(C_in/g).K (+ C_out bias),
    outputs N.C_out.P_out; FLOPs = 2.MACs.
    """

    batch: int
    in_channels: int
    out_channels: int
    in_positions: int
    out_positions: int
    kernel: int
    groups: int = 1
    bias: bool = False
    transposed: bool = False
    kind: str = "conv"

    def __post_init__(self):
        check_flags(self, "bias", "transposed")
        for name in ("batch", "in_channels", "out_channels", "in_positions", "out_positions",
                     "kernel", "groups"):
            set_dim(self, name)
        check_tensors("conv", input=self.batch * self.in_channels * self.in_positions,
                      weight=self.params(),
                      output=self.batch * self.out_channels * self.out_positions)

    def macs(self):
        if self.transposed:
            per = self.in_positions * self.in_channels * (self.out_channels // self.groups)
        else:
            per = self.out_positions * self.out_channels * (self.in_channels // self.groups)
        return self.batch * per * self.kernel

    def flops(self):
        return 2 * self.macs()

    def params(self):
        w = self.out_channels * (self.in_channels // self.groups) * self.kernel
        return w + (self.out_channels if self.bias else 0)

    def traffic(self, memory_model: str = "compulsory", onchip: OnChip | None = None) -> Traffic:
        check_memory_model(memory_model)
        return Traffic(weights=self.params(),
                       inputs=self.batch * self.in_channels * self.in_positions,
                       outputs=self.batch * self.out_channels * self.out_positions)
