"""ridgeline's counts against independent tools: PyTorch's FlopCounterMode and shape rules,
and Hugging Face transformers' Llama implementation.

FlopCounterMode counts matrix FLOPs only (mm, addmm, bmm, convolution, SDPA), 2 per MAC; it
ignores BN, activations, pooling and adds - so it is compared with ridgeline's MACs x 2.
Models are built here from plain torch modules (torchvision cannot be installed beside this
torch) on the meta device: shapes and FLOPs without memory or arithmetic.
"""

from dataclasses import replace

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional
from torch.utils.flop_counter import FlopCounterMode

from ridgeline.ops import Attention, Conv2d, linear
from ridgeline.recipes import Workload, get_model
from ridgeline.recipes.transformer import LLAMA_3_8B, LLAMA_3_70B, build_llama

pytestmark = pytest.mark.torch

META = torch.device("meta")


def torch_flops(fn, *args):
    with FlopCounterMode(display=False) as counter:
        out = fn(*args)
    return counter.get_total_flops(), out


def n_params(module):
    return sum(p.numel() for p in module.parameters())


def recipe_macs(key, resolution, batch=1):
    layers = get_model(key).build(Workload(batch=batch, resolution=resolution))
    return sum(l.op.macs() * l.count for l in layers), sum(l.op.params() * l.count for l in layers)


# ---------------------------------------------------------------- single operators


@given(m=st.integers(1, 512), k=st.integers(1, 512), n=st.integers(1, 512), bias=st.booleans())
@settings(max_examples=30, deadline=None)
def test_linear_flops_and_params_match_torch(m, k, n, bias):
    layer = nn.Linear(k, n, bias=bias, device=META)
    flops, _ = torch_flops(layer, torch.empty(m, k, device=META))
    ours = linear(m, k, n, bias=bias)
    assert ours.flops() == flops == 2 * m * n * k
    assert ours.params() == n_params(layer)


@st.composite
def conv_cases(draw):
    groups = draw(st.sampled_from([1, 1, 2, 4]))
    c_in = groups * draw(st.integers(1, 8))
    c_out = groups * draw(st.integers(1, 8))
    depthwise = draw(st.booleans())
    if depthwise:  # groups = C_in = C_out
        groups = c_in = c_out = draw(st.integers(1, 32))
    kh, kw = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    return {"batch": draw(st.integers(1, 4)), "in_channels": c_in, "out_channels": c_out,
            "height": draw(st.integers(1, 64)), "width": draw(st.integers(1, 64)),
            "kernel_h": kh, "kernel_w": kw, "stride": draw(st.integers(1, 4)),
            "padding": draw(st.integers(0, 3)), "dilation": draw(st.integers(1, 3)),
            "groups": groups, "bias": draw(st.booleans())}


@given(case=conv_cases())
@settings(max_examples=60, deadline=None)
def test_conv2d_flops_shapes_and_params_match_torch(case):
    c = case
    assume(c["height"] + 2 * c["padding"] >= c["dilation"] * (c["kernel_h"] - 1) + 1)
    assume(c["width"] + 2 * c["padding"] >= c["dilation"] * (c["kernel_w"] - 1) + 1)
    conv = nn.Conv2d(c["in_channels"], c["out_channels"], (c["kernel_h"], c["kernel_w"]),
                     stride=c["stride"], padding=c["padding"], dilation=c["dilation"],
                     groups=c["groups"], bias=c["bias"], device=META)
    x = torch.empty(c["batch"], c["in_channels"], c["height"], c["width"], device=META)
    flops, out = torch_flops(conv, x)
    ours = Conv2d(**c)
    assert tuple(out.shape) == (c["batch"], c["out_channels"], ours.out_height, ours.out_width)
    assert ours.flops() == flops  # torch counts no bias FLOPs; neither do we
    assert ours.params() == n_params(conv)
    assert ours.traffic().outputs == out.numel()


def test_depthwise_conv_matches_torch():
    # 3x3 depthwise, stride 2, on 96 x 112 x 112: 56 . 56 . 96 . 9 MACs
    conv = nn.Conv2d(96, 96, 3, 2, 1, groups=96, bias=False, device=META)
    flops, _ = torch_flops(conv, torch.empty(1, 96, 112, 112, device=META))
    ours = Conv2d(1, 96, 96, 112, 112, 3, 3, stride=2, padding=1, groups=96)
    assert ours.is_depthwise
    assert ours.macs() == flops / 2 == 56 * 56 * 96 * 9


