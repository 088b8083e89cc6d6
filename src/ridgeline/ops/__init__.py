"""Operators: each a frozen dataclass with macs(), flops(), params() and traffic(memory_model)."""

from .attention import Attention
from .base import MEMORY_MODELS, OnChip, Op, Traffic
from .conv import Conv2d, conv2d, depthwise_separable
from .convnd import ConvND
from .elementwise import Elementwise, Embedding, Pool2d, norm
from .gemm import Gemm, linear
from .held import with_held
from .recurrent import Recurrent
from .resample import Resample
from .signal import FFT, TopK

__all__ = [
           "FFT",
           "MEMORY_MODELS",
           "Attention",
           "Conv2d",
           "ConvND",
           "Elementwise",
           "Embedding",
           "Gemm",
           "OnChip",
           "Op",
           "Pool2d",
           "Recurrent",
           "Resample",
           "TopK",
           "Traffic",
           "conv2d",
           "depthwise_separable",
           "linear",
           "norm",
           "with_held",
]
