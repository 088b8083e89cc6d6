"""The lab's UI contract (docs/lab-design.md) as helpers: parts, locks, the card, probes, design.

Tests find everything by the contract's visible texts. A part is the run of marimo cells from
its heading (``Part N · ...``) to the next second-level heading; every lookup inside a part
is scoped to those cells, since each part has its own ``Lock prediction`` form.
"""

from __future__ import annotations

import json
import re

from instant_ui import operator_select
from marimo_dom import (
    NUMBER,
    SI,
    TIMEOUT_MS,
    deep_text,
    form,
    open_app,
    run_mark,
    select,
    set_slider,
    submit_form,
    wait_idle,
)
from playwright.sync_api import Locator, Page

PART_TITLES = {1: "Part 1 · Arithmetic Intensity Audit", 2: "Part 2 · Scaling Reality Check",
               3: "Part 3 · Operator Budget"}
GATE_TEXT = "Lock your prediction to open the workbench"
CARD_LABELS = ("MACs", "FLOPs", "Intensity", "Ridge", "Bound", "Time", "Energy")
_CELL = "div[contains(concat(' ', normalize-space(@class), ' '), ' marimo-cell ')]"


def part(page: Page, n: int) -> Locator:
    """The cells of part ``n``: its heading's cell and those after it up to the next h2."""
    head = f"[.//h2[contains(normalize-space(.), 'Part {n} ·')]]"
    after = f"[preceding-sibling::{_CELL}[.//h2][1]{head}]"
    return page.locator(f"xpath=//{_CELL}{head} | //{_CELL}{after}")


def part_text(page: Page, n: int) -> str:
    return "\n".join(deep_text(c) for c in part(page, n).all())


def wait_part_text(page: Page, n: int, text: str, timeout_ms: int = 15_000) -> str:
    """Part ``n``'s text once it contains ``text`` (an explicit wait: outputs arrive one cell
    at a time after a session starts); returns the last text seen either way."""
    seen = part_text(page, n)
    deadline = page.evaluate("() => performance.now()") + timeout_ms
    while text not in seen and page.evaluate("() => performance.now()") < deadline:
        page.wait_for_timeout(100)
        seen = part_text(page, n)
    return seen


def open_lab(page: Page, url: str) -> None:
    open_app(page, url)
    page.get_by_text(PART_TITLES[1]).first.wait_for(timeout=TIMEOUT_MS)


def pick_track(page: Page, title: str) -> None:
    select(page, "Track", title, page=page)


# -- locks -----------------------------------------------------------------------------------

def lock_form(page: Page, n: int) -> Locator:
    return form(part(page, n), "Lock prediction")


def lock(page: Page, n: int, choice_index: int = 0, number: float | None = None) -> str:
    """Lock part ``n`` with its ``choice_index``-th choice (and ``number``); returns the choice."""
    f = lock_form(page, n).first
    # the form's light-DOM copy of its fields is never rendered: take the one with buttons
    radio = f.locator("marimo-radio").filter(has=page.locator("[role=radio]")).first
    choices = json.loads(radio.get_attribute("data-options"))
    choice = choices[choice_index]
    radio.locator(f"[role=radio][value={json.dumps(choice)}]").click()
    if number is not None:
        field = f.locator("marimo-number input").first
        field.fill(repr(float(number)))
        field.press("Tab")
    submit_form(page, f, "Lock prediction")
    return choice


# -- the Layer Profiler card -----------------------------------------------------------------

def card_value(text: str, label: str, unit: str) -> float:
    """The number on the card row ``label`` (the row's label alone on a line, value after it)."""
    lines = [ln.strip() for ln in text.splitlines()]
    for i, ln in enumerate(lines):
        rest = None
        if ln == label and i + 1 < len(lines):
            rest = lines[i + 1]
        elif ln.startswith(label + ":"):
            rest = ln[len(label) + 1:]
        if rest is not None:
            m = re.search(rf"({NUMBER})\s*([kKMGTPEmuµμnp]?){re.escape(unit)}", rest)
            if m:
                return float(m.group(1).replace(",", "")) * SI[m.group(2)]
    raise ValueError(f"no card row {label!r} with unit {unit!r} in:\n{text[:3000]}")


def layer_select(page: Page) -> Locator:
    """Part 1's Layer picker: the native <select> of its instant widget (lab/instant_part1.py)."""
    return operator_select(part(page, 1), "Layer")


def chosen_layer(page: Page) -> str:
    """The layer shown in Part 1's picker (the selected option's text)."""
    return layer_select(page).evaluate("s => s.selectedOptions[0].textContent")


