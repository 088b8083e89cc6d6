"""Operators: each a frozen dataclass with macs(), flops(), params() and traffic(memory_model)."""

from .attention import Attention
from .base import MEMORY_MODELS, OnChip, Op, Traffic
from .conv import Conv2d, conv2d, depthwise_separable
from .elementwise import Elementwise, Embedding, Pool2d, norm
from .gemm import Gemm, linear

__all__ = [
           "MEMORY_MODELS",
           "Attention",
           "Conv2d",
           "Elementwise",
           "Embedding",
           "Gemm",
           "OnChip",
           "Op",
           "Pool2d",
           "Traffic",
           "conv2d",
           "depthwise_separable",
           "linear",
           "norm",
]
