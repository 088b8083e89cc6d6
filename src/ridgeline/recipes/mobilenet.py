"""Mobile-track recipes: MobileNetV2 (torchvision, S26) and its standard-convolution twin.

``mobilenet-v2-standard`` replaces every depthwise 3x3 + pointwise 1x1 pair (the depthwise
conv and the linear projection of each inverted residual) by one standard 3x3 conv with the
same input, output and stride: the design the Mobile track's operator budget compares
against. Per pair, MACs(separable) / MACs(standard) = 1/C_out + 1/K^2 (Howard et al. 2017,
S41; DATA.md D.3). BN layers and fused activations follow cnn.py's conventions.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..ops import linear
from . import register
from .base import Layer, Recipe, Workload
from .cnn import conv_bn, global_avg_pool, residual_add

#: torchvision inverted_residual_setting: (t expansion, c channels, n repeats, s first stride)
INVERTED_RESIDUAL_SETTING = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                             (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))


@dataclass(frozen=True)
class MobileNetV2Config:
    width_mult: float = 1.0     # alpha: scales every channel count (then rounded to 8)
    separable: bool = True      # False: depthwise + project pairs become standard 3x3 convs
    setting: tuple = INVERTED_RESIDUAL_SETTING
    stem_channels: int = 32     # features.0: 3x3, stride 2
    last_channels: int = 1280   # features.18: 1x1 (scaled only when width_mult > 1)
    num_classes: int = 1000
    round_nearest: int = 8
    in_channels: int = 3

    def channels(self, c: float) -> int:
        return make_divisible(c * self.width_mult, self.round_nearest)


def make_divisible(v: float, divisor: int = 8) -> int:
    """torchvision's _make_divisible: nearest multiple of ``divisor``, never below 90 % of v."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


MOBILENET_V2 = MobileNetV2Config()
MOBILENET_V2_STANDARD = replace(MOBILENET_V2, separable=False)


def build_mobilenet_v2(cfg: MobileNetV2Config, wl: Workload) -> list[Layer]:
    """Named layers of one forward pass on W x H images.

    Inverted residual (Sandler et al. 2018): 1x1 expand C_in -> t.C_in (skipped when t = 1),
    3x3 depthwise (stride s), 1x1 linear projection -> C_out; residual add when s = 1 and
    C_in = C_out. MACs at 224x224, width 1.0: ~300.8 M (S26c: 300 M; DATA.md C.5).
    """
    n, (width, height) = wl.batch, wl.resolution
    layers: list[Layer] = []
    c = cfg.channels(cfg.stem_channels)
    stem = conv_bn(layers, "features.0.conv", "features.0.bn", "features.0", n,
                   cfg.in_channels, c, height, width, 3, 2)
    h, w, idx = stem.out_height, stem.out_width, 1
    for t, c_out, repeats, s in cfg.setting:
        for i in range(repeats):
            c, h, w = _inverted_residual(layers, cfg, f"features.{idx}", n, c,
                                         cfg.channels(c_out), h, w, s if i == 0 else 1, t)
            idx += 1
    last = make_divisible(cfg.last_channels * max(1.0, cfg.width_mult), cfg.round_nearest)
    conv_bn(layers, f"features.{idx}.conv", f"features.{idx}.bn", f"features.{idx}", n, c, last,
            h, w, 1, padding=0)
    global_avg_pool(layers, "avgpool", "head", n, last, h, w)
    layers.append(Layer("fc", linear(n, last, cfg.num_classes, bias=True), 1, "head"))
    return layers


def _inverted_residual(layers, cfg, name, n, c_in, c_out, h, w, stride, t):
    hidden = round(c_in * t)  # torchvision: int(round(inp * t))
    if t != 1:
        conv_bn(layers, f"{name}.expand", f"{name}.expand_bn", name, n, c_in, hidden, h, w, 1,
                padding=0)
    if cfg.separable:
        dw = conv_bn(layers, f"{name}.dw", f"{name}.dw_bn", name, n, hidden, hidden, h, w, 3,
                     stride, groups=hidden)
        out = conv_bn(layers, f"{name}.project", f"{name}.project_bn", name, n, hidden, c_out,
                      dw.out_height, dw.out_width, 1, padding=0)
    else:
        out = conv_bn(layers, f"{name}.conv", f"{name}.conv_bn", name, n, hidden, c_out, h, w, 3,
                      stride)
    if stride == 1 and c_in == c_out:
        residual_add(layers, f"{name}.add", name, n * c_out * out.out_height * out.out_width)
    return c_out, out.out_height, out.out_width


_CITE = ("Sandler et al. 2018 (arXiv:1801.04381); torchvision mobilenet_v2 block table (S26): "
         "3,504,872 params, 0.30 G MACs at 224x224 (S26b); TF-slim 300 M MACs (S26c)")
_NOTES = ("Mobile track: 60 FPS on a phone/AR-glasses NPU. Depthwise 3x3 layers carry ~7 % of "
          "the MACs at ~9 op/B (stride 1) or ~3.6 op/B (stride 2) in int8, far below the NPU "
          "ridge (~586). BN is a separate layer (torchvision's parameter count); ReLU6 is fused.")

register(Recipe(
    key="mobilenet-v2", title="MobileNetV2 (width 1.0)", citation=_CITE,
    builder=build_mobilenet_v2, config=MOBILENET_V2, params=("batch", "resolution"),
    default=Workload(batch=1, resolution=(224, 224)), default_dtype="int8",
    default_hardware="phone-npu", notes=_NOTES))

register(Recipe(
    key="mobilenet-v2-standard", title="MobileNetV2 with standard 3x3 convs (no depthwise)",
    citation=_CITE + "; cost ratio 1/C_out + 1/K^2 (Howard et al. 2017, S41)",
    builder=build_mobilenet_v2, config=MOBILENET_V2_STANDARD, params=("batch", "resolution"),
    default=Workload(batch=1, resolution=(224, 224)), default_dtype="int8",
    default_hardware="phone-npu",
    notes="Counterfactual for the Mobile track: each depthwise 3x3 + 1x1 projection replaced by "
          "one standard 3x3 conv (same channels and stride): ~4x the MACs of mobilenet-v2 "
          "(1.23 G vs 0.30 G at 224x224; the expand, stem and head convs are unchanged), "
          "at a much higher intensity."))