def pick_layer(page: Page, layer: str) -> None:
    """Choose ``layer`` in Part 1's picker (its card changes in the browser at once), then wait
    until Python holds it (the debounced save's run)."""
    mark = run_mark(page)
    if chosen_layer(page) != layer:
        layer_select(page).select_option(label=layer, timeout=TIMEOUT_MS)
        wait_idle(page, mark=mark)


def card_bound(text: str) -> str:
    m = re.search(r"\b(memory|compute)[- ]bound\b", text)
    if not m:
        raise ValueError("no memory-/compute-bound on the card")
    return m.group(1)


# -- charts ----------------------------------------------------------------------------------

# Every vega chart under a node (shadow roots included), as what it draws: the canvas pixels
# (or the SVG markup) hashed, beside the attributes of a marimo wrapper element if any.
CHARTS_JS = """
(root) => {
  const out = [];
  const hash = (s) => { let h = 0; for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0; return h; };
  const walk = (node) => {
    if (node.nodeType !== Node.ELEMENT_NODE && node.nodeType !== Node.DOCUMENT_FRAGMENT_NODE) return;
    if (node.nodeType === Node.ELEMENT_NODE) {
      if (node.classList && node.classList.contains('vega-embed')) {
        const c = node.querySelector('canvas'), svg = node.querySelector('svg.marks');
        out.push(c && c.width ? 'c' + hash(c.toDataURL()) : svg ? 's' + hash(svg.outerHTML) : 'empty');
        return;
      }
      if (node.shadowRoot) walk(node.shadowRoot);
    }
    for (const ch of node.children || []) walk(ch);
  };
  walk(root);
  return out;
}
"""


def plot_signature(scope) -> str:
    """What the charts in ``scope`` draw (one hash per chart); '[]' if there is no chart."""
    return json.dumps([h for cell in scope.all() for h in cell.evaluate(CHARTS_JS)])


# -- probes ----------------------------------------------------------------------------------

def probes_used(text: str) -> int | None:
    m = re.search(r"Probes used:\s*(\d+)\s*/\s*5", text)
    return int(m.group(1)) if m else None


def commit_probe(page: Page, value: float) -> None:
    """Commit one probe at ``value`` through the ``Commit probe`` form (number, slider or list)."""
    f = form(part(page, 2), "Commit probe").first
    if f.locator("marimo-number").count():
        field = f.locator("marimo-number input").first
        field.fill(str(int(value)) if float(value).is_integer() else repr(float(value)))
        field.press("Tab")
    elif f.locator("marimo-slider").count():
        label = f.locator("marimo-slider div[part=label]").first.inner_text().strip()
        set_slider(page, f, label, value, settle=False)
    elif f.locator("marimo-dropdown").count():
        sel = f.locator("marimo-dropdown select").first
        opts = sel.evaluate("s => [...s.options].map(o => o.textContent.trim())")
        best = min(opts, key=lambda o: abs(_num(o) - value) if _num(o) is not None else 1e300)
        sel.select_option(label=best)
    else:
        raise LookupError("the Commit probe form has no number, slider or dropdown")
    submit_form(page, f, "Commit probe")


def _num(text: str) -> float | None:
    m = re.search(NUMBER, text)
    return float(m.group(0).replace(",", "")) if m else None


def numbers_after(text: str, marker: str, span: int = 300) -> list[float]:
    """Every number (SI prefixes applied) in the ``span`` characters after ``marker``."""
    i = text.find(marker)
    if i < 0:
        return []
    out = []
    for m in re.finditer(rf"({NUMBER})\s*([kKMGT]?)\b", text[i:i + span]):
        out.append(float(m.group(1).replace(",", "")) * SI[m.group(2)])
    return out


# -- Part 3 ----------------------------------------------------------------------------------

def build_design(page: Page, choices: dict) -> None:
    """Choose each slot's operator in Part 3's toolkit (the instant widget's native selects,
    labelled by slot name: lab/instant_part3.py), then wait until Python holds the mix (the
    debounced save's run)."""
    scope = part(page, 3)
    mark, moved = run_mark(page), False
    for slot, choice in choices.items():
        if chosen_operator(scope, slot) != choice:
            operator_select(scope, slot).select_option(label=choice, timeout=TIMEOUT_MS)
            moved = True
    wait_idle(page, mark=mark if moved else None)


def chosen_operator(scope, slot: str) -> str:
    """The operator shown in toolkit slot ``slot`` (the selected option's text)."""
    return operator_select(scope, slot).evaluate("s => s.selectedOptions[0].textContent")
