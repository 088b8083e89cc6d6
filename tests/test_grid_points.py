"""One point of a vectorized 2-D sweep (batch x scale) equals a scalar run there, exactly.

``Estimate.at`` / ``Capacity.at`` take every number at one grid point; the placement pass's
rules are per point too (a tensor that fits on chip at a small resolution does not at a large
one), so ``placement`` - where the bytes live, what the lab's card prints - must match the
scalar run's, not the sweep's summary of every point.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ridgeline.dtypes import get_dtype
from ridgeline.hardware import get_hardware
from ridgeline.pipeline import run
from ridgeline.recipes import get_model

#: (model, hardware, dtype, scale field, its grid, fixed workload): a CNN on an NPU (the
#: placement's "fits on chip" flips inside the grid), an LLM in prefill (FlashAttention's tiles)
CASES = [("resnet50", "jetson-agx-orin", "fp16", "resolution", (224, 640, 1280, 3840), ()),
         ("mobilenet-v2", "phone-npu", "int8", "resolution", (224, 480, 960), ()),
         ("llama-3-8b", "h100-sxm", "bf16", "seq-len", (256, 2048, 16384),
          (("phase", "prefill"), ("flash", True)))]
BATCHES = (1, 3, 16)


@lru_cache(maxsize=8)
def _grid(case, memory_model):
    model, hw, dt, field, values, fixed = case
    recipe = get_model(model)
    w = recipe.workload(**dict(fixed)).with_param("batch", np.array(BATCHES, float)[:, None])
    w = w.with_param(field, np.array(values, float)[None, :])
    return run(recipe.build(w), get_hardware(hw), get_dtype(dt), memory_model, workload=w)


@lru_cache(maxsize=64)
def _scalar(case, batch, value, memory_model):
    """The same point as a scalar workload (plain ints, the engine's scalar fast paths)."""
    model, hw, dt, field, _, fixed = case
    recipe = get_model(model)
    w = recipe.workload(batch=batch, **dict(fixed)).with_param(field, value)
    return run(recipe.build(w), get_hardware(hw), get_dtype(dt), memory_model, workload=w)


@settings(max_examples=30, deadline=None)
@given(case=st.sampled_from(CASES), i=st.integers(0, 2), j=st.integers(0, 2),
       memory_model=st.sampled_from(["compulsory", "placed"]), layer=st.integers(0, 10_000))
def test_grid_point_equals_a_scalar_run(case, i, j, memory_model, layer):
    grid = _grid(case, memory_model)
    j = min(j, len(case[4]) - 1)
    shape = (len(BATCHES), len(case[4]))
    one = _scalar(case, BATCHES[i], case[4][j], memory_model)
    name = one.layers[layer % len(one.layers)].name
    got, want = grid.layer(name).at((i, j), shape), one.layer(name)
    assert got.to_dict() == want.to_dict()          # every number, the bound, where bytes live
    assert grid.totals.at((i, j), shape).to_dict() == one.totals.to_dict()
    assert grid.capacity.at((i, j), shape).message() == one.capacity.message()


def test_a_placement_rule_that_holds_at_some_points_only_is_named_only_there():
    # ResNet-50's stem output at 224 px fits the Orin's on-chip memory, at 3840 px it does not:
    # the sweep's summary names "fits on chip"; the point at 3840 must not
    case = CASES[0]
    grid = _grid(case, "placed")
    shape = (len(BATCHES), len(case[4]))
    reasons = {j: {e.name: e.at((0, j), shape).placement["reason"] for e in grid.layers}
               for j in range(len(case[4]))}
    small, large = reasons[0], reasons[len(case[4]) - 1]
    flipped = [n for n in small if "fits on chip" in small[n] and "fits on chip" not in large[n]]
    assert flipped, "expected a layer whose tensors fit on chip at 224 px but not at 3840 px"
