"""Every `$ ridgeline ...` example in docs/cli.md and README.md prints what the doc shows.

Refresh after an intended change: ``python tests/docs_examples.py --write docs/cli.md README.md``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from docs_examples import ROOT, examples, expected, modules

DOCS = {doc: (ROOT / doc).read_text("utf-8") for doc in ("docs/cli.md", "README.md")}
CASES = [(doc, cmd, out) for doc, text in DOCS.items() for _, cmd, out in examples(text)]


def test_the_docs_have_examples():
    assert len(CASES) > 25


@pytest.mark.parametrize(("doc", "cmd", "out"), CASES, ids=[f"{d}:{c[:60]}" for d, c, _ in CASES])
def test_example_output_is_current(doc, cmd, out):
    assert expected(cmd, out, modules(DOCS[doc])) == out, \
        f"{doc}: {cmd} prints something else now; see tests/docs_examples.py"


def test_helper_is_importable_from_tests():
    assert Path(__file__).with_name("docs_examples.py").exists()
