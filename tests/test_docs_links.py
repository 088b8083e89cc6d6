"""Formulas one hop apart, and every citation resolvable inside the repository.

(a) every operator class's docstring names the docs/formulas.md section(s) of its equations,
    and such a section names the class back on its *Implemented by* line;
(b) every formulas.md section has an *Implemented by* / *Math peek* line whose dotted names
    import (module attribute chains, e.g. ``ridgeline.ops.Gemm.traffic``), Math peek forms
    living in ``ridgeline.lab.mathpeek``;
(c) every source id (S1, S22b, U1, D.6, ...) used in docs/*.md, README.md, the data TOML files
    and the package's own docstrings is a key of src/ridgeline/data/sources.toml.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import re
from pathlib import Path

import pytest

from ridgeline import ops
from ridgeline.hardware import sources

ROOT = Path(__file__).resolve().parents[1]
FORMULAS = ROOT / "docs" / "formulas.md"
PEEK_MODULE = "ridgeline.lab.mathpeek"
#: S<n>[letter] and J<n>: published sources; U<digit>: ridgeline assumptions (U55 is Ethos-U55,
#: not an id); A.1 ... E.9: sections of the reference data sheet. Not inside a word or a dotted
#: name; both ends of a range (S45-S52) are checked.
SOURCE_ID = re.compile(r"(?<![\w.])(S\d+[a-z]?|J\d+|U[1-9]|[A-E]\.\d+)(?![\w.]*\w)", re.ASCII)
SECTION_REF = re.compile(r"§(\d+)")
DOTTED = re.compile(r"`(ridgeline(?:\.\w+)+)`")


def sections() -> dict[int, str]:
    """formulas.md's numbered sections: number -> text from its heading to the next one."""
    parts = re.split(r"^## (?=\d+\. )", FORMULAS.read_text("utf-8"), flags=re.MULTILINE)[1:]
    return {int(p.split(".", 1)[0]): p for p in parts}


def link_line(text: str) -> str | None:
    """The paragraph that starts with *Implemented by*, joined into one line (None if absent)."""
    for para in re.split(r"\n\s*\n", text):
        if para.startswith("*Implemented by*"):
            return " ".join(para.split())
    return None


def resolve(dotted: str):
    """Import the longest importable module prefix of ``dotted``, then getattr the rest."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(dotted)


def operator_classes() -> list[type]:
    """The classes in ridgeline.ops that are operators: dataclasses with flops() and traffic()."""
    return [obj for name in ops.__all__ if inspect.isclass(obj := getattr(ops, name))
            and dataclasses.is_dataclass(obj) and hasattr(obj, "flops") and hasattr(obj, "traffic")]


# -- (a) operator -> formulas.md -> operator ---------------------------------------------------

def test_the_operator_list_is_the_one_expected():
    # a new operator class is picked up automatically; this pins today's eleven
    assert {c.__name__ for c in operator_classes()} == {
        "Attention", "Conv2d", "ConvND", "Elementwise", "Embedding", "FFT", "Gemm", "Pool2d",
        "Recurrent", "Resample", "TopK"}


@pytest.mark.parametrize("cls", operator_classes(), ids=lambda c: c.__name__)
def test_operator_docstring_names_its_formulas_section(cls):
    doc = inspect.getdoc(cls) or ""
    assert "docs/formulas.md §" in doc, f"{cls.__name__}'s docstring names no docs/formulas.md §N"
    secs = sections()
    cited = [int(n) for n in SECTION_REF.findall(doc)]
    missing = [n for n in cited if n not in secs]
    assert not missing, f"{cls.__name__} cites formulas.md §{missing}, which do not exist"
    back = [n for n in cited if f"`ridgeline.ops.{cls.__name__}`" in (link_line(secs[n]) or "")]
    assert back, (f"none of {cls.__name__}'s sections {cited} names `ridgeline.ops.{cls.__name__}` "
                  "on its *Implemented by* line")


# -- (b) formulas.md -> code ---------------------------------------------------------------------

def test_every_section_names_its_code_and_math_peek():
    secs = sections()
    assert len(secs) >= 13 and sorted(secs) == list(range(1, len(secs) + 1))
    bad = [f"§{n}" for n, text in secs.items()
           if not (line := link_line(text)) or "*Math peek*" not in line]
    assert not bad, f"sections without an '*Implemented by* ... · *Math peek* ...' line: {bad}"


@pytest.mark.parametrize("number", sorted(sections()))
def test_section_names_resolve(number):
    line = link_line(sections()[number]) or ""
    impl, _, peek = line.partition("*Math peek*")
    names = DOTTED.findall(impl)
    assert names, f"§{number} names no `ridgeline....` implementation"
    for name in names:
        obj = resolve(name)
        assert callable(obj) or isinstance(obj, property), f"§{number}: {name} is not code"
    peeks = DOTTED.findall(peek)
    assert peeks or peek.strip().startswith("none"), f"§{number}: Math peek names a form or says 'none': {peek!r}"
    for name in peeks:
        assert name.rsplit(".", 1)[0] == PEEK_MODULE, name
        assert callable(resolve(name)), name


def test_every_math_peek_form_is_cited():
    text = FORMULAS.read_text("utf-8")
    for form in ("gemm_latex", "conv_latex", "attention_latex", "energy_latex", "roofline_latex"):
        assert f"`{PEEK_MODULE}.{form}`" in text, form


def test_resolve_fails_on_a_missing_name():
    assert resolve("ridgeline.ops.Gemm.traffic") is ops.Gemm.traffic
    with pytest.raises(AttributeError):
        resolve("ridgeline.ops.Gemm.no_such_method")


# -- (c) every cited source id resolves in sources.toml ------------------------------------------

def cited_files() -> list[Path]:
    data = ROOT / "src" / "ridgeline" / "data"
    return [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md",
            *(p for p in sorted(data.glob("*.toml")) if p.name != "sources.toml"),
            *sorted((ROOT / "src" / "ridgeline").rglob("*.py"))]


def test_the_id_pattern():
    text = ("[S1, S22b] (U1) D.6, DATA.md A.4; Ethos-U55 and U55-256 are not ids; nor is "
            "np.A.1 or S3xy or A100; src = \"S40\" [J21, S45-S52]")
    assert SOURCE_ID.findall(text) == ["S1", "S22b", "U1", "D.6", "A.4", "S40", "J21", "S45", "S52"]


def test_every_source_id_resolves_in_sources_toml():
    known = sources()
    bad = []
    for path in cited_files():
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            bad += [f"{path.relative_to(ROOT)}:{n} {sid}" for sid in SOURCE_ID.findall(line)
                    if sid not in known]
    assert not bad, "source ids not in src/ridgeline/data/sources.toml:\n  " + "\n  ".join(bad)


def test_sources_are_full_citations():
    # every entry says what it is: a locator (URL, doi, arXiv, repo path) or, for the data
    # sheet's sections and ridgeline's assumptions, the statement itself with its S ids
    for sid, text in sources().items():
        assert len(text) >= 40, f"{sid}: {text!r} is too short to be a citation"
        if re.fullmatch(r"[A-E](\.\d+)?", sid):
            assert re.search(r"\bS\d|\[D\]", text), f"{sid} cites no S id and is not derived"