@pytest.mark.parametrize("t", [1, 2, 17, 128])
def test_causal_attention_counts_only_unmasked_pairs(t):
    # FlopCounterMode counts SDPA as 4.B.H.T^2.d whether or not it is causal; ridgeline counts
    # the T(T+1)/2 unmasked (query, key) pairs: torch = ridgeline_causal x 2T/(T+1)
    #                                                  = ridgeline_full (causal=False).
    b, h, d = 2, 4, 64
    q = torch.empty(b, h, t, d, device=META)
    flops, _ = torch_flops(lambda: F.scaled_dot_product_attention(q, q, q, is_causal=True))
    causal = Attention(b, h, h, d, t, "prefill", causal=True)
    full = Attention(b, h, h, d, t, "prefill", causal=False)
    assert flops == 4 * b * h * t * t * d
    assert full.flops() == flops
    assert causal.flops() * 2 * t == flops * (t + 1)


def test_decode_and_gqa_attention_match_torch():
    # one query over a T-token cache, 8 query heads sharing 2 KV heads: 4.B.H.T.d
    b, h, h_kv, d, t = 3, 8, 2, 128, 300
    q = torch.empty(b, h, 1, d, device=META)
    kv = torch.empty(b, h_kv, t, d, device=META)
    flops, out = torch_flops(lambda: F.scaled_dot_product_attention(q, kv, kv, enable_gqa=True))
    ours = Attention(b, h, h_kv, d, t, "decode")
    assert ours.flops() == flops == 4 * b * h * t * d
    assert ours.traffic().outputs == out.numel()


# ---------------------------------------------------------------- whole CNNs in plain torch


def conv_bn(c_in, c_out, k, s=1, groups=1, act=nn.ReLU):
    layers = [nn.Conv2d(c_in, c_out, k, s, (k - 1) // 2, groups=groups, bias=False),
              nn.BatchNorm2d(c_out)]
    return nn.Sequential(*layers, act()) if act else nn.Sequential(*layers)


class Bottleneck(nn.Module):
    """torchvision's ResNet V1.5 bottleneck (stride on the 3x3)."""

    def __init__(self, c_in, mid, stride):
        super().__init__()
        out = 4 * mid
        self.body = nn.Sequential(conv_bn(c_in, mid, 1), conv_bn(mid, mid, 3, stride),
                                  conv_bn(mid, out, 1, act=None))
        self.down = conv_bn(c_in, out, 1, stride, act=None) if stride != 1 or c_in != out else None

    def forward(self, x):
        return F.relu(self.body(x) + (x if self.down is None else self.down(x)))


def torch_resnet50():
    layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
              nn.MaxPool2d(3, 2, 1)]
    c = 64
    for mid, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for i in range(blocks):
            layers.append(Bottleneck(c, mid, stride if i == 0 else 1))
            c = 4 * mid
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2048, 1000))


class InvertedResidual(nn.Module):
    def __init__(self, c_in, c_out, stride, t, separable=True):
        super().__init__()
        hidden = round(c_in * t)
        layers = [] if t == 1 else [conv_bn(c_in, hidden, 1, act=nn.ReLU6)]
        if separable:
            layers += [conv_bn(hidden, hidden, 3, stride, groups=hidden, act=nn.ReLU6),
                       conv_bn(hidden, c_out, 1, act=None)]
        else:
            layers += [conv_bn(hidden, c_out, 3, stride, act=None)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x):
        return x + self.body(x) if self.residual else self.body(x)


def torch_mobilenet_v2(separable=True):
    """Sandler et al. 2018 Table 2 at width 1.0 (every channel count already a multiple of 8)."""
    layers, c = [conv_bn(3, 32, 3, 2, act=nn.ReLU6)], 32
    for t, c_out, n, s in ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                           (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)):
        for i in range(n):
            layers.append(InvertedResidual(c, c_out, s if i == 0 else 1, t, separable))
            c = c_out
    layers += [conv_bn(c, 1280, 1, act=nn.ReLU6), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
               nn.Dropout(0.2), nn.Linear(1280, 1000)]
    return nn.Sequential(*layers)


