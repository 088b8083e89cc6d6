"""Recurrent layers: one layer and direction of an LSTM or a GRU (docs/formulas.md §17)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import RidgelineError, check_flags, check_tensors, set_dim, shown
from .base import OnChip, Traffic, check_memory_model

#: Gate blocks per cell: LSTM (input, forget, cell, output), GRU (reset, update, new).
GATES = {"lstm": 4, "gru": 3}


@dataclass(frozen=True)
class Recurrent:
    """T steps of an LSTM or GRU cell over a batch of B, input width I, hidden width H.

    Each step multiplies the input and the previous hidden state by the gate weights:
    MACs = T.B.G.H.(I + H) with G = 4 (LSTM) or 3 (GRU); FLOPs = 2.MACs (the gates'
    sigmoids, tanh and products, ~10 FLOPs per hidden unit per step, are left out, as
    torch/utils/flop_counter.py leaves out pointwise work). Params = G.H.(I + H) (+ 2.G.H
    biases). Compulsory traffic: the weights once, inputs T.B.I + the initial state, outputs
    T.B.H + the final state (LSTM's state is h and c: 2.B.H; GRU's h: B.H).
    Tiled model: the recurrent weights W_hh (G.H.H) are re-read every step when they exceed
    the on-chip capacity - a step cannot start before the previous one ends (docs/formulas.md §17).
    """

    cell: str
    batch: int
    steps: int
    input_size: int
    hidden: int
    bias: bool = True
    kind: str = "recurrent"

    def __post_init__(self):
        if self.cell not in GATES:
            raise RidgelineError(f"cell must be 'lstm' or 'gru', got {shown(self.cell)}")
        check_flags(self, "bias")
        for name in ("batch", "steps", "input_size", "hidden"):
            set_dim(self, name)
        check_tensors("recurrent", weights=self.params(),
                      input=self.steps * self.batch * self.input_size)

    @property
    def gates(self) -> int:
        return GATES[self.cell]

    def macs(self):
        g, h = self.gates, self.hidden
        return self.steps * self.batch * g * h * (self.input_size + h)

    def flops(self):
        return 2 * self.macs()

    def params(self):
        g, h = self.gates, self.hidden
        return g * h * (self.input_size + h) + (2 * g * h if self.bias else 0)

    def traffic(self, memory_model: str = "compulsory", onchip: OnChip | None = None) -> Traffic:
        check_memory_model(memory_model)
        state = (2 if self.cell == "lstm" else 1) * self.batch * self.hidden
        weights = self.params()
        if memory_model == "tiled" and onchip is not None:
            w_hh = self.gates * self.hidden * self.hidden
            weights = weights + np.where(w_hh > onchip.capacity, w_hh * (self.steps - 1), 0)
        return Traffic(weights=weights,
                       inputs=self.steps * self.batch * self.input_size + state,
                       outputs=self.steps * self.batch * self.hidden + state)
