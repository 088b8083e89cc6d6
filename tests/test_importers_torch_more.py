"""The torch importer beyond the basics: parameters held once (tied, shared, copied), attention
recognised in nn.MultiheadAttention and in hand-written matmul code, and the operators added
with docs/formulas.md §15-§19 - each checked against FlopCounterMode or a parameter count."""

import warnings

import pytest

from ridgeline.errors import RidgelineError
from ridgeline.importers import from_torch, profile_layers
from ridgeline.ops import FFT, Attention, ConvND, Recurrent, Resample, TopK

torch = pytest.importorskip("torch")
nn, F = torch.nn, torch.nn.functional
from torch.utils.flop_counter import FlopCounterMode

META = torch.device("meta")
BF16 = 2


def unique_params(module) -> int:
    """sum(p.numel()) over unique storages: what the model holds."""
    seen = {}
    for p in module.parameters():
        seen[p.untyped_storage()._cdata] = p.numel()
    return sum(seen.values())


def flops(module, *inputs):
    with FlopCounterMode(display=False) as counter:
        module(*inputs)
    return counter.get_total_flops()


def quiet_import(module, inputs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return from_torch(module, inputs)


class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.e = nn.Embedding(1000, 64)
        self.h = nn.Linear(64, 1000, bias=False)
        self.h.weight = self.e.weight

    def forward(self, idx):
        return self.h(self.e(idx))


def test_tied_embedding_is_held_once_and_read_twice():
    with META:
        m, idx = Tied(), torch.zeros(2, 8, dtype=torch.long)
    layers = from_torch(m, idx)
    prof = profile_layers(layers, "h100-sxm", "bf16", "compulsory")
    assert prof.totals.params == 64_000            # 1000 x 64 once, not 128,000
    assert prof.capacity.weights_bytes == 64_000 * BF16
    head = prof.layer("h")
    assert head.params == 0 and head.bytes.weights == 64_000 * BF16  # still read whole


def test_gpt2_shaped_model_counts_unique_storages():
    transformers = pytest.importorskip("transformers")
    cfg = transformers.GPT2Config(n_layer=2, n_embd=64, n_head=4, vocab_size=1000,
                                  n_positions=128)
    from unittest import mock
    with META:
        model = transformers.GPT2LMHeadModel(cfg).eval()
        ids = torch.zeros(1, 16, dtype=torch.long)
    # transformers reads position ids' values to find packed sequences: not on meta
    with mock.patch("transformers.masking_utils.find_packed_sequence_indices", lambda p: None):
        layers = quiet_import(model, {"input_ids": ids, "use_cache": False})
    total = sum(l.op.params() * l.count for l in layers)
    by_layer = {l.name: l.op.params() for l in layers}
    assert by_layer["lm_head"] == 0 and by_layer["transformer.wte"] == 1000 * 64  # tied
    assert total == unique_params(model) == 172_288


class ClassToken(nn.Module):
    """ViT's class token reaches the model through cat, a position table through index."""

    def __init__(self):
        super().__init__()
        self.cls = nn.Parameter(torch.zeros(1, 1, 32))
        self.pos = nn.Parameter(torch.zeros(1, 5, 32))
        self.table = nn.Parameter(torch.zeros(9, 4))
        self.fc = nn.Linear(32, 32)

    def forward(self, x):
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], 1) + self.pos
        bias = self.table[torch.zeros(5, 5, dtype=torch.long)]  # (5, 5, 4) gathered rows
        return self.fc(x).sum() + bias.sum()


def test_parameters_through_cat_and_index_are_counted():
    with META:
        m, x = ClassToken(), torch.zeros(2, 4, 32)
    layers = quiet_import(m, x)
    # 32 (cls) + 160 (pos) + 36 (table) + 32.32 + 32 (fc) = 1284
    assert sum(l.op.params() * l.count for l in layers) == unique_params(m) == 1284


@pytest.mark.parametrize("device", ["meta", "cpu"])
def test_multihead_attention_is_one_attention_layer(device):
    with torch.device(device):
        mha, x = nn.MultiheadAttention(32, 4, batch_first=True).eval(), torch.randn(2, 10, 32)
    layers = quiet_import(mha, (x, x, x))
    attn = [l for l in layers if isinstance(l.op, Attention)]
    assert len(attn) == 1 and not any(l.op.kind == "bmm" for l in layers)
    op = attn[0].op
    assert op.batch * op.heads == 2 * 4 and op.seq_len == 10 and op.head_dim == 8
    ours = sum(2 * l.op.macs() * l.count for l in layers)
    assert ours == flops(mha, x, x, x)  # full T x T, as FlopCounterMode counts it


