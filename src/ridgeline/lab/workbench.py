"""Workbench data for the lab: plain dicts and lists, ready for tables and charts.

A facade over the modules that do the work, so ``ridgeline.lab.workbench`` (the notebook's
``W``) keeps one import for all of it:

* Part 1, :mod:`.cards`: :func:`layer_card` (the Layer Profiler) and
  :func:`compare_linear_conv` (weight reuse);
* Part 2, :mod:`.trajectory`: :func:`trajectory` (intensity, FLOPs and bytes over the scaled
  parameter, where the system breaks); :mod:`.probes`: :class:`ProbeGame` (the 5-move rule,
  then the solver's crossover) and :func:`gate_trajectory` (the plot it lets the student see);
* everywhere, :mod:`.roofline_data`: :func:`roofline` (layers on the device roof) and
  :mod:`.mathpeek`: :func:`math_peek` (LaTeX with the current numbers substituted).

Every number comes from the engine; nothing here is a constant of the physics.
"""

from __future__ import annotations

from .cards import card_from_estimate, compare_linear_conv, layer_card, track_layers
from .mathpeek import (
    attention_latex,
    conv_latex,
    energy_latex,
    gemm_latex,
    latex_number,
    math_peek,
    op_latex,
    roofline_latex,
)
from .probes import (ProbeGame, crossover_for, gate_note, gate_trajectory, instant_gate, new_game,
                     probed_points)
from .roofline_data import design_roofline, roofline
from .trajectory import scale_grid, trajectory

__all__ = [
    "ProbeGame", "attention_latex", "card_from_estimate", "compare_linear_conv", "conv_latex",
    "crossover_for", "design_roofline", "energy_latex", "gate_note", "gate_trajectory", "gemm_latex",
    "instant_gate",
    "latex_number", "layer_card", "math_peek", "new_game", "op_latex", "probed_points",
    "roofline", "roofline_latex", "scale_grid", "track_layers", "trajectory",
]
