"""Numeric formats: bytes per element and which peak-compute column they use.

Bytes per element = bits / 8 as a float, so int4 is 0.5 (llm-analysis' ``4 // 8 == 0`` bug
is impossible here).
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import check_name, unknown


@dataclass(frozen=True)
class DType:
    name: str
    bits: int
    is_float: bool
    peak_key: str  # the hardware peak column this format computes at

    @property
    def bytes(self) -> float:
        return self.bits / 8

    @property
    def work_unit(self) -> str:
        """'FLOP' for floating point, 'op' for integer work (PRODUCT.md conventions)."""
        return "FLOP" if self.is_float else "op"


DTYPES: dict[str, DType] = {
    d.name: d
    for d in (
        DType("fp32", 32, True, "fp32"),
        # TF32 tensors are stored as 32-bit floats; only the multiply is reduced precision.
        DType("tf32", 32, True, "tf32"),
        DType("bf16", 16, True, "bf16"),
        DType("fp16", 16, True, "fp16"),
        DType("fp8", 8, True, "fp8"),
        DType("int8", 8, False, "int8"),
        DType("int4", 4, False, "int4"),
    )
}


def get_dtype(name: str | DType) -> DType:
    """Look a format up by name (case-insensitive); raise RidgelineError if unknown."""
    if isinstance(name, DType):
        return name
    key = check_name("dtype", name).strip().lower()
    if key not in DTYPES:
        raise unknown("dtype", str(name), DTYPES)
    return DTYPES[key]