class HandAttention(nn.Module):
    def __init__(self, d=32, heads=4):
        super().__init__()
        self.qkv, self.o, self.h = nn.Linear(d, 3 * d), nn.Linear(d, d), heads

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.h, d // self.h).permute(2, 0, 3, 1, 4)
        s = (q @ k.transpose(-2, -1)) * (d // self.h) ** -0.5
        s = s.masked_fill(torch.ones(t, t, dtype=torch.bool, device=x.device).triu(1), float("-inf"))
        return self.o((s.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d))


def test_hand_written_attention_is_recognised_and_labelled():
    with META:
        m, x = HandAttention(), torch.empty(3, 12, 32)
    layers = quiet_import(m, x)
    (attn,) = [l for l in layers if isinstance(l.op, Attention)]
    # B.H = 12 folded into heads; full (non-causal) work: the mask is not read
    assert (attn.op.heads, attn.op.seq_len, attn.op.causal) == (12, 12, False)
    assert any("matmul -> softmax -> matmul" in n and "non-causal" in n for n in layers.notes)
    assert sum(2 * l.op.macs() * l.count for l in layers) == flops(m, x)


class Zoo(nn.Module):
    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(8, 4, 3, stride=2, groups=2)
        self.c3 = nn.Conv3d(4, 6, 3, padding=1)
        self.lstm = nn.LSTM(16, 32, num_layers=2, batch_first=True, bidirectional=True)
        self.gru = nn.GRU(16, 24)

    def forward(self, img, vol, seq):
        return (self.up(img).sum() + self.c3(vol).sum() + self.lstm(seq)[0].sum()
                + self.gru(seq)[0].sum())


def zoo(device):
    with torch.device(device):
        m = Zoo().eval()
        ins = (torch.randn(2, 8, 9, 9), torch.randn(1, 4, 5, 6, 7), torch.randn(3, 7, 16))
    return m, ins


@pytest.mark.parametrize("device", ["meta", "cpu"])
def test_new_matrix_operators_match_flop_counter(device):
    m, ins = zoo(device)
    layers = quiet_import(m, ins)
    kinds = {type(l.op) for l in layers}
    assert {ConvND, Recurrent} <= kinds and not layers.unsupported
    (up,) = [l.op for l in layers if isinstance(l.op, ConvND) and l.op.transposed]
    # each of 2.8.81 input positions scatters (4/2) outputs x 9 taps: 2.8.81.2.9 = 23328 MACs
    assert up.macs() == 23_328
    lstm = [l for l in layers if isinstance(l.op, Recurrent) and l.op.cell == "lstm"]
    # layer 2 reads both directions of layer 1 (2 x 32 wide); 2 directions each
    assert [(l.op.input_size, l.count) for l in lstm] == [(16, 2), (64, 2)]
    ours = sum(2 * l.op.macs() * l.count for l in layers)
    # FlopCounterMode sees the recurrent layers' matmuls on meta (on CPU one fused mkldnn op
    # it does not count): the same figure on both devices
    ref, ref_ins = zoo("meta")
    assert ours == flops(ref, *ref_ins)
    assert sum(l.op.params() * l.count for l in layers) == unique_params(m)


def test_bandwidth_operators_and_layout():
    class Odds(nn.Module):
        def __init__(self):
            super().__init__()
            self.act = nn.PReLU(4)

        def forward(self, x, grid):
            y = F.interpolate(self.act(x), scale_factor=2, mode="bilinear")
            z = F.grid_sample(x, grid, align_corners=False) + torch.roll(x, 1, -1)[..., :3, :3]
            return y.sum() + z.sum() + torch.topk(x.flatten(1), 5).values.sum() \
                + torch.fft.rfft(x, dim=-1).abs().sum()

    with META:
        x, grid = torch.empty(2, 4, 8, 8), torch.empty(2, 3, 3, 2)
        layers = quiet_import(Odds(), (x, grid))
    ops = {type(l.op): l.op for l in layers}
    assert not layers.unsupported and "aten.roll" in layers.skipped
    assert ops[Resample].mode in ("bilinear",) and ops[TopK].k == 5 and ops[TopK].n == 256
    assert ops[FFT].n == 8 and ops[FFT].batch == 64 and ops[FFT].real
    assert layers[0].op.op == "prelu" and layers[0].op.params() == 4
    grids = [l.op for l in layers if l.name == "grid_sample"]
    assert grids[0].grid == 2 * 3 * 3 * 2 and grids[0].outputs == 2 * 4 * 3 * 3


def test_a_model_of_only_unsupported_ops_names_them():
    class Only(nn.Module):
        def forward(self, x):
            return torch.kthvalue(x, 2).values

    with META, pytest.raises(RidgelineError, match="no operator ridgeline can count: "
                                                   "aten.kthvalue"):
        quiet_import(Only(), torch.empty(3, 4))
