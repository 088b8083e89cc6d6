"""The shape gate: small modules, short functions (the project's quality bar).

Every module under src/ridgeline/ is at most MAX_MODULE_LINES lines (the marimo notebook
lab/app.py excepted: marimo keeps a whole app in one file), and every function - methods,
nested functions and marimo cells included - spans at most MAX_FUNCTION_LINES lines, counted
from its ``def`` line to the last line of its body (ast ``end_lineno - lineno + 1``; decorators
are not counted). A failure lists every violation, so a split in progress shows what is left.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "ridgeline"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 40
MODULE_EXCEPTIONS = {"lab/app.py"}  # the marimo notebook: one file by marimo's design


def modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "__pycache__" not in p.parts)


def long_modules() -> list[str]:
    out = []
    for path in modules():
        rel = path.relative_to(SRC).as_posix()
        lines = len(path.read_text("utf-8").splitlines())
        if lines > MAX_MODULE_LINES and rel not in MODULE_EXCEPTIONS:
            out.append(f"{rel}: {lines} lines > {MAX_MODULE_LINES}")
    return out


def function_spans(source: str) -> list[tuple[str, int, int]]:
    """(qualified name, def line, lines spanned) for every function, nested ones included."""
    out = []

    def walk(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}"
                out.append((name, child.lineno, child.end_lineno - child.lineno + 1))
                walk(child, name + ".")
            elif isinstance(child, ast.ClassDef):
                walk(child, f"{prefix}{child.name}.")
            else:
                walk(child, prefix)

    walk(ast.parse(source), "")
    return out


def long_functions() -> list[str]:
    out = []
    for path in modules():
        rel = path.relative_to(SRC).as_posix()
        for name, line, span in function_spans(path.read_text("utf-8")):
            if span > MAX_FUNCTION_LINES:
                out.append(f"{rel}:{line} {name}: {span} lines > {MAX_FUNCTION_LINES}")
    return out


def test_the_gate_measures_def_line_to_last_body_line():
    # a 3-line function (def + 2 body lines) nested in a method: spans 3, 5 and 7 lines
    src = ("class A:\n"
           "    def m(self):\n"
           "        def inner():\n"
           "            x = 1\n"
           "            return x\n"
           "        return inner\n"
           "\n"
           "@decorator\n"
           "def f():\n"
           "    pass\n")
    assert function_spans(src) == [("A.m", 2, 5), ("A.m.inner", 3, 3), ("f", 9, 2)]


def test_no_module_is_over_400_lines():
    bad = long_modules()
    assert not bad, "modules over the limit:\n  " + "\n  ".join(bad)


def test_no_function_is_over_40_lines():
    bad = long_functions()
    assert not bad, f"{len(bad)} functions over the limit:\n  " + "\n  ".join(bad)
