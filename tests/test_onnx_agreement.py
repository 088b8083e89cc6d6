"""The torch and ONNX importers agree on torchvision- and Hugging Face-shaped models.

resnet18, vit_b_16 and BERT are written here with the module trees (and so the layer names)
of torchvision's ResNet/VisionTransformer and transformers' BertModel, at small widths (the
same code at full width is the real model; torchvision itself does not import beside this
torch build). Each is exported by both of PyTorch's exporters - TorchScript (names in node
names) and dynamo (names in metadata, weights folded and renamed) - and read back.
Parameters and BatchNorm running statistics are random so that no exporter can merge equal
constants (a fresh BatchNorm or LayerNorm is all ones and zeros, which TorchScript
de-duplicates). Together ~25 s: the dynamo exports dominate.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict

import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxscript")  # the dynamo exporter
import torch.nn.functional as F
from torch import nn

from ridgeline.importers import from_onnx, from_torch, profile_layers


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                            nn.BatchNorm2d(cout))

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + idt)


class ResNet18(nn.Module):
    def __init__(self, width=16, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        c = width
        for i, mult in enumerate((1, 2, 4, 8)):
            stride = 1 if i == 0 else 2
            setattr(self, f"layer{i + 1}", nn.Sequential(BasicBlock(c, width * mult, stride),
                                                         BasicBlock(width * mult, width * mult, 1)))
            c = width * mult
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(c, classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class EncoderBlock(nn.Module):
    def __init__(self, d, heads, mlp):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d, eps=1e-6)
        self.self_attention = nn.MultiheadAttention(d, heads, batch_first=True)
        self.ln_2 = nn.LayerNorm(d, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(d, mlp), nn.GELU(), nn.Dropout(0.0), nn.Linear(mlp, d),
                                 nn.Dropout(0.0))

    def forward(self, x):
        y = self.ln_1(x)
        y, _ = self.self_attention(y, y, y, need_weights=False)
        x = x + y
        return x + self.mlp(self.ln_2(x))


class Encoder(nn.Module):
    def __init__(self, seq, layers, d, heads, mlp):
        super().__init__()
        self.pos_embedding = nn.Parameter(torch.zeros(1, seq, d))
        self.layers = nn.Sequential(OrderedDict(
            (f"encoder_layer_{i}", EncoderBlock(d, heads, mlp)) for i in range(layers)))
        self.ln = nn.LayerNorm(d, eps=1e-6)

    def forward(self, x):
        return self.ln(self.layers(x + self.pos_embedding))


class ViT(nn.Module):
    """torchvision's VisionTransformer (vit_b_16: image 224, patch 16, 12 x 768, 12 heads)."""

    def __init__(self, image=32, patch=8, layers=2, d=64, heads=4, mlp=128, classes=10):
        super().__init__()
        self.patch = patch
        self.conv_proj = nn.Conv2d(3, d, patch, patch)
        self.class_token = nn.Parameter(torch.zeros(1, 1, d))
        self.encoder = Encoder((image // patch) ** 2 + 1, layers, d, heads, mlp)
        self.heads = nn.Sequential(OrderedDict(head=nn.Linear(d, classes)))

    def forward(self, x):
        x = self.conv_proj(x)
        n, d = x.shape[0], x.shape[1]
        x = x.reshape(n, d, -1).permute(0, 2, 1)
        x = torch.cat([self.class_token.expand(n, -1, -1), x], dim=1)
        return self.heads(self.encoder(x)[:, 0])


class BertSelfAttention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads, self.dh = heads, d // heads
        self.query, self.key, self.value = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)

    def split(self, x):
        return x.view(x.size(0), x.size(1), self.heads, self.dh).transpose(1, 2)

    def forward(self, x, mask):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / (self.dh ** 0.5) + mask
        ctx = torch.matmul(scores.softmax(-1), v).transpose(1, 2)
        return ctx.reshape(x.size(0), x.size(1), -1)


class BertOut(nn.Module):
    def __init__(self, d_in, d):
        super().__init__()
        self.dense, self.LayerNorm = nn.Linear(d_in, d), nn.LayerNorm(d, eps=1e-12)

    def forward(self, h, x):
        return self.LayerNorm(self.dense(h) + x)


class BertAttention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.self, self.output = BertSelfAttention(d, heads), BertOut(d, d)

    def forward(self, x, mask):
        return self.output(self.self(x, mask), x)


class BertIntermediate(nn.Module):
    def __init__(self, d, ff):
        super().__init__()
        self.dense = nn.Linear(d, ff)

    def forward(self, x):
        return F.gelu(self.dense(x))


class BertLayer(nn.Module):
    def __init__(self, d, heads, ff):
        super().__init__()
        self.attention = BertAttention(d, heads)
        self.intermediate, self.output = BertIntermediate(d, ff), BertOut(ff, d)

    def forward(self, x, mask):
        a = self.attention(x, mask)
        return self.output(self.intermediate(a), a)


class BertEmbeddings(nn.Module):
    def __init__(self, vocab, d, max_pos):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, d)
        self.position_embeddings = nn.Embedding(max_pos, d)
        self.token_type_embeddings = nn.Embedding(2, d)
        self.LayerNorm = nn.LayerNorm(d, eps=1e-12)

    def forward(self, ids):
        pos = torch.arange(ids.size(1), device=ids.device).unsqueeze(0)
        x = self.word_embeddings(ids) + self.position_embeddings(pos)
        return self.LayerNorm(x + self.token_type_embeddings(torch.zeros_like(ids)))


