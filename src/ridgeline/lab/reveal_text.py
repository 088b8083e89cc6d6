"""A reveal's tables in words: the student's prediction beside the computed answer, and the
numbers that decide it (no internal key on screen)."""

from __future__ import annotations

from .views import _one_line, number, pairs_table

#: What a reveal's keys mean to a student (an unknown key shows as itself, underscores spaced).
REVEAL_LABELS = {"choice": "Answer", "number": "Intensity of the Linear layer",
                 "number_weights_only": "… counting weight bytes only (also accepted)",
                 "tolerance": "Accepted within", "choice_correct": "Answer right?",
                 "number_correct": "Intensity within tolerance?"}


def compare_table(student: dict, computed: dict) -> str:
    """'Your prediction' beside 'Computed' for every key either side has, in words; the
    verdicts on the prediction ('Answer right?') sit under the prediction."""
    keys = list(dict.fromkeys([*student, *computed]))
    rows = ["| | Your prediction | Computed |", "|---|---|---|"]
    for k in keys:
        label = REVEAL_LABELS.get(k, str(k).replace("_", " "))
        mine, theirs = student.get(k), computed.get(k)
        if str(k).endswith("_correct"):
            mine, theirs = theirs, None
        rows.append(f"| {_one_line(label)} | {_cell(mine, k)} | {_cell(theirs, k)} |")
    return "\n".join(rows)


#: A reveal's deciding numbers in words (an unknown key: underscores spaced, capitalized).
NUMBER_LABELS = {
    "linear_intensity": "Intensity of the Linear layer", "other_intensity": "Intensity of the other layer",
    "linear_weights_only_intensity": "… counting weight bytes only", "ridge": "Ridge",
    "ridge_label": "Ridge meant", "linear_reuse": "Uses of each Linear weight per pass",
    "other_reuse": "Uses of each weight of the other layer per pass", "unit": "Unit of work",
    "linear_flops": "Work of the Linear layer", "linear_bytes": "Bytes of the Linear layer",
    "bytes_per_element": "Bytes per element", "value": "Setting", "doubled": "Doubled setting",
    "intensity_doubled": "Intensity at the doubled setting", "ratio": "Ratio (after / before)",
    "flops_growth": "Work grows by", "bytes_growth": "Bytes grow by", "flops_cut": "Work cut by",
    "standard_flops": "Work, standard", "separable_flops": "Work, depthwise-separable",
    "standard_bytes": "Bytes, standard", "separable_bytes": "Bytes, depthwise-separable",
    "standard_intensity": "Intensity, standard", "separable_intensity": "Intensity, depthwise-separable",
    "depthwise_intensity": "Intensity, the depthwise half", "flash_intensity": "Intensity, FlashAttention",
    "flash_bytes": "Bytes, FlashAttention", "scores_bytes": "Bytes of the score matrix (written and read)"}


def numbers_table(numbers: dict) -> str:
    """A reveal's deciding numbers as a two-column table, every key in words."""
    label = lambda k: NUMBER_LABELS.get(k) or str(k).replace("_", " ").capitalize()
    return pairs_table(((label(k), v) for k, v in numbers.items()), ("Deciding numbers", "value"))


def _cell(v, key: str = "") -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if key == "tolerance" and isinstance(v, float):
        return f"± {v:.0%}"
    return number(v) if isinstance(v, (int, float)) else _one_line(v)


