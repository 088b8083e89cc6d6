"""Time and peak memory of ``from_onnx`` on a large generated model (nothing big is committed).

The model is built in a temporary folder: ``--layers`` MatMul + Add + Relu blocks, each with a
``--width`` x ``--width`` float32 weight stored inline (the default: 32 x 1024^2 x 4 B = 128 MiB,
the size of the fuzzed file in issue 6), or beside the graph with ``--external``. Each import
runs in a fresh interpreter, so its peak resident memory (``ru_maxrss`` of that child) is the
importer's own, not this script's; the floor ``python -c "import onnx, ridgeline"`` is
measured the same way and printed beside it.

Run: ``.venv/bin/python bench/bench_onnx.py [--quick] [--layers N] [--width W] [--external]``.
``--src DIR`` imports ridgeline from DIR instead (e.g. an older checkout's src, to compare).
It prints; it never asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

# VmHWM (this process's peak resident set) rather than ru_maxrss, which Linux carries across
# fork + exec from this script (that built the model) into the child
IMPORT = ("import re, sys, time, json; sys.path.insert(0, sys.argv[2]) if sys.argv[2] "
          "else None; import onnx, ridgeline; from ridgeline.importers import from_onnx; "
          "t = time.perf_counter(); layers = {call}; dt = time.perf_counter() - t; "
          "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1); "
          "print(json.dumps([dt, int(hwm), {n}]))")


def build(path: str, layers: int, width: int, external: bool) -> int:
    """Write the model; return its file size in bytes (the graph, plus inline weights)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper
    nodes, inits, x = [], [], "x"
    for i in range(layers):
        w = np.full((width, width), 0.5, dtype=np.float32)
        inits.append(onnx.numpy_helper.from_array(w, f"w{i}"))
        nodes += [helper.make_node("MatMul", [x, f"w{i}"], [f"m{i}"], name=f"/l{i}/MatMul"),
                  helper.make_node("Relu", [f"m{i}"], [f"y{i}"], name=f"/l{i}/Relu")]
        x = f"y{i}"
    g = helper.make_graph(nodes, "bench", [helper.make_tensor_value_info("x", 1, ["N", width])],
                          [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["N", width])],
                          initializer=inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, path, save_as_external_data=external, location="weights.bin")
    return os.path.getsize(path)


def measure(call: str, n: str, src: str) -> tuple[float, float]:
    """(seconds, peak MiB) of one import in a fresh interpreter."""
    code = IMPORT.format(call=call, n=n)
    out = subprocess.run([sys.executable, "-c", code, "-", src], capture_output=True,
                         text=True, check=True).stdout
    seconds, rss_kib, _ = json.loads(out.strip().splitlines()[-1])
    return seconds, rss_kib / 1024


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a 4 x 256^2 model (1 MiB)")
    ap.add_argument("--layers", type=int, default=32)
    ap.add_argument("--width", type=int, default=1024)
    ap.add_argument("--external", action="store_true", help="weights in a file beside the graph")
    ap.add_argument("--src", default="", help="import ridgeline from this folder")
    args = ap.parse_args(argv)
    layers, width = (4, 256) if args.quick else (args.layers, args.width)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench.onnx")
        t = time.perf_counter()
        size = build(path, layers, width, args.external)
        print(f"model: {layers} x MatMul({width} x {width}) + Relu, weights "
              f"{'external' if args.external else 'inline'}; file {size / 2**20:.1f} MiB "
              f"(built in {time.perf_counter() - t:.1f} s)")
        floor = measure("None", "0", args.src)
        seconds, peak = measure(f"from_onnx({path!r}, batch=8)", "len(layers)", args.src)
        print(f"from_onnx: {seconds:.2f} s, peak RSS {peak:.0f} MiB "
              f"(floor `import onnx, ridgeline`: {floor[1]:.0f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
