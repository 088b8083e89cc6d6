"""Importers: a user's own PyTorch module or ONNX graph -> named ridgeline layers.

Checked against independent counts: PyTorch's FlopCounterMode (matrix FLOPs only, 2 per MAC,
full T x T for attention - ridgeline counts T(T+1)/2 pairs when causal), the modules'
parameter counts, and the torch importer against the ONNX importer on the same exported
model. Modules run on the meta device: shapes and FLOPs, no memory, no arithmetic.
"""

import json
import subprocess
import sys
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ridgeline import profile
from ridgeline.errors import RidgelineError
from ridgeline.importers import ImportedLayers, from_onnx, from_torch, profile_layers
from ridgeline.importers.common import conv
from ridgeline.importers.onnx_import import module_path
from ridgeline.ops import Attention, Conv2d, Elementwise, Gemm
from ridgeline.recipes import Layer, get_model

BF16 = 2  # bytes per element


# ---------------------------------------------------------------- no torch / onnx needed


def test_importing_the_importers_loads_neither_torch_nor_onnx():
    code = ("import ridgeline, ridgeline.importers as imp, ridgeline.cli\n"
            "from ridgeline.recipes import get_model\n"
            "imp.profile_layers(get_model('resnet50').build(), 'h100-sxm', 'bf16')\n"
            "import sys, json; print(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, check=True)
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert "torch" not in loaded and "onnx" not in loaded


def test_profile_layers_agrees_with_profile_on_a_recipe():
    layers = get_model("resnet50").build()
    ours = profile_layers(layers, "jetson-agx-orin", "int8", title="mine")
    theirs = profile("resnet50", "jetson-agx-orin", "int8", layers=layers)
    assert ours.model == "mine"
    assert ours.totals.flops == theirs.totals.flops
    assert ours.totals.bytes == theirs.totals.bytes
    assert ours.capacity.weights_bytes == theirs.capacity.weights_bytes
    assert [e.name for e in ours.layers] == [e.name for e in theirs.layers]


def test_profile_layers_rejects_bad_input():
    with pytest.raises(RidgelineError, match="no layers"):
        profile_layers([])
    with pytest.raises(RidgelineError, match="unknown hardware"):
        profile_layers([Layer("g", Gemm(4, 4, 4))], "no-such-device")


def test_exported_node_names_become_module_paths():
    assert module_path("/layer1/layer1.0/conv1/Conv") == "layer1.0.conv1"
    assert module_path("/blocks/blocks.3/attn/q_proj/MatMul") == "blocks.3.attn.q_proj"
    assert module_path("/fc/Gemm") == "fc"
    assert module_path("/Relu") == ""           # an op of the root module
    assert module_path("Conv_0") == ""          # not an exporter scope


@given(h=st.integers(1, 40), w=st.integers(1, 40), kh=st.integers(1, 5), kw=st.integers(1, 5),
       sh=st.integers(1, 3), sw=st.integers(1, 3), dh=st.integers(1, 2), dw=st.integers(1, 2),
       pads=st.tuples(*[st.integers(0, 2)] * 4))
@settings(max_examples=200, deadline=None)
def test_non_uniform_conv_keeps_output_size_and_macs(h, w, kh, kw, sh, sw, dh, dw, pads):
    """Folding padding and per-axis stride into Conv2d keeps H_out, W_out, so MACs are exact."""
    top, left, bottom, right = pads
    out_h = (h + top + bottom - dh * (kh - 1) - 1) // sh + 1
    out_w = (w + left + right - dw * (kw - 1) - 1) // sw + 1
    if out_h < 1 or out_w < 1:
        return
    op = conv(2, 4, 6, (h, w), (kh, kw), (sh, sw), pads, (dh, dw), 2, False)
    assert (op.out_height, op.out_width) == (out_h, out_w)
    assert op.macs() == 2 * out_h * out_w * 6 * (4 // 2) * kh * kw


# ---------------------------------------------------------------- PyTorch

torch = pytest.importorskip("torch")
nn, F = torch.nn, torch.nn.functional
from torch.utils.flop_counter import FlopCounterMode

META = torch.device("meta")


def counted(module, *inputs):
    """FlopCounterMode's total and ours (2 x MACs of every layer, x its count)."""
    with FlopCounterMode(display=False) as counter:
        module(*inputs)
    layers = from_torch(module, inputs)
    return counter.get_total_flops(), sum(2 * l.op.macs() * l.count for l in layers), layers


def n_params(module):
    return sum(p.numel() for p in module.parameters())


class MLP(nn.Module):
    def __init__(self, d_in=32, hidden=64, d_out=10):
        super().__init__()
        self.fc1, self.act, self.fc2 = nn.Linear(d_in, hidden), nn.ReLU(), nn.Linear(hidden, d_out)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    """ResNet-style naming (layer1.0.conv1): grouped 3x3, then depthwise, then pointwise."""

    def __init__(self, c, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(c, 2 * c, 3, stride=stride, padding=1, groups=4)
        self.bn1 = nn.BatchNorm2d(2 * c)
        self.conv2 = nn.Conv2d(2 * c, 2 * c, 3, padding=2, dilation=2, groups=2 * c)  # depthwise
        self.conv3 = nn.Conv2d(2 * c, c, 1)
        self.down = nn.Conv2d(c, c, 1, stride=stride)

    def forward(self, x):
        y = self.conv3(F.relu(self.conv2(F.relu(self.bn1(self.conv1(x))))))
        return F.relu(y + self.down(x))


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 5, stride=2, padding=2)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = nn.Sequential(Block(16, 1), Block(16, 2))
        self.head = nn.Linear(16, 10)

    def forward(self, x):
        x = self.layer1(self.pool(F.relu(self.stem(x))))
        return self.head(x.mean((2, 3)))


class TransformerBlock(nn.Module):
    """Pre-norm GQA attention (SDPA) + GELU MLP; d 64, 8 query heads, 2 KV heads."""

    def __init__(self, d=64, heads=8, kv_heads=2, causal=True):
        super().__init__()
        self.h, self.kv, self.hd, self.causal = heads, kv_heads, d // heads, causal
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.RMSNorm(d)
        self.q_proj = nn.Linear(d, d, bias=False)
        self.kv_proj = nn.Linear(d, 2 * kv_heads * self.hd, bias=False)  # fused K and V
        self.o_proj = nn.Linear(d, d, bias=False)
        self.up, self.down = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(self, x, past=None):
        b, t, d = x.shape
        y = self.norm1(x)
        q = self.q_proj(y).view(b, t, self.h, self.hd).transpose(1, 2)       # (B, H, T, hd)
        k, v = self.kv_proj(y).view(b, t, 2, self.kv, self.hd).permute(2, 0, 3, 1, 4)
        if past is not None:                                                 # decode: T cached keys
            k, v = torch.cat([past[0], k], 2), torch.cat([past[1], v], 2)
        a = F.scaled_dot_product_attention(q, k, v, is_causal=self.causal and past is None,
                                           enable_gqa=True)
        x = x + self.o_proj(a.transpose(1, 2).reshape(b, t, d))
        return x + self.down(F.gelu(self.up(self.norm2(x))))


def test_mlp_matches_flop_counter_and_parameter_count():
    with META:
        mlp, x = MLP(), torch.empty(8, 32)
    theirs, ours, layers = counted(mlp, x)
    # 8 rows: fc1 8.32.64 + fc2 8.64.10 = 16384 + 5120 MACs
    assert ours == theirs == 2 * (8 * 32 * 64 + 8 * 64 * 10)
    assert [l.name for l in layers] == ["fc1", "act", "fc2"]
    prof = profile_layers(layers, "h100-sxm", "bf16")
    assert prof.totals.bytes.weights == n_params(mlp) * BF16   # (32.64 + 64 + 64.10 + 10) x 2
    assert prof.capacity.weights_bytes == n_params(mlp) * BF16
    assert prof.model == "MLP"


def test_linear_on_a_3d_input_folds_tokens_into_m():
    """A Linear on (B, T, D) reads its weight once: one Gemm with M = B.T, not B of them."""
    with META:
        fc = nn.Linear(16, 24)
        layers = from_torch(fc, torch.empty(3, 5, 16))
    (layer,) = layers
    assert (layer.op.m, layer.op.n, layer.op.k, layer.count) == (15, 24, 16, 1)
    assert layer.op.weight_operand and layer.op.bias


def test_matmul_of_activations_counts_batch_and_no_weights():
    class Scores(nn.Module):
        def forward(self, q, k):
            return torch.softmax(q @ k.transpose(-1, -2), -1)

    with META:
        q, k = torch.empty(2, 4, 6, 8), torch.empty(2, 4, 6, 8)
    theirs, ours, layers = counted(Scores(), q, k)
    assert ours == theirs == 2 * (2 * 4) * 6 * 6 * 8
    gemm = next(l for l in layers if l.op.macs())
    assert (gemm.op.m, gemm.op.n, gemm.op.k, gemm.count) == (6, 6, 8, 8)
    assert gemm.op.params() == 0 and gemm.op.traffic().weights == 0
    assert any(isinstance(l.op, Elementwise) and l.op.op == "softmax" for l in layers)


def test_cnn_with_grouped_and_depthwise_convs():
    with META:
        cnn, x = CNN(), torch.empty(2, 3, 64, 64)
    theirs, ours, layers = counted(cnn, x)
    assert ours == theirs
    convs = {l.name: l.op for l in layers if isinstance(l.op, Conv2d)}
    modules = {n: m for n, m in cnn.named_modules() if isinstance(m, nn.Conv2d)}
    assert set(convs) == set(modules)       # every conv, named by its module path
    for name, m in modules.items():
        op = convs[name]
        assert (op.groups, op.stride, op.padding, op.dilation) == (
            m.groups, m.stride[0], m.padding[0], m.dilation[0])
        assert op.params() == n_params(m)
    assert convs["layer1.1.conv2"].is_depthwise and convs["layer1.0.conv1"].groups == 4
    prof = profile_layers(layers, "jetson-agx-orin", "bf16")
    assert prof.totals.bytes.weights == n_params(cnn) * BF16   # BN's gamma and beta included
    names = [l.name for l in layers]
    assert len(set(names)) == len(names)
    assert {"stem", "pool", "layer1.0.conv1", "layer1.0.bn1", "layer1.1.down", "head"} <= set(names)


def test_cnn_pooling_and_batchnorm_are_bandwidth_ops():
    with META:
        cnn, x = CNN(), torch.empty(1, 3, 32, 32)
    layers = {l.name: l for l in from_torch(cnn.eval(), x)}
    pool = layers["pool"].op                     # 3x3 stride 2 pad 1 on 16x16 -> 8x8
    assert (pool.kernel, pool.stride, pool.padding, pool.out_height) == (3, 2, 1, 8)
    bn = layers["layer1.0.bn1"].op
    # 32x32 -> stem (stride 2) 16x16 -> pool 8x8; block 0 keeps 8x8 with 2.16 channels
    assert bn.kind == "norm" and bn.elements == 32 * 8 * 8 and bn.weights == 2 * 32


@pytest.mark.parametrize("causal", [True, False])
def test_transformer_block_with_sdpa(causal):
    b, t, d, h, hkv = 2, 16, 64, 8, 2
    with META:
        block, x = TransformerBlock(d, h, hkv, causal), torch.empty(b, t, d)
    theirs, ours, layers = counted(block, x)
    # FlopCounterMode sees SDPA as two full (T x T) bmm: 2 x 2.B.H.T.T.hd FLOPs; ridgeline
    # counts T(T+1)/2 (query, key) pairs when causal.
    hd = d // h
    full = 2 * 2 * b * h * t * t * hd
    pairs = t * (t + 1) // 2 if causal else t * t
    assert ours == theirs - full + 2 * 2 * b * h * hd * pairs
    (att,) = [l for l in layers if isinstance(l.op, Attention)]
    assert att.op == Attention(b, h, hkv, hd, t, "prefill", causal=causal)
    assert att.name == "attention"   # called in the block's own forward, outside any submodule
    assert profile_layers(layers).totals.bytes.weights == n_params(block) * BF16
    names = [l.name for l in layers]
    assert names[:3] == ["norm1", "q_proj", "kv_proj"] and "norm2" in names


def test_decode_step_reads_the_kv_cache():
    b, t, d, h, hkv = 1, 32, 64, 8, 2
    with META:
        block, x = TransformerBlock(d, h, hkv), torch.empty(b, 1, d)
        past = (torch.empty(b, hkv, t - 1, d // h), torch.empty(b, hkv, t - 1, d // h))
    layers = from_torch(block, (x, past))
    (att,) = [l.op for l in layers if isinstance(l.op, Attention)]
    assert (att.phase, att.seq_len, att.kv_heads) == ("decode", t, hkv)
    assert att.traffic().kv_cache == 2 * b * hkv * t * (d // h)


ATEN_SDPA = [  # the fused kernels F.scaled_dot_product_attention dispatches to, called directly
    ("cpu", lambda q: torch.ops.aten._scaled_dot_product_flash_attention_for_cpu(
        q, q, q, is_causal=True)[0]),
    ("meta", lambda q: torch.ops.aten._scaled_dot_product_flash_attention(
        q, q, q, is_causal=True)[0]),
    ("meta", lambda q: torch.ops.aten._scaled_dot_product_efficient_attention(
        q, q, q, None, False, is_causal=True)[0]),
]


@pytest.mark.parametrize(("device", "kernel"), ATEN_SDPA, ids=["flash_cpu", "flash", "efficient"])
def test_aten_attention_kernels_map_to_attention(device, kernel):
    class Kernel(nn.Module):
        def forward(self, q):
            return kernel(q)

    b, h, t, hd = 2, 4, 16, 8
    q = torch.randn(b, h, t, hd, device=device)
    (layer,) = from_torch(Kernel(), q)
    assert layer.op == Attention(b, h, h, hd, t, "prefill", causal=True)
    if device == "meta":  # FlopCounterMode knows these kernels (not the CPU one): 4.B.H.T^2.d
        theirs, ours, _ = counted(Kernel(), q)
        assert theirs == 4 * b * h * t * t * hd
        assert ours == 4 * b * h * hd * t * (t + 1) // 2


def test_weight_on_the_left_is_read_once():
    """W (6 x 8) @ x (3, 8, 5): torch broadcasts W over the batch; W^T's 48 weights move once."""
    class Left(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.empty(6, 8))

        def forward(self, x):
            return torch.matmul(self.w, x)

    with META:
        theirs, ours, (layer,) = counted(Left(), torch.empty(3, 8, 5))
    assert ours == theirs == 2 * 3 * 6 * 8 * 5
    assert (layer.op.m, layer.op.n, layer.op.k, layer.count) == (3 * 5, 6, 8, 1)
    assert layer.op.traffic().weights == 6 * 8


def test_hugging_face_llama_imports_like_the_recipe():
    """transformers' Llama (scaled down, same structure: GQA, SwiGLU, untied head) imported
    from its own code: each projection, the attention and the parameters equal ridgeline's
    llama recipe. Run on the CPU - transformers' mask code cannot run on meta tensors."""
    transformers = pytest.importorskip("transformers")
    from dataclasses import replace

    from ridgeline.recipes import Workload
    from ridgeline.recipes.transformer import LLAMA_3_8B, build_llama

    cfg = replace(LLAMA_3_8B, n_layers=2, d_model=128, n_heads=4, n_kv_heads=2, ffn_dim=352,
                  vocab=512)
    b, t = 2, 16
    model = transformers.LlamaForCausalLM(transformers.LlamaConfig(
        vocab_size=cfg.vocab, hidden_size=cfg.d_model, intermediate_size=cfg.ffn_dim,
        num_hidden_layers=cfg.n_layers, num_attention_heads=cfg.n_heads,
        num_key_value_heads=cfg.n_kv_heads, tie_word_embeddings=False,
        attn_implementation="sdpa")).eval()
    ids = torch.zeros(b, t, dtype=torch.long)
    layers = from_torch(model, {"input_ids": ids, "use_cache": False}, name="llama")
    recipe = build_llama(cfg, Workload(batch=b, seq_len=t, phase="prefill"))

    def macs(ls, leaf):  # imported names are module paths: model.layers.0.self_attn.q_proj
        return sum(l.op.macs() * l.count for l in ls if l.name.split(".")[-1] == leaf)

    for proj in ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj",
                 "lm_head"):
        assert macs(layers, proj) == macs(recipe, proj) > 0, proj
    (ours,) = {l.op for l in layers if isinstance(l.op, Attention)}
    (theirs,) = {l.op for l in recipe if isinstance(l.op, Attention)}
    assert ours == theirs == Attention(b, 4, 2, 32, t, "prefill", causal=True)
    assert sum(isinstance(l.op, Attention) for l in layers) == cfg.n_layers
    assert sum(l.op.macs() * l.count for l in layers) == sum(l.op.macs() * l.count for l in recipe)
    held = sum(l.op.params() * l.count for l in recipe)
    assert profile_layers(layers).capacity.weights_bytes == n_params(model) * BF16 == held * BF16


def test_parameters_are_weights_through_views_and_slices():
    """A fused QKV weight sliced per head is still the parameter: weight bytes, not inputs."""
    class Fused(nn.Module):
        def __init__(self):
            super().__init__()
            self.qkv = nn.Parameter(torch.empty(3 * 16, 16))

        def forward(self, x):
            q, k, v = self.qkv.split(16)
            return x @ q.t() + x @ k.t() + x @ v.t()

    with META:
        layers = from_torch(Fused(), torch.empty(4, 16))
    gemms = [l.op for l in layers if isinstance(l.op, Gemm)]
    assert len(gemms) == 3 and all(g.weight_operand for g in gemms)
    assert sum(g.traffic().weights for g in gemms) == 3 * 16 * 16


def test_embedding_is_a_lookup_with_the_table_as_footprint():
    with META:
        emb = nn.Embedding(1000, 32)
        (layer,) = from_torch(emb, torch.zeros(2, 7, dtype=torch.long))
    assert (layer.op.tokens, layer.op.vocab, layer.op.dim) == (14, 1000, 32)
    assert layer.op.params() == n_params(emb)


def test_unsupported_ops_are_listed_and_warned_not_dropped_silently():
    class Odd(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(8, 8)

        def forward(self, x):
            return torch.kthvalue(self.fc(x), 2, -1).values

    with META, pytest.warns(UserWarning, match="kthvalue"):
        layers = from_torch(Odd(), torch.empty(2, 8))
    assert layers.unsupported == {"aten.kthvalue": 1}
    assert any("kthvalue" in w for w in layers.warnings)
    assert [l.name for l in layers] == ["fc"]


def test_conv1d_and_real_tensors():
    """A Conv1d on CPU tensors (not meta): a 1 x L image, MACs still equal FlopCounterMode."""
    m = nn.Sequential(nn.Conv1d(4, 8, 5, stride=2, padding=3, dilation=2), nn.ReLU())
    theirs, ours, layers = counted(m, torch.randn(2, 4, 50))
    assert ours == theirs > 0
    assert layers[0].name == "0" and layers[0].op.out_height == 1


@given(h=st.integers(8, 24), s=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       p=st.tuples(st.integers(0, 2), st.integers(0, 2)),
       k=st.tuples(st.integers(1, 4), st.integers(1, 4)),
       g=st.sampled_from([1, 2, 4]))
@settings(max_examples=25, deadline=None)
def test_any_conv2d_matches_flop_counter(h, s, p, k, g):
    with META:
        m, x = nn.Conv2d(4, 8, k, stride=s, padding=p, groups=g), torch.empty(1, 4, h, h + 3)
    theirs, ours, layers = counted(m, x)
    assert ours == theirs
    assert layers[0].op.params() == n_params(m)


def test_bad_arguments():
    with pytest.raises(RidgelineError, match="nn.Module"):
        from_torch(lambda x: x, torch.empty(1))
    with META, pytest.raises(RidgelineError, match="running MLP failed"):
        from_torch(MLP(), torch.empty(2, 5))       # 5 features into Linear(32, ...)


# ---------------------------------------------------------------- ONNX

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper


def export(module, x, path):
    """torch.onnx.export with the TorchScript exporter (the torch.export one needs onnxscript)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(module.eval(), (x,), str(path), dynamo=False,
                              input_names=["x"], dynamic_axes={"x": {0: "batch"}})
    except Exception as exc:  # noqa: BLE001 (an exporter that cannot run here)
        pytest.skip(f"torch.onnx.export unavailable: {exc}")
    return path


def mac_layers(layers):
    return [(l.name, l.op.kind, l.op.macs() * l.count) for l in layers if l.op.macs()]


def test_onnx_mlp_agrees_with_torch(tmp_path):
    mlp, x = MLP(), torch.randn(8, 32)
    path = export(mlp, x, tmp_path / "mlp.onnx")
    ours, theirs = from_onnx(path, batch=8), from_torch(mlp, x)
    assert [(l.name, l.op) for l in ours] == [(l.name, l.op) for l in theirs]
    p_onnx, p_torch = profile_layers(ours), profile_layers(theirs)
    assert p_onnx.totals.bytes == p_torch.totals.bytes
    assert p_onnx.model == "mlp.onnx"


def test_onnx_cnn_agrees_with_torch(tmp_path):
    cnn, x = CNN().eval(), torch.randn(2, 3, 64, 64)
    path = export(cnn, x, tmp_path / "cnn.onnx")
    ours, theirs = from_onnx(path, batch=2), from_torch(cnn, x)
    assert mac_layers(ours) == mac_layers(theirs)
    # the exporter folds each eval-mode BatchNorm into the conv before it (whose bias
    # absorbs beta): the ONNX graph holds the parameters less BN's gamma and beta
    bn = sum(n_params(m) for m in cnn.modules() if isinstance(m, nn.BatchNorm2d))
    assert profile_layers(ours).totals.params == n_params(cnn) - bn
    assert not ours.unsupported


def test_onnx_symbolic_batch(tmp_path):
    mlp = MLP()
    path = export(mlp, torch.randn(8, 32), tmp_path / "mlp.onnx")
    one, four = from_onnx(path), from_onnx(path, batch=4)
    assert four[0].op.m == 4 * one[0].op.m == 4
    assert any("batch" in n and "set to 1" in n for n in one.notes)
    assert from_onnx(path, dims={"batch": 3})[0].op.m == 3


def _graph(nodes, inputs, outputs, inits=(), opset=17, value_info=()):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits),
                          value_info=list(value_info))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def _tensor(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def _weight(name, shape):
    import numpy as np
    return onnx.numpy_helper.from_array(np.zeros(shape, dtype=np.float32), name)


def test_onnx_gemm_conv_and_batched_matmul_by_hand():
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], name="/stem/Conv", strides=[2, 1],
                         pads=[0, 1, 1, 2], group=2),
        helper.make_node("GlobalAveragePool", ["c"], ["g"], name="/gap/GlobalAveragePool"),
        helper.make_node("Flatten", ["g"], ["f"]),
        helper.make_node("Gemm", ["f", "fw", "fb"], ["y"], name="/fc/Gemm", transB=1),
        helper.make_node("MatMul", ["q", "k"], ["s"], name="/attn/MatMul"),
    ]
    model = _graph(nodes, [_tensor("x", [2, 4, 9, 9]), _tensor("q", [2, 3, 5, 8]),
                           _tensor("k", [2, 3, 8, 7])],
                   [_tensor("y", [2, 10]), _tensor("s", [2, 3, 5, 7])],
                   [_weight("w", [6, 2, 3, 3]), _weight("b", [6]), _weight("fw", [10, 6]),
                    _weight("fb", [10])])
    layers = {l.name: l for l in from_onnx(model)}
    stem = layers["stem"].op
    # H: (9 + 0 + 1 - 3)//2 + 1 = 4; W: (9 + 1 + 2 - 3)//1 + 1 = 10
    assert (stem.out_height, stem.out_width) == (4, 10)
    assert stem.macs() == 2 * 4 * 10 * 6 * (4 // 2) * 3 * 3 and stem.params() == 6 * 2 * 9 + 6
    assert layers["gap"].op.flops() == 2 * 6 * 4 * 10           # one add per input read
    fc = layers["fc"].op
    assert (fc.m, fc.n, fc.k, fc.bias, fc.params()) == (2, 10, 6, True, 10 * 6 + 10)
    mm = layers["attn"]
    assert (mm.op.m, mm.op.n, mm.op.k, mm.count, mm.op.params()) == (5, 7, 8, 6, 0)


def test_onnx_attention_node():
    if onnx.defs.onnx_opset_version() < 23:
        pytest.skip("the Attention operator needs opset 23")
    node = helper.make_node("Attention", ["q", "k", "v"], ["o"], name="/attn/Attention",
                            is_causal=1)
    model = _graph([node], [_tensor("q", [2, 8, 16, 32]), _tensor("k", [2, 2, 16, 32]),
                            _tensor("v", [2, 2, 16, 32])], [_tensor("o", [2, 8, 16, 32])], opset=23)
    (layer,) = from_onnx(model)
    assert layer.name == "attn" and layer.op == Attention(2, 8, 2, 32, 16, "prefill", causal=True)


def test_onnx_attention_node_3d_with_named_dims():
    """(B, T, H.d) inputs with head counts as attributes; a symbolic length set by dims=."""
    if onnx.defs.onnx_opset_version() < 23:
        pytest.skip("the Attention operator needs opset 23")
    node = helper.make_node("Attention", ["q", "k", "v"], ["o"], name="/attn/Attention",
                            q_num_heads=8, kv_num_heads=2)
    model = _graph([node], [_tensor("q", [1, "T", 8 * 16]), _tensor("k", [1, "T", 2 * 16]),
                            _tensor("v", [1, "T", 2 * 16])], [_tensor("o", [1, "T", 128])],
                   opset=23)
    (layer,) = from_onnx(model, dims={"T": 64})
    assert layer.op == Attention(1, 8, 2, 16, 64, "prefill", causal=False)


def test_onnx_unknown_ops_are_listed():
    nodes = [helper.make_node("MatMul", ["x", "w"], ["y"], name="/fc/MatMul"),
             helper.make_node("CumSum", ["y", "axis"], ["z"])]
    import numpy as np
    axis = onnx.numpy_helper.from_array(np.array(0, dtype=np.int64), "axis")
    model = _graph(nodes, [_tensor("x", [4, 8])], [_tensor("z", [4, 3])],
                   [_weight("w", [8, 3]), axis])
    with pytest.warns(UserWarning, match="CumSum"):
        layers = from_onnx(model)
    assert layers.unsupported == {"CumSum": 1} and [l.name for l in layers] == ["fc"]


@pytest.mark.parametrize("content", [b"", b"not an onnx file at all\n", bytes(range(256)) * 4])
def test_malformed_onnx_file_is_one_clear_error(tmp_path, content):
    path = tmp_path / "bad.onnx"
    path.write_bytes(content)
    with pytest.raises(RidgelineError) as err:
        from_onnx(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_missing_and_inconsistent_onnx(tmp_path):
    with pytest.raises(RidgelineError, match="no such ONNX file"):
        from_onnx(tmp_path / "nope.onnx")
    with pytest.raises(RidgelineError, match="path or an onnx.ModelProto"):
        from_onnx(42)
    nodes = [helper.make_node("MatMul", ["x", "w"], ["y"])]       # 8 != 5: inner dims clash
    bad = _graph(nodes, [_tensor("x", [4, 8])], [_tensor("y", [4, 3])], [_weight("w", [5, 3])])
    path = tmp_path / "clash.onnx"
    onnx.save(bad, path)
    with pytest.raises(RidgelineError, match="clash.onnx"):
        from_onnx(path)


def test_onnx_weights_in_an_external_file(tmp_path):
    """Big models keep weights beside the graph: shapes suffice, the weight file must exist."""
    nodes = [helper.make_node("MatMul", ["x", "w"], ["y"], name="/fc/MatMul")]
    model = _graph(nodes, [_tensor("x", [4, 256])], [_tensor("y", [4, 512])],
                   [_weight("w", [256, 512])])
    path = tmp_path / "big.onnx"
    onnx.save(model, path, save_as_external_data=True, location="big.bin", size_threshold=0)
    (layer,) = from_onnx(path)
    assert layer.op == Gemm(4, 512, 256, kind="linear") and layer.op.params() == 256 * 512
    (tmp_path / "big.bin").unlink()
    with pytest.raises(RidgelineError, match="big.bin"):
        from_onnx(path)


def test_onnx_missing_package_is_one_clear_error(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)   # `import onnx` now raises ImportError
    with pytest.raises(RidgelineError, match=r"pip install 'ridgeline\[onnx\]'"):
        from_onnx(tmp_path / "any.onnx")


def test_imported_layers_is_a_plain_list_with_extras():
    layers = ImportedLayers([Layer("a", Gemm(2, 2, 2))], name="x", unsupported={"op": 2})
    assert isinstance(layers, list) and layers[0].name == "a"
    assert layers.warnings == ["not modelled (counted as zero cost): op x2"]