def compare_cnn(model, key, resolution, batch=1):
    """FlopCounterMode total = 2 x ridgeline MACs; torch parameters = ridgeline parameters."""
    width, height = resolution
    with META:
        net = model().eval()
        x = torch.empty(batch, 3, height, width)
    flops, _ = torch_flops(net, x)
    macs, params = recipe_macs(key, resolution, batch)
    assert flops == 2 * macs
    assert n_params(net) == params


@pytest.mark.parametrize("resolution", [(224, 224), (200, 150), (3840, 2160)])
def test_resnet50_matches_a_torch_build(resolution):
    compare_cnn(torch_resnet50, "resnet50", resolution)


@pytest.mark.parametrize("resolution", [(224, 224), (321, 97)])
def test_mobilenet_v2_matches_a_torch_build(resolution):
    compare_cnn(torch_mobilenet_v2, "mobilenet-v2", resolution, batch=2)


def test_mobilenet_v2_standard_matches_a_torch_build():
    compare_cnn(lambda: torch_mobilenet_v2(separable=False), "mobilenet-v2-standard", (224, 224))


# ---------------------------------------------------------------- YOLOv8n in plain torch


class YConv(nn.Sequential):
    """Ultralytics Conv: Conv2d(k, s, pad k//2, no bias) + BN + SiLU."""

    def __init__(self, c_in, c_out, k=1, s=1):
        super().__init__(nn.Conv2d(c_in, c_out, k, s, k // 2, bias=False), nn.BatchNorm2d(c_out),
                         nn.SiLU())


class C2f(nn.Module):
    def __init__(self, c_in, c_out, n, shortcut):
        super().__init__()
        self.c, self.shortcut = c_out // 2, shortcut
        self.cv1 = YConv(c_in, 2 * self.c)
        self.m = nn.ModuleList(nn.Sequential(YConv(self.c, self.c, 3), YConv(self.c, self.c, 3))
                               for _ in range(n))
        self.cv2 = YConv((2 + n) * self.c, c_out)

    def forward(self, x):
        y = list(self.cv1(x).chunk(2, 1))
        for m in self.m:
            y.append(y[-1] + m(y[-1]) if self.shortcut else m(y[-1]))
        return self.cv2(torch.cat(y, 1))


class SPPF(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.cv1, self.cv2 = YConv(c_in, c_in // 2), YConv(2 * c_in, c_out)
        self.pool = nn.MaxPool2d(5, 1, 2)

    def forward(self, x):
        y = [self.cv1(x)]
        for _ in range(3):
            y.append(self.pool(y[-1]))
        return self.cv2(torch.cat(y, 1))


class Detect(nn.Module):
    def __init__(self, ch, nc=80, reg_max=16):
        super().__init__()
        c2, c3 = max(16, ch[0] // 4, 4 * reg_max), max(ch[0], min(nc, 100))
        self.box = nn.ModuleList(nn.Sequential(YConv(x, c2, 3), YConv(c2, c2, 3),
                                               nn.Conv2d(c2, 4 * reg_max, 1)) for x in ch)
        self.cls = nn.ModuleList(nn.Sequential(YConv(x, c3, 3), YConv(c3, c3, 3),
                                               nn.Conv2d(c3, nc, 1)) for x in ch)
        self.dfl = nn.Conv2d(reg_max, 1, 1, bias=False)
        self.reg_max = reg_max

    def forward(self, maps):
        box = torch.cat([b(x).flatten(2) for b, x in zip(self.box, maps)], 2)  # (B, 64, A)
        cls = torch.cat([c(x).flatten(2) for c, x in zip(self.cls, maps)], 2)
        dist = box.view(box.shape[0], 4, self.reg_max, -1).transpose(2, 1).softmax(1)
        return self.dfl(dist), cls  # DFL: (B, 16, 4, A) -> (B, 1, 4, A)


def upsample(t):
    return F.interpolate(t, scale_factor=2.0, mode="nearest")


class YoloV8n(nn.Module):
    """yolov8.yaml at scale n, written out by hand from the yaml and Ultralytics' modules."""

    def __init__(self):
        super().__init__()
        self.b = nn.ModuleList([YConv(3, 16, 3, 2), YConv(16, 32, 3, 2), C2f(32, 32, 1, True),
                                YConv(32, 64, 3, 2), C2f(64, 64, 2, True), YConv(64, 128, 3, 2),
                                C2f(128, 128, 2, True), YConv(128, 256, 3, 2),
                                C2f(256, 256, 1, True), SPPF(256, 256)])
        self.h12, self.h15 = C2f(384, 128, 1, False), C2f(192, 64, 1, False)
        self.d16, self.h18 = YConv(64, 64, 3, 2), C2f(192, 128, 1, False)
        self.d19, self.h21 = YConv(128, 128, 3, 2), C2f(384, 256, 1, False)
        self.detect = Detect((64, 128, 256))

    def forward(self, x):
        saved = []
        for layer in self.b:
            x = layer(x)
            saved.append(x)
        p3, p4, p5 = saved[4], saved[6], saved[9]
        h12 = self.h12(torch.cat([upsample(p5), p4], 1))
        h15 = self.h15(torch.cat([upsample(h12), p3], 1))
        h18 = self.h18(torch.cat([self.d16(h15), h12], 1))
        h21 = self.h21(torch.cat([self.d19(h18), p5], 1))
        return self.detect([h15, h18, h21])


@pytest.mark.parametrize("resolution", [(640, 640), (3840, 2176)])
def test_yolov8n_matches_a_torch_build(resolution):
    # 3840x2176 is what the recipe letterboxes 3840x2160 to (a multiple of stride 32)
    compare_cnn(YoloV8n, "yolov8n", resolution)
    assert recipe_macs("yolov8n", (3840, 2160)) == recipe_macs("yolov8n", (3840, 2176))


# ---------------------------------------------------------------- Llama via transformers


def hf_llama(cfg, device=META):
    transformers = pytest.importorskip("transformers")
    hf_cfg = transformers.LlamaConfig(
        vocab_size=cfg.vocab, hidden_size=cfg.d_model, intermediate_size=cfg.ffn_dim,
        num_hidden_layers=cfg.n_layers, num_attention_heads=cfg.n_heads,
        num_key_value_heads=cfg.n_kv_heads, tie_word_embeddings=False,
        attn_implementation="sdpa")
    with torch.device(device):
        return transformers.LlamaForCausalLM(hf_cfg).eval()


@pytest.mark.parametrize("key, cfg", [("llama-3-8b", LLAMA_3_8B), ("llama-3-70b", LLAMA_3_70B)])
def test_llama_params_match_transformers(key, cfg):
    # the published-size configs on the meta device: no weights allocated, no download
    layers = get_model(key).build()
    assert sum(l.op.params() * l.count for l in layers) == n_params(hf_llama(cfg))


@pytest.mark.parametrize("t", [16, 33])
def test_llama_prefill_flops_match_transformers(t):
    # A scaled-down Llama (same structure: GQA 4 q / 2 kv heads, SwiGLU, untied head) run for
    # real on the CPU - transformers' mask code cannot run on meta tensors. torch counts every
    # weight GEMM (2 FLOPs per MAC) and SDPA as the full T x T; ridgeline counts causal
    # attention's T(T+1)/2 pairs, so torch = GEMMs + attention x 2T/(T+1).
    cfg, b = replace(LLAMA_3_8B, n_layers=2, d_model=128, n_heads=4, n_kv_heads=2, ffn_dim=352,
                     vocab=512), 2
    model = hf_llama(cfg, device="cpu")
    ids = torch.zeros(b, t, dtype=torch.long)
    # NB: FlopCounterMode has no formula for the CPU's fused flash kernel (it would count 0);
    # the math backend runs SDPA as two bmm's, which it counts.
    math = torch.nn.attention.sdpa_kernel(torch.nn.attention.SDPBackend.MATH)
    with torch.no_grad(), math:
        flops, _ = torch_flops(lambda: model(input_ids=ids, use_cache=False))
    layers = build_llama(cfg, Workload(batch=b, seq_len=t, phase="prefill"))
    gemm = sum(l.op.flops() * l.count for l in layers if l.op.kind == "linear")
    attn = sum(l.op.flops() * l.count for l in layers if isinstance(l.op, Attention))
    assert attn * 2 * t % (t + 1) == 0
    assert flops == gemm + attn * 2 * t // (t + 1)
    assert n_params(model) == sum(l.op.params() * l.count for l in layers)
