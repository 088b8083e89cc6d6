"""Part 2's every setting at once: the model at each (batch, scale) stop of its two sliders.

One vectorized run per memory model over the grid (batch stops as a column, scale stops as a
row: the engine broadcasts them), then :meth:`Estimate.at` / :meth:`Capacity.at` take one point.
Each point's numbers are exactly a scalar run's there (tests/test_grid_points.py; the lab's
tests compare every card with ``cards.layer_card``). A 16 x 12 grid of ResNet-50 costs two
runs (~0.1 s) where point-by-point profiles cost 384 (~6 s): what lets Part 2's batch slider
answer in the browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..dtypes import get_dtype
from ..hardware import get_hardware
from ..pipeline import Profile, run
from ..recipes import get_model
from .cards import card_from_estimate, layer_card, placed_summary
from .tracks import get_track, track_profile
from .trajectory import fixed_without
from .views import slider_args


@dataclass(frozen=True)
class Grid:
    """The track's model at every (batch, scale) stop of Part 2's sliders."""

    batches: tuple
    scales: tuple
    compulsory: Profile    # the seed's intensity and bound (the card's first rows)
    placed: Profile        # where the bytes live: the card's placed rows, time, capacity

    @property
    def shape(self) -> tuple:
        return len(self.batches), len(self.scales)

    def point(self, batch, scale) -> tuple | None:
        """(i, j) of a stop pair; None when either is not a stop of the sliders."""
        try:
            return self.batches.index(int(batch)), self.scales.index(int(scale))
        except ValueError:
            return None


@lru_cache(maxsize=8)
def part2_grid(key: str) -> Grid:
    """The grid of ``key``'s track (cached: every session and every probe shares it)."""
    t = get_track(key)
    batches = tuple(slider_args(t, "batch", part=2)["steps"])
    scales = tuple(slider_args(t, t.scale_param, part=2)["steps"])
    return Grid(batches, scales, *(_run(t, batches, scales, m) for m in ("compulsory", "placed")))


def _run(t, batches, scales, memory_model) -> Profile:
    recipe = get_model(t.model)
    fixed = dict(fixed_without(t, t.scale_param, None, None))
    fixed.pop("batch", None)
    w = (recipe.workload(**fixed).with_param("batch", np.asarray(batches, float)[:, None])
         .with_param(t.scale_param, np.asarray(scales, float)[None, :]))
    return run(recipe.build(w), get_hardware(t.hardware), get_dtype(t.dtype), memory_model,
               title=recipe.key, workload=w)


def grid_card(track, layer: str, batch, scale) -> dict:
    """``cards.layer_card`` at a stop pair, from the grid (a pair off the grid: the scalar run)."""
    t = get_track(track)
    g = part2_grid(t.key)
    ij = g.point(batch, scale)
    if ij is None:
        return layer_card(t, layer, batch, scale)
    card = card_from_estimate(g.compulsory.layer(layer).at(ij, g.shape),
                              g.compulsory.layer_groups.get(layer, ""))
    return card | {"placed": placed_summary(g.placed.layer(layer).at(ij, g.shape))}


def grid_setting(track, batch, scale) -> tuple:
    """(one pass's time, the capacity check) of the whole model under ``placed`` at a stop pair."""
    t = get_track(track)
    g = part2_grid(t.key)
    ij = g.point(batch, scale)
    if ij is None:
        p = track_profile(t, batch, scale, memory_model="placed")
        return float(p.totals.time_s), p.capacity
    return g.placed.totals.at(ij, g.shape).time_s, g.placed.capacity.at(ij, g.shape)
