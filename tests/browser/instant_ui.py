"""Reading an InstantSlider in the page (tests/browser/fixtures/instant_app.py; bench_instant).

marimo renders an anywidget inside an open shadow root; Playwright's CSS and role engines
pierce it, ``page.evaluate`` does not, so the JS below walks the shadow roots itself.
"""

from __future__ import annotations

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