class Bert(nn.Module):
    """Hugging Face BertModel's module tree (eager attention), small: 2 x 64, 4 heads."""

    def __init__(self, vocab=1000, d=64, layers=2, heads=4, ff=128, max_pos=64):
        super().__init__()
        self.embeddings = BertEmbeddings(vocab, d, max_pos)
        self.encoder = BertEncoder(d, layers, heads, ff)

    def forward(self, ids):
        mask = torch.zeros(ids.size(0), 1, 1, ids.size(1), device=ids.device)
        return self.encoder(self.embeddings(ids), mask)


class BertEncoder(nn.Module):
    def __init__(self, d, layers, heads, ff):
        super().__init__()
        self.layer = nn.ModuleList(BertLayer(d, heads, ff) for _ in range(layers))

    def forward(self, x, mask):
        for layer in self.layer:
            x = layer(x, mask)
        return x


# ---------------------------------------------------------------- exports


def randomize(module, seed=0):
    """Every float parameter and buffer uniform in [0.5, 1.5): no two tensors alike."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for t in [*module.parameters(), *module.buffers()]:
            if t.is_floating_point():
                t.copy_(torch.rand(t.shape, generator=g) + 0.5)
    return module.eval()


CASES = {  # name: (model, example input, dynamic axes, dims for from_onnx)
    "resnet18": (ResNet18, lambda: torch.randn(2, 3, 64, 64), {0: "batch"}, {}),
    "vit_b_16": (ViT, lambda: torch.randn(2, 3, 32, 32), {0: "batch"}, {}),
    "bert": (Bert, lambda: torch.randint(0, 1000, (2, 16)), {0: "batch", 1: "seq"}, {"seq": 16}),
}


def export(model, x, path, dynamic, dynamo):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dynamo:
            shapes = ({axis: torch.export.Dim(name) for axis, name in dynamic.items()},)
            torch.onnx.export(model, (x,), str(path), dynamo=True, input_names=["x"],
                              dynamic_shapes=shapes, verbose=False)
        else:
            torch.onnx.export(model, (x,), str(path), dynamo=False, input_names=["x"],
                              dynamic_axes={"x": dynamic})
    return path


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request, tmp_path_factory):
    """(name, model, input, dims, {exporter: path}) for one architecture, exported twice."""
    name = request.param
    build, make_x, dynamic, dims = CASES[name]
    model, x = randomize(build()), make_x()
    folder = tmp_path_factory.mktemp(name)
    paths = {exp: export(model, x, folder / f"{name}_{exp}.onnx", dynamic, exp == "dynamo")
             for exp in ("torchscript", "dynamo")}
    return name, model, x, dims, paths


def work_rows(layers):
    """The table's rows that carry arithmetic: (layer name, MACs, parameters)."""
    return [(l.name, l.op.macs() * l.count, l.op.params() * l.count) for l in layers
            if l.op.macs()]


def batchnorm_correction(model) -> int:
    """Both exporters fold each eval-mode BatchNorm into the conv before it: the graph lacks
    BN's gamma and beta (2C) and the conv gains a bias (C) - net -C per BatchNorm."""
    return -sum(m.num_features for m in model.modules() if isinstance(m, nn.BatchNorm2d))


@pytest.mark.parametrize("exporter", ["torchscript", "dynamo"])
def test_the_torch_and_onnx_tables_agree(case, exporter):
    name, model, x, dims, paths = case
    theirs = from_torch(model, (x,))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing left unsupported
        ours = from_onnx(paths[exporter], batch=2, dims=dims)
    assert not ours.unsupported
    if (name, exporter) == ("vit_b_16", "torchscript"):
        # nn.MultiheadAttention's TorchScript export computes its reshape targets through
        # Slice(Shape) with computed bounds -> Concat, and the class token's expand shape
        # through ConstantOfShape -> Equal -> Where: neither onnx's nor onnxruntime's
        # inference follows them; folded on the known input sizes (onnx_fold), they resolve
        assert any("folded on the input sizes" in n for n in ours.notes), ours.notes
    mine, torch_rows = work_rows(ours), work_rows(theirs)
    assert [r[:2] for r in mine] == [r[:2] for r in torch_rows]  # names aligned, same MACs
    p_onnx, p_torch = profile_layers(ours), profile_layers(theirs)
    assert p_onnx.totals.macs == p_torch.totals.macs
    fold = batchnorm_correction(model)
    assert p_onnx.totals.params == p_torch.totals.params + fold
    if name != "resnet18":
        assert sum(r[0].endswith(".attention") for r in mine) == 2  # matmul attention folded
