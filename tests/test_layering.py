"""Layers: core (numpy + stdlib) <- recipes <- lab / CLI / importers.

The core never loads the UI stack or torch/onnx, so it stays fast to import and the lab can
run in the browser (WASM), where those packages do not exist.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "src" / "ridgeline"
HEAVY = ("marimo", "altair", "pandas", "torch", "onnx")
#: Paths (relative to the package) that sit above the core and may use more.
NOT_CORE = ("lab", "importers", "cli", "measure", "__main__.py", "plot.py")  # plot: --plot's charts


def _loaded_after(code: str) -> list[str]:
    """Run ``code`` in a fresh interpreter; return the top-level modules it loaded."""
    probe = code + "\nimport sys, json\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=300, check=False)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_profile_and_sweep_load_no_ui_or_torch():
    loaded = _loaded_after(
        "import ridgeline\n"
        "for name in ridgeline.models():\n"
        "    ridgeline.profile(name)\n"
        "ridgeline.sweep('llama-3-70b', 'batch', 1, 512, layer='gate_proj')\n"
        "ridgeline.crossover('llama-3-70b', 'attention', 'seq-len', phase='prefill', flash=True)\n"
        "ridgeline.op('gemm', m=8, n=8, k=8).to_dict()\n")
    assert "ridgeline" in loaded and "numpy" in loaded
    assert not [m for m in HEAVY if m in loaded]


def _core_files():
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG)
        if rel.parts[0] not in NOT_CORE:
            yield rel


def _imports(path: Path):
    """Every module name a file imports, anywhere in it (module level or inside functions)."""
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, 0
        elif isinstance(node, ast.ImportFrom):
            yield node.module or "", node.level


def test_core_files_are_found():
    names = {str(p) for p in _core_files()}
    assert {"roofline.py", "pipeline.py", "sweeping.py", "ops/gemm.py", "recipes/transformer.py"} <= names


#: The analytic core: operators, devices, formats, the roofline and the one pipeline. It sits
#: below the recipes, so it never imports them (nor the name-resolving public API above them).
ANALYTIC = ("ops", "dtypes.py", "errors.py", "hardware.py", "energy.py", "roofline.py",
            "pipeline.py", "format.py", "data")
ABOVE_ANALYTIC = ("recipes", "profiling", "sweeping", "api")


def _analytic_files():
    return [rel for rel in _core_files() if rel.parts[0] in ANALYTIC]


def test_analytic_core_is_found():
    assert {"pipeline.py", "roofline.py", "ops/attention.py"} <= {str(p) for p in _analytic_files()}


@pytest.mark.parametrize("rel", _analytic_files(), ids=str)
def test_analytic_core_never_imports_the_recipes(rel):
    for module, level in _imports(PKG / rel):
        parts = module.split(".")
        inside = parts[0] if level else (parts[1] if parts[0] == "ridgeline" and len(parts) > 1 else "")
        assert inside not in ABOVE_ANALYTIC, f"{rel} imports {'.' * level}{module}"


@pytest.mark.parametrize("rel", list(_core_files()), ids=str)
def test_core_imports_only_numpy_and_stdlib(rel):
    for module, level in _imports(PKG / rel):
        top = module.split(".")[0]
        if level:                       # relative import: stays inside ridgeline ...
            assert top not in NOT_CORE, f"{rel} imports .{module}"
            continue
        if top == "ridgeline":          # ... as must absolute ones
            assert module.split(".")[1:2] not in (["lab"], ["cli"], ["importers"]), f"{rel}: {module}"
            continue
        assert top == "numpy" or top in sys.stdlib_module_names, f"{rel} imports {module}"


@pytest.mark.parametrize("rel", sorted(str(p.relative_to(PKG)) for p in (PKG / "lab").rglob("*.py")))
def test_lab_never_imports_torch_or_onnx(rel):
    for module, _ in _imports(PKG / rel):
        assert module.split(".")[0] not in ("torch", "onnx", "transformers"), f"{rel}: {module}"


def test_importing_the_lab_app_loads_no_torch_or_onnx():
    loaded = _loaded_after("import ridgeline.lab.app")
    assert "torch" not in loaded and "onnx" not in loaded


def test_no_public_name_is_both_a_function_and_a_submodule():
    # `import ridgeline.sweep as s; s.evaluate` used to fail: the function hid its module
    import ridgeline
    for name in ridgeline.__all__:
        assert importlib.util.find_spec(f"ridgeline.{name}") is None, name
    assert not hasattr(ridgeline, "ridge")  # one name per concept: crossover
