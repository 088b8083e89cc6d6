"""Reading an InstantSlider in the page (tests/browser/fixtures/instant_app.py; bench_instant).

marimo renders an anywidget inside an open shadow root; Playwright's CSS and role engines
pierce it, ``page.evaluate`` does not, so the JS below walks the shadow roots itself.
"""

from __future__ import annotations

import json
from pathlib import Path

from servers import FIXTURES

INSTANT_APP: Path = FIXTURES / "instant_app.py"

# The widget's visible state: the stop, what the card and the first marker show.
STATE_JS = """
() => {
  const find = (root) => {
    const hit = root.querySelector('.rl-instant');
    if (hit) return hit;
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) { const h = find(el.shadowRoot); if (h) return h; }
    }
    return null;
  };
  let w = window.__rlInstant;  // cached: the bench samples this every frame
  if (!w || !w.isConnected) w = window.__rlInstant = find(document);
  if (!w) return null;
  const input = w.querySelector('input'), m = w.querySelector('[data-m="1"]');
  return {index: input.valueAsNumber, card: w.querySelector('.rl-card').innerHTML,
          aria: input.getAttribute('aria-valuetext'), output: w.querySelector('output').textContent,
          marker: m ? m.getAttribute('transform') : null};
}
"""

# The same HTML as the browser serializes it once parsed (to compare with a table row).
NORMALIZE_JS = "(h) => { const d = document.createElement('div'); d.innerHTML = h; return d.innerHTML; }"


def state(page) -> dict | None:
    return page.evaluate(STATE_JS)


def slider(page, label: str):
    """The native range input of the InstantSlider named ``label``."""
    return page.get_by_role("slider", name=label, exact=True)


def expected(page, row: dict) -> dict:
    """What the widget must show for a table row."""
    x, y = row["markers"][1]
    return {"card": page.evaluate(NORMALIZE_JS, row["card"]), "aria": row["aria"],
            "output": row["label"], "marker": f"translate({_js_number(x)} {_js_number(y)})"}


def _js_number(v: float) -> str:
    """How JavaScript writes a number into a template string (58.0 -> '58')."""
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def shows(page, row: dict) -> bool:
    s, want = state(page), expected(page, row)
    return s is not None and all(s[k] == want[k] for k in want)


# -- Part 3's InstantMix (tests/browser/fixtures/mix_app.py; the lab's Part 3) ------------------

MIX_APP: Path = FIXTURES / "mix_app.py"

#: The legend of Part 3's toolkit (MixTable's default label): the mix widget read when none
#: is named (the lab also has Part 1's Layer picker, an InstantMix with its own legend).
MIX_LEGEND = "Operators, one per slot"

# The visible state of the mix widget whose legend is ``legend`` (default: Part 3's): the row
# shown (data-mix), each select's value and the selected option's text, the card, the summary
# line and the marker.
MIX_STATE_JS = """
(legend) => {
  legend = legend || DEFAULT_LEGEND;
  const find = (root) => {
    const hit = [...root.querySelectorAll('.rl-mix')].find(
      (w) => w.querySelector('legend').textContent === legend);
    if (hit) return hit;
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) { const h = find(el.shadowRoot); if (h) return h; }
    }
    return null;
  };
  const seen = window.__rlMix = window.__rlMix || {};  // cached: the bench samples every frame
  let w = seen[legend];
  if (!w || !w.isConnected) w = seen[legend] = find(document);
  if (!w) return null;
  const sel = [...w.querySelectorAll('select')], m = w.querySelector('[data-m]');
  return {legend: w.querySelector('legend').textContent,
          index: w.dataset.mix === undefined ? null : Number(w.dataset.mix),
          picks: sel.map(s => Number(s.value)),
          chosen: sel.map(s => s.selectedOptions[0] ? s.selectedOptions[0].textContent : ''),
          card: w.querySelector('.rl-card').innerHTML,
          output: w.querySelector('output.rl-summary').textContent,
          marker: m ? m.getAttribute('transform') : null};
}
""".replace("DEFAULT_LEGEND", json.dumps(MIX_LEGEND))


def mix_state(page, legend: str | None = None) -> dict | None:
    """The state of the mix widget whose legend is ``legend`` (default: Part 3's toolkit)."""
    return page.evaluate(MIX_STATE_JS, legend)


def operator_select(scope, slot: str):
    """The native <select> of toolkit slot ``slot`` (its label is the slot's name)."""
    return scope.get_by_role("combobox", name=slot, exact=True)


def mix_expected(page, table, i: int) -> dict:
    """What the mix widget must show for row ``i`` of a MixTable."""
    row = table.rows[i]
    x, y = row["marker"]
    return {"index": i, "picks": row["pick"], "card": page.evaluate(NORMALIZE_JS, row["card"]),
            "legend": table.label,
            "output": row["label"], "marker": f"translate({_js_number(x)} {_js_number(y)})",
            "chosen": [table.choices[i][s["name"]] for s in table.slots]}


def mix_shows(page, table, i: int) -> bool:
    s, want = mix_state(page, table.label), mix_expected(page, table, i)
    return s is not None and all(s[k] == want[k] for k in want)


def mix_diff(page, table, i: int) -> dict:
    """What differs between the mix widget and row ``i`` (for an assertion's message)."""
    s, want = mix_state(page, table.label) or {}, mix_expected(page, table, i)
    return {k: (s.get(k), want[k]) for k in want if s.get(k) != want[k]}
