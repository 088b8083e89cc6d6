"""The tracing machinery of the torch importer: module scopes, the two modes, and the
bookkeeping that counts every parameter's storage once.

The module runs under a TorchDispatchMode (every aten op with its real shapes, as
torch/utils/flop_counter.py counts FLOPs) and a TorchFunctionMode that catches the fused
functions the dispatcher would otherwise only show in pieces (scaled_dot_product_attention,
rms_norm, the recurrent layers). Forward hooks on every submodule keep a stack of module
paths, so each op is named by the module that ran it (``layer1.0.conv1``).

Parameters are recognized by their storage, which every view of them shares (``weight.t()``,
an expand, a slice of a fused QKV weight). Each region of a parameter's storage is *held*
once (docs/formulas.md §19): a tied weight read by a second layer is not counted again, and a
parameter that reaches an operator through a copy (``cat``, ``index``) is counted where the
copy is consumed. torch is imported inside the functions only.
"""

from __future__ import annotations

from collections import Counter
from contextlib import ExitStack
from math import prod

from ..ops.held import with_held


class module_scopes:
    """Push a submodule's path (named_modules' key) while its forward runs."""

    def __init__(self, module, stack: list):
        self.module, self.stack, self.handles = module, stack, []

    def __enter__(self):
        for path, sub in self.module.named_modules():
            self.handles.append(sub.register_forward_pre_hook(self._enter(path)))
            self.handles.append(sub.register_forward_hook(self._leave, always_call=True))
        return self

    def _enter(self, path):
        def hook(module, inputs):  # NB: a hook's return value would replace the inputs
            self.stack.append(path)
        return hook

    def _leave(self, module, inputs, output):
        self.stack.pop()

    def __exit__(self, *exc):
        for h in self.handles:
            h.remove()


def storage_of(t):
    """The id of a tensor's storage (None for a non-tensor or a tensor without one)."""
    import torch
    if not isinstance(t, torch.Tensor):
        return None
    try:
        return t.untyped_storage()._cdata
    except (RuntimeError, NotImplementedError):  # a tensor with no storage (sparse, ...)
        return None


def unique_elements(t) -> int:
    """Elements a tensor really holds: broadcast (stride-0) dims are one element wide."""
    return prod(s for s, st in zip(t.shape, t.stride()) if st != 0) if t.dim() else 1


class Tracer:
    """Collects (scope, short, op, count) records while the module runs."""

    def __init__(self, module):
        self.scopes: list[str] = []
        self.records: list = []
        self.unsupported: Counter = Counter()
        self.skipped: Counter = Counter()
        self.notes: list[str] = []
        self.fused_depth = 0  # > 0 inside a function already recorded whole (SDPA, rms_norm)
        self.reading: list = []  # the tensors the op being recorded reads
        params = list(module.parameters())
        self.weight_storages = {p.untyped_storage()._cdata for p in params}
        self.state_storages = self.weight_storages | {
            b.untyped_storage()._cdata for b in module.buffers()}
        self.storage_size = {p.untyped_storage()._cdata: p.untyped_storage().nbytes()
                             // max(1, p.element_size()) for p in params}
        self.held_regions: set = set()
        self.held_per_storage: Counter = Counter()
        self.carried: Counter = Counter()  # activation storage -> parameter elements it carries

    @property
    def scope(self) -> str:
        return self.scopes[-1] if self.scopes else ""

    def is_weight(self, t) -> bool:
        return storage_of(t) in self.weight_storages

    def is_state(self, t) -> bool:
        """A parameter or a buffer (BatchNorm's running statistics, its batch counter)."""
        return storage_of(t) in self.state_storages

    def fresh(self, tensors) -> int:
        """Parameter elements among ``tensors`` not held yet (marks them held), plus what
        activations among them carry from a copied parameter (docs/formulas.md §19)."""
        n = 0
        for t in tensors:
            sid = storage_of(t)
            if sid in self.weight_storages:
                n += self._hold(t, sid)
            elif sid in self.carried:
                n += self.carried.pop(sid)
        return n

    def _hold(self, t, sid) -> int:
        dims = frozenset((s, st) for s, st in zip(t.shape, t.stride()) if st and s > 1)
        key = (sid, t.storage_offset(), dims)
        if key in self.held_regions:
            return 0
        self.held_regions.add(key)
        room = self.storage_size[sid] - self.held_per_storage[sid]
        n = max(0, min(unique_elements(t), room))
        self.held_per_storage[sid] += n
        return n

    def carry(self, out_tensors) -> None:
        """A layout op (a copy, cat, index) read parameters: its output carries them."""
        n = self.fresh(self.reading)
        sid = next((s for s in map(storage_of, out_tensors) if s is not None), None)
        if n and sid is not None:
            self.carried[sid] += n

    def add(self, short, op, count=1):
        """Record ``op``; its params() corrected so that each parameter is held once."""
        delta = self.fresh(self.reading) - op.params() * count
        if delta and delta % count == 0:
            op = with_held(op, delta // count)
        self.reading = []  # an op that records several layers holds its weights once
        self.records.append((self.scope, short, op, count))

    def modes(self, record, fused: dict):
        """The function mode (outermost, ``fused`` handlers) and the dispatch mode (each aten
        op to ``record(tracer, func, args, kwargs, out)``) as one context manager."""
        stack = ExitStack()
        stack.enter_context(_function_mode(self, fused))
        stack.enter_context(_dispatch_mode(self, record))
        return stack


def tensors_in(values):
    """Every tensor among ``values`` (one level of lists and tuples)."""
    import torch
    for v in values:
        if isinstance(v, torch.Tensor):
            yield v
        elif isinstance(v, (list, tuple)):
            yield from (x for x in v if isinstance(x, torch.Tensor))


def _function_mode(tracer: Tracer, fused: dict):
    from torch.overrides import TorchFunctionMode

    class FusedFunctions(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            handler = fused.get(getattr(func, "__name__", ""))
            if handler is None or tracer.fused_depth:
                return func(*args, **kwargs)
            tracer.reading = list(tensors_in([*args, *kwargs.values()]))
            if handler(tracer, *args, **kwargs) is False:  # declined: count the pieces
                tracer.reading = []
                return func(*args, **kwargs)
            tracer.fused_depth += 1
            try:
                return func(*args, **kwargs)
            finally:
                tracer.fused_depth -= 1

    return FusedFunctions()


def _dispatch_mode(tracer: Tracer, record):
    from torch.utils._python_dispatch import TorchDispatchMode

    class AtenOps(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            out = func(*args, **kwargs)
            if not tracer.fused_depth:
                a = bind(func, args, kwargs)
                tracer.reading = list(tensors_in(a.values()))
                record(tracer, func, a, out)
                tracer.reading = []
            return out

    return AtenOps()


def bind(func, args, kwargs) -> dict:
    """aten arguments by their schema names (defaults filled in)."""
    bound = {}
    for i, arg in enumerate(func._schema.arguments):
        if i < len(args):
            bound[arg.name] = args[i]
        elif arg.name in kwargs:
            bound[arg.name] = kwargs[arg.name]
        elif arg.has_default_value():
            bound[arg.name] = arg.default_value
    return bound
