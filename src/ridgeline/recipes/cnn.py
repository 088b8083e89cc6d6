"""Edge-track CNN recipes: ResNet-50 (torchvision V1.5, S27) and YOLOv8n (Ultralytics, S28).

Conventions shared with mobilenet.py and tiny.py:
- BatchNorm is its own ``norm`` layer holding its affine parameters (2.C, as torch counts
  them), so parameter totals match the published ones. An inference engine folds BN into the
  convolution; here it costs one extra read + write of the activation, like any unfused graph.
- Parameter-free activations (ReLU, ReLU6, SiLU) are fused into the producing layer's epilogue:
  no layer, no extra traffic (TensorRT, TFLite and Vela all fuse them).
- Every spatial size may be a float numpy array (a resolution sweep): sizes come from the
  operators' floor-division formulas, never from Python branches on their values.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..ops import Elementwise, Pool2d, conv2d, linear, norm
from . import register
from .base import Layer, Recipe, Workload


def conv_bn(layers: list, conv_name: str, bn_name: str, group: str, batch, c_in, c_out, h, w,
            kernel, stride=1, groups=1, padding=None, bn_weights_per_channel=2, bias=False):
    """Append a conv (bias-free by default) and its BatchNorm to ``layers``; return the conv.

    BN over N x C x H_out x W_out: 2 FLOPs per element (scale, shift), 2.C parameters
    (gamma, beta; torch's count) or 4.C (Keras also counts the moving mean and variance).
    """
    conv = conv2d(batch, c_in, c_out, h, w, kernel, stride, padding, groups, bias=bias)
    rows = batch * conv.out_height * conv.out_width
    bn = norm("batchnorm", rows, c_out, affine_params=bn_weights_per_channel * c_out)
    layers += [Layer(conv_name, conv, 1, group), Layer(bn_name, bn, 1, group)]
    return conv


def residual_add(layers: list, name: str, group: str, elements):
    """y = x + F(x): reads two tensors, writes one (1 FLOP per element)."""
    layers.append(Layer(name, Elementwise("add", elements, reads=2), 1, group))


def global_avg_pool(layers: list, name: str, group: str, batch, channels, h, w):
    """AdaptiveAvgPool2d(1): N.C outputs, each reading its H.W map.

    An Elementwise reduction with reads = H.W: traffic is the input once plus N.C outputs,
    FLOPs = H.W adds per output. (Pool2d cannot express it: its window is square and the
    final map at 3840x2160 is not - 68 x 120 for ResNet-50.)
    """
    layers.append(Layer(name, Elementwise("avgpool", batch * channels, reads=h * w), 1, group))


# --------------------------------------------------------------------------- ResNet-50


@dataclass(frozen=True)
class ResNetConfig:
    """Bottleneck ResNet (He et al. 2015, Table 1) as torchvision builds it (V1.5, S27)."""

    blocks: tuple = (3, 4, 6, 3)          # bottleneck blocks per stage (50-layer column)
    widths: tuple = (64, 128, 256, 512)   # 3x3 width per stage; each block outputs 4x this
    expansion: int = 4                    # Bottleneck.expansion
    stem_channels: int = 64               # conv1: 7x7, stride 2, pad 3
    in_channels: int = 3                  # RGB
    num_classes: int = 1000               # ImageNet-1k fc


RESNET50 = ResNetConfig()


def build_resnet(cfg: ResNetConfig, wl: Workload) -> list[Layer]:
    """Named layers of one forward pass on a batch of W x H images.

    V1.5: the stride-2 of a downsampling block sits on its 3x3 conv (conv2), not on the
    first 1x1 - hence torchvision's 4.09 G MACs vs the original V1's ~3.9 (S26c says 3.5
    for TF-slim's V1). MACs = sum of conv and fc MACs; BN, pooling and adds have none.
    """
    n, (width, height) = wl.batch, wl.resolution
    layers: list[Layer] = []
    stem = conv_bn(layers, "stem.conv", "stem.bn", "stem", n, cfg.in_channels,
                   cfg.stem_channels, height, width, 7, 2, padding=3)
    pool = Pool2d(n, cfg.stem_channels, stem.out_height, stem.out_width, 3, 2, padding=1)
    layers.append(Layer("stem.maxpool", pool, 1, "stem"))
    c, h, w = cfg.stem_channels, pool.out_height, pool.out_width
    for stage, (blocks, mid) in enumerate(zip(cfg.blocks, cfg.widths), start=1):
        for i in range(blocks):
            stride = 2 if i == 0 and stage > 1 else 1
            c, h, w = _bottleneck(layers, f"layer{stage}.{i}", n, c, mid, mid * cfg.expansion,
                                  h, w, stride)
    global_avg_pool(layers, "avgpool", "head", n, c, h, w)
    layers.append(Layer("fc", linear(n, c, cfg.num_classes, bias=True), 1, "head"))
    return layers


def _bottleneck(layers, name, n, c_in, mid, c_out, h, w, stride):
    """1x1 reduce -> 3x3 (stride) -> 1x1 expand, + identity or 1x1/stride projection."""
    conv_bn(layers, f"{name}.conv1", f"{name}.bn1", name, n, c_in, mid, h, w, 1, padding=0)
    b = conv_bn(layers, f"{name}.conv2", f"{name}.bn2", name, n, mid, mid, h, w, 3, stride)
    o = conv_bn(layers, f"{name}.conv3", f"{name}.bn3", name, n, mid, c_out,
                b.out_height, b.out_width, 1, padding=0)
    if stride != 1 or c_in != c_out:  # torchvision builds `downsample` on the same condition
        conv_bn(layers, f"{name}.downsample.conv", f"{name}.downsample.bn", name, n, c_in, c_out,
                h, w, 1, stride, padding=0)
    residual_add(layers, f"{name}.add", name, n * c_out * o.out_height * o.out_width)
    return c_out, o.out_height, o.out_width


register(Recipe(
    key="resnet50", title="ResNet-50 (torchvision V1.5)",
    citation="He et al. 2015 (arXiv:1512.03385) Table 1; torchvision resnet50 "
             "IMAGENET1K_V1: 25,557,032 params, 4.09 G MACs at 224x224 (S27)",
    builder=build_resnet, config=RESNET50, params=("batch", "resolution"),
    default=Workload(batch=1, resolution=(3840, 2160)), default_dtype="fp16",
    default_hardware="jetson-agx-orin",
    notes="Edge track: one 4K (3840x2160) frame per 10 ms loop. conv1 alone is 19.5 G MACs at 4K "
          "(118 M at 224); the whole net ~676 G MACs (DATA.md C.3). BN is a separate layer "
          "(torchvision's parameter count); ReLU is fused; torchvision 'GFLOPS' are MACs."))


# --------------------------------------------------------------------------- YOLOv8n


@dataclass(frozen=True)
class YoloV8Config:
    """yolov8.yaml (S28) at one scale; the n scale is [depth 0.33, width 0.25, max 1024]."""

    depth: float = 0.33        # repeats n -> max(round(n . depth), 1)
    width: float = 0.25        # channels c -> ceil(min(c, max_channels) . width / 8) . 8
    max_channels: int = 1024
    num_classes: int = 80      # COCO
    reg_max: int = 16          # DFL bins per box side
    max_stride: int = 32       # letterbox pads the image to a multiple of P5's stride
    in_channels: int = 3

    def ch(self, c: int) -> int:
        """Ultralytics parse_model: make_divisible(min(c, max_channels) * width, 8)."""
        x = min(c, self.max_channels) * self.width
        return int(-(-x // 8) * 8)

    def reps(self, n: int) -> int:
        return max(round(n * self.depth), 1)


YOLOV8N = YoloV8Config()


class _Yolo:
    """Builds yolov8.yaml module by module, naming layers like Ultralytics' state_dict."""

    def __init__(self, cfg: YoloV8Config, batch):
        self.cfg, self.n, self.layers = cfg, batch, []

    def conv(self, prefix, group, fmap, c_out, k=1, s=1):
        """Ultralytics Conv = Conv2d(k, s, pad k//2, no bias) + BN + SiLU (fused)."""
        c, h, w = fmap
        op = conv_bn(self.layers, f"{prefix}.conv", f"{prefix}.bn", group, self.n, c, c_out, h, w,
                     k, s)
        return c_out, op.out_height, op.out_width

    def c2f(self, i, fmap, c_out, repeats, shortcut):
        """C2f: cv1 1x1 -> split in two halves of c = c_out/2 -> `repeats` Bottlenecks
        (3x3, 3x3, + residual if shortcut) each appending its output -> concat (2 + n).c
        (free: written in place) -> cv2 1x1."""
        p, group, c = f"model.{i}", f"model.{i}.C2f", c_out // 2
        _, h, w = self.conv(f"{p}.cv1", group, fmap, 2 * c)
        for j in range(repeats):
            mid = self.conv(f"{p}.m.{j}.cv1", group, (c, h, w), c, 3)
            self.conv(f"{p}.m.{j}.cv2", group, mid, c, 3)
            if shortcut:
                residual_add(self.layers, f"{p}.m.{j}.add", group, self.n * c * h * w)
        return self.conv(f"{p}.cv2", group, ((2 + repeats) * c, h, w), c_out)

    def sppf(self, i, fmap, c_out, k=5):
        """SPPF: cv1 1x1 (c/2) -> MaxPool(k, s1, p k//2) applied 3 times -> concat 4 -> cv2."""
        p, group = f"model.{i}", f"model.{i}.SPPF"
        c_, h, w = self.conv(f"{p}.cv1", group, fmap, fmap[0] // 2)
        pool = Pool2d(self.n, c_, h, w, k, 1, padding=k // 2)
        self.layers.append(Layer(f"{p}.m", pool, 3, group))  # the same pool, run 3 times
        return self.conv(f"{p}.cv2", group, (4 * c_, h, w), c_out)

    def detect(self, i, maps):
        """Decoupled head per level: box branch cv2 (Conv 3x3, Conv 3x3, 1x1 -> 4.reg_max)
        and class branch cv3 (Conv 3x3, Conv 3x3, 1x1 -> nc); then DFL (1x1, 16 -> 1) over
        the 4 box sides of every anchor."""
        cfg, p, group = self.cfg, f"model.{i}", f"model.{i}.Detect"
        c2 = max(16, maps[0][0] // 4, 4 * cfg.reg_max)
        c3 = max(maps[0][0], min(cfg.num_classes, 100))
        anchors = 0
        for lvl, fmap in enumerate(maps):
            for branch, mid, out in (("cv2", c2, 4 * cfg.reg_max), ("cv3", c3, cfg.num_classes)):
                x = self.conv(f"{p}.{branch}.{lvl}.0", group, fmap, mid, 3)
                x = self.conv(f"{p}.{branch}.{lvl}.1", group, x, mid, 3)
                op = conv2d(self.n, mid, out, x[1], x[2], 1, bias=True)
                self.layers.append(Layer(f"{p}.{branch}.{lvl}.2", op, 1, group))
            anchors = anchors + fmap[1] * fmap[2]
        dfl = conv2d(self.n, cfg.reg_max, 1, 4, anchors, 1)
        self.layers.append(Layer(f"{p}.dfl.conv", dfl, 1, group))


def build_yolov8(cfg: YoloV8Config, wl: Workload) -> list[Layer]:
    """Named layers of yolov8.yaml (backbone, PAN neck, Detect) on W x H, letterboxed up to a
    multiple of 32 (3840x2160 -> 3840x2176, as Ultralytics' rect inference pads).

    NB: nearest Upsample and Concat do no arithmetic and are folded into their consumer's
    addressing by inference engines, so they are not layers; their inputs are counted where
    the consuming conv reads them.
    """
    n, (width, height) = wl.batch, wl.resolution
    s = cfg.max_stride
    fmap = (cfg.in_channels, -(-height // s) * s, -(-width // s) * s)  # letterbox padding
    y, ch, r = _Yolo(cfg, n), cfg.ch, cfg.reps
    # backbone: model.0-9
    x0 = y.conv("model.0", "model.0.Conv", fmap, ch(64), 3, 2)                    # P1/2
    x1 = y.conv("model.1", "model.1.Conv", x0, ch(128), 3, 2)                     # P2/4
    x2 = y.c2f(2, x1, ch(128), r(3), True)
    x3 = y.conv("model.3", "model.3.Conv", x2, ch(256), 3, 2)                     # P3/8
    p3 = y.c2f(4, x3, ch(256), r(6), True)
    x5 = y.conv("model.5", "model.5.Conv", p3, ch(512), 3, 2)                     # P4/16
    p4 = y.c2f(6, x5, ch(512), r(6), True)
    x7 = y.conv("model.7", "model.7.Conv", p4, ch(1024), 3, 2)                    # P5/32
    x8 = y.c2f(8, x7, ch(1024), r(3), True)
    p5 = y.sppf(9, x8, ch(1024))
    # head: PAN neck model.10-21 (10, 13 Upsample; 11, 14, 17, 20 Concat), Detect model.22
    h12 = y.c2f(12, _concat(p4, p5), ch(512), r(3), False)      # Upsample(P5) ++ P4
    h15 = y.c2f(15, _concat(p3, h12), ch(256), r(3), False)     # Upsample(12) ++ P3: P3 out
    x16 = y.conv("model.16", "model.16.Conv", h15, ch(256), 3, 2)
    h18 = y.c2f(18, _concat(x16, h12), ch(512), r(3), False)    # P4 out
    x19 = y.conv("model.19", "model.19.Conv", h18, ch(512), 3, 2)
    h21 = y.c2f(21, _concat(x19, p5), ch(1024), r(3), False)    # P5 out
    y.detect(22, (h15, h18, h21))
    return y.layers


def _concat(at, other):
    """Channel concat onto ``at``'s spatial size (``other`` is upsampled x2 first if smaller)."""
    return at[0] + other[0], at[1], at[2]


register(Recipe(
    key="yolov8n", title="YOLOv8n (Ultralytics)",
    citation="Ultralytics yolov8.yaml, scale n = [0.33, 0.25, 1024]: 3,157,200 params, "
             "8.9 GFLOPs at 640 (S28); docs 8.7 GFLOPs (S28b); GFLOPs = 2 x MACs (S28c)",
    builder=build_yolov8, config=YOLOV8N, params=("batch", "resolution"),
    default=Workload(batch=1, resolution=(3840, 2160)), default_dtype="fp16",
    default_hardware="jetson-agx-orin",
    notes="Full model: backbone (Conv, C2f, SPPF), PAN neck and decoupled Detect head with DFL. "
          "At 3840x2160 (letterboxed to 3840x2176) ~176 GFLOP per frame, so a 100 Hz loop "
          "needs ~17.6 TFLOP/s (DATA.md C.4). Conv = conv + BN + SiLU (SiLU fused); Upsample "
          "and Concat are free."))
