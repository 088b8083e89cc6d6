"""The `$ ridgeline ...` examples of docs/cli.md and README.md, re-run against the current CLI.

Each console block's command is run (``python -m ridgeline``); its output replaces the lines up
to the next ``$`` line, keeping the doc's abridgements: a leading ``... (N lines above)`` keeps
the tail, a trailing ``... (N more lines)`` keeps the head, a ``# (first lines)`` comment keeps
as many lines as the doc shows, ``# (rows abridged)`` keeps the lines whose first word the doc
shows. A ``--torch`` example runs in a scratch directory holding the doc's ``python`` blocks
whose first line is ``# NAME.py`` (the factory module it imports). Other examples that need
files or this machine are left as they are.

    python tests/docs_examples.py --write docs/cli.md README.md    # refresh after a change
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIP = (".onnx", "measure", "this-machine", "config.json", " lab")
MARK = re.compile(r"^\.\.\. \((\d+) (lines above|more lines)\)$")
MODULE = re.compile(r"^# (\w+\.py)$")


def modules(text: str) -> dict:
    """{file name: source} of the doc's ``python`` blocks that start with ``# NAME.py``."""
    lines, out = text.split("\n"), {}
    for i, line in enumerate(lines[:-1]):
        if line == "```python" and (m := MODULE.match(lines[i + 1])):
            end = lines.index("```", i + 1)
            out[m.group(1)] = "\n".join(lines[i + 1:end]) + "\n"
    return out


def run(cmd: str, files: dict | None = None) -> list[str]:
    """stdout + stderr of ``ridgeline ARGS`` (a trailing ``# comment`` dropped), run in /tmp,
    or in a scratch directory holding ``files`` ({name: source})."""
    args = cmd.split("  #")[0].strip().split(" ", 1)[1]
    env = dict(os.environ, COLUMNS="200")
    with tempfile.TemporaryDirectory() as scratch:
        for name, source in (files or {}).items():
            Path(scratch, name).write_text(source, "utf-8")
        p = subprocess.run(f"{sys.executable} -m ridgeline {args}", shell=True, text=True,
                           capture_output=True, env=env, cwd=scratch if files else "/tmp",
                           timeout=300, check=False)
    return (p.stdout + p.stderr).rstrip("\n").split("\n")


def expected(cmd: str, old: list[str], files: dict | None = None) -> list[str]:
    """What the doc should show for ``cmd`` now, in the doc's own abridged form; ``files``
    are the doc's modules (:func:`modules`), which a ``--torch`` example imports."""
    if any(s in cmd for s in SKIP):
        return old
    new = run(cmd, files if "--torch" in cmd else None)
    if "(first lines)" in cmd:
        return new[:len(old)]
    if "(rows abridged)" in cmd:  # keep the rows the doc chose, by their first word
        kept = {line.split(" ")[0] for line in old}
        rows = [line for line in new if line.split(" ")[0] in kept]
        while rows and not rows[0]:
            rows = rows[1:]
        return rows
    if old and (m := MARK.match(old[0])) and m.group(2) == "lines above":
        tail = new[-(len(old) - 1):]
        return [f"... ({len(new) - len(tail)} lines above)", *tail]
    if old and (m := MARK.match(old[-1])) and m.group(2) == "more lines":
        head = new[:len(old) - 1]
        return [*head, f"... ({len(new) - len(head)} more lines)"]
    return new


def examples(text: str):
    """(line index, command, output lines) of every `$ ridgeline` line in a console block."""
    lines, inside = text.split("\n"), False
    for i, line in enumerate(lines):
        if line.startswith("```"):
            inside = line.startswith("```console")
        elif inside and line.startswith("$ ridgeline"):
            j = i + 1
            while j < len(lines) and not lines[j].startswith(("$ ", "```")):
                j += 1
            out = lines[i + 1:j]
            while out and out[-1] == "":
                out = out[:-1]
            yield i, line[2:], out


def refreshed(text: str) -> str:
    """``text`` with every example's output replaced by the current CLI's."""
    lines, files = text.split("\n"), modules(text)
    for i, cmd, old in reversed(list(examples(text))):
        lines[i + 1:i + 1 + len(old)] = expected(cmd, old, files)
    return "\n".join(lines)


if __name__ == "__main__":
    for name in sys.argv[2:] if sys.argv[1:2] == ["--write"] else []:
        path = ROOT / name
        path.write_text(refreshed(path.read_text("utf-8")), "utf-8")
