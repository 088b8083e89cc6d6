"""Resampling: upsample (nearest, linear, bilinear, bicubic, trilinear) and grid_sample.

Each output pixel is a weighted sum of ``taps`` input pixels (docs/formulas.md §16).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import MAX_ELEMENTS, RidgelineError, check_tensors, set_dim, shown
from .base import OnChip, Traffic, check_memory_model

#: Input pixels read per output pixel, by interpolation mode (nearest copies one).
TAPS = {"nearest": 1, "linear": 2, "bilinear": 4, "bicubic": 16, "trilinear": 8}


@dataclass(frozen=True)
class Resample:
    """``outputs`` interpolated elements from ``inputs`` input elements.

    FLOPs = 2.taps per output (one multiply-add per tap; nearest: 0, a copy), MACs = 0 as for
    every bandwidth operator. Compulsory traffic: the input once (neighbouring outputs share
    taps on chip), the outputs once, plus ``grid`` elements (grid_sample's sampling
    coordinates, 2 or 3 per output position) read as inputs (docs/formulas.md §16).
    """

    mode: str
    outputs: int
    inputs: int
    grid: int = 0
    kind: str = "resample"

    def __post_init__(self):
        if self.mode not in TAPS:
            raise RidgelineError(f"unknown interpolation mode {shown(self.mode)}; choose one of: "
                                 f"{', '.join(TAPS)}")
        set_dim(self, "outputs", maximum=MAX_ELEMENTS)
        set_dim(self, "inputs", maximum=MAX_ELEMENTS)
        set_dim(self, "grid", minimum=0, maximum=MAX_ELEMENTS)
        check_tensors("resample", input=self.inputs, output=self.outputs)

    @property
    def taps(self) -> int:
        return TAPS[self.mode]

    def macs(self):
        return 0

    def flops(self):
        return 0 if self.mode == "nearest" else 2 * self.taps * self.outputs

    def params(self):
        return 0

    def traffic(self, memory_model: str = "compulsory", onchip: OnChip | None = None) -> Traffic:
        check_memory_model(memory_model)
        return Traffic(inputs=self.inputs + self.grid, outputs=self.outputs)
