"""SI formatting and table rendering (ridgeline.format): known answers and invariants."""

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ridgeline.format import (
    PREFIXES,
    format_count,
    format_ratio,
    format_si,
    render_pairs,
    render_table,
    significant,
)

SI = {p: 10.0**e for e, p in PREFIXES.items()}


@pytest.mark.parametrize("value, unit, text", [
    (4.09e9, "MAC", "4.09 GMAC"),
    (141.1e9, "B", "141 GB"),
    (0.0421, "s", "42.1 ms"),
    (1.39e-4, "s", "139 µs"),
    (989.4e12, "FLOP/s", "989 TFLOP/s"),
    (80e9, "B", "80.0 GB"),
    (0, "B", "0 B"),
    (999.7e6, "B", "1.00 GB"),   # rounding up to 1000 M moves to the next prefix
    (-5e3, "W", "-5.00 kW"),
    (1e30, "FLOP", "1.00e+30 FLOP"),  # beyond the prefixes: scientific notation
])
def test_format_si_known_answers(value, unit, text):
    assert format_si(value, unit) == text


@pytest.mark.parametrize("value, text", [
    (295.343, "295 FLOP/B"),       # H100 bf16 ridge 989.4e12 / 3.35e12
    (2 * 4096**3 / (3 * 4096**2 * 2), "1,365 FLOP/B"),  # square GEMM 2N/(3s), N=4096, s=2
    (7.1, "7.10 FLOP/B"),
    (0.99984, "1.00 FLOP/B"),
    (2.5e7, "25.0 MFLOP/B"),
])
def test_format_ratio_known_answers(value, text):
    assert format_ratio(value, "FLOP/B") == text


def test_significant_rounds_before_choosing_decimals():
    assert significant(0.9997) == "1.00"
    assert significant(123.456, 4) == "123.5"
    assert significant(0) == "0"


def test_format_count():
    assert format_count(8192) == "8,192"
    assert format_count(8192.0) == "8,192"
    assert format_count(309.6988) == "309.7"


def _parse_si(text: str, unit: str) -> float:
    number, rest = text.split(" ")
    prefix = rest[: len(rest) - len(unit)]
    return float(number) * SI[prefix]


@given(st.floats(min_value=1e-15, max_value=9.9e26, allow_nan=False))
def test_format_si_round_trips_within_rounding(x):
    text = format_si(x, "B")
    number = text.split(" ")[0]
    assert 1 <= abs(float(number)) < 1000
    assert len(re.sub(r"[^0-9]", "", number).lstrip("0")) <= 3  # three significant figures
    assert math.isclose(_parse_si(text, "B"), x, rel_tol=5e-3)


@given(st.floats(min_value=1e-6, max_value=999_999, allow_nan=False))
def test_format_ratio_round_trips(x):
    text = format_ratio(x)
    assert math.isclose(float(text.replace(",", "")), x, rel_tol=5e-3, abs_tol=1e-9)


def test_render_table_aligns_columns():
    out = render_table(["layer", "MACs"], [["q_proj", "5.37 GMAC"], ["total", "80.2 GMAC"]],
                       rule_before={1})
    lines = out.splitlines()
    assert len(lines) == 5  # header, rule, row, rule before total, total
    assert len({len(line) for line in lines}) == 1  # right-aligned last column: equal widths
    assert lines[1] == lines[3] and set(lines[1]) == {"-", " "}
    assert lines[2].startswith("q_proj ") and lines[2].endswith("5.37 GMAC")


def test_render_table_rejects_ragged_rows():
    with pytest.raises(ValueError):
        render_table(["a", "b"], [["only one"]])


def test_render_pairs_pads_keys():
    out = render_pairs([("work", "1 MAC"), ("intensity", "2 FLOP/B")])
    assert out.splitlines() == ["work       1 MAC", "intensity  2 FLOP/B"]
