"""Helpers that drive a marimo app (run mode) in Playwright by what the student sees.

marimo renders every UI element as a custom element (``marimo-slider``, ``marimo-radio``,
``marimo-form`` ...) with an open shadow root; the visible label sits in ``div[part=label]``
inside it. Playwright's CSS and role engines pierce open shadow roots, so we find a widget as
"the ``marimo-<kind>`` whose label reads exactly X" and act on the native control inside it.

"Idle" means: the websocket is open (``#App[data-connection-state=OPEN]``), no cell is running
(marimo shows ``[data-testid=loading-indicator]`` while one is), no output is stale or loading,
and the page's light DOM has not changed for a short quiet window (a click's effect reaches the
kernel and back asynchronously, so a quiet window is what tells "done" from "not started yet").
"""

from __future__ import annotations

import json
import os
import re

from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

TIMEOUT_MS = int(os.environ.get("RIDGELINE_BROWSER_TIMEOUT_MS", "90000"))  # 2 shared cores
QUIET_MS = 400

WIDGET_KINDS = ("dropdown", "radio", "slider", "switch", "number", "text-area", "text",
                "checkbox", "multiselect", "button", "run-button")

# Installed before the page's own scripts: watch marimo's websocket for cell statuses, so "idle"
# means the kernel says so (a queued cell with no output yet is invisible in the DOM).
_HOOK_JS = """
(() => {
  if (window.__rlHooked) return;
  window.__rlHooked = true;
  const st = window.__rl = {cells: {}, runs: 0, ready: false, last: performance.now()};
  const Native = window.WebSocket;
  class Watched extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (ev) => {
        if (typeof ev.data !== 'string') return;
        let m; try { m = JSON.parse(ev.data); } catch (e) { return; }
        const d = m.data || {};
        st.last = performance.now();
        if (m.op === 'kernel-ready') {
          st.ready = true; st.cells = {};
          for (const id of d.cell_ids || []) st.cells[id] = 'idle';
        } else if (m.op === 'cell-op' && d.status) {
          st.cells[d.cell_id] = d.status;
          if (d.status === 'queued' || d.status === 'running') st.runs += 1;
        }
      });
    }
  }
  window.WebSocket = Watched;
})();
"""

_IDLE_JS = """
(quietMs) => {
  const app = document.querySelector('#App');
  if (!app || app.dataset.connectionState !== 'OPEN') return false;
  if (!document.querySelector('.marimo-cell')) return false;
  const now = performance.now();
  const st = window.__rl;
  const busy = '[data-testid="loading-indicator"], .marimo-output-loading, .marimo-output-stale';
  const running = st && Object.values(st.cells).some(s => s === 'queued' || s === 'running');
  if ((st && !st.ready) || running || document.querySelector(busy)) {
    window.__rlQuietSince = now; return false;
  }
  if (!window.__rlObserver) {
    window.__rlQuietSince = now;
    window.__rlObserver = new MutationObserver(() => { window.__rlQuietSince = performance.now(); });
    window.__rlObserver.observe(document.body, {subtree: true, childList: true, characterData: true});
    return false;
  }
  const since = Math.max(window.__rlQuietSince, st ? st.last : 0);
  return now - since >= quietMs;
}
"""

# Text of a node including every open shadow root below it (inner_text stops at them).
_DEEP_TEXT_JS = """
(root) => {
  const skip = new Set(['STYLE', 'SCRIPT', 'TEMPLATE', 'NOSCRIPT']);
  const out = [];
  const walk = (node) => {
    if (node.nodeType === Node.TEXT_NODE) { const t = node.textContent.trim(); if (t) out.push(t); return; }
    if (node.nodeType !== Node.ELEMENT_NODE && node.nodeType !== Node.DOCUMENT_FRAGMENT_NODE) return;
    if (node.nodeType === Node.ELEMENT_NODE) {
      if (skip.has(node.tagName) || node.hidden) return;
      if (node.shadowRoot) walk(node.shadowRoot);
    }
    for (const c of node.childNodes) walk(c);
  };
  walk(root || document.body);
  return out.join('\\n');
}
"""


def exact(text: str) -> re.Pattern:
    """A pattern matching ``text`` as the whole (trimmed) text of an element."""
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


def run_mark(page: Page) -> int:
    """How many cell runs the kernel has announced so far (pass to ``wait_idle``)."""
    return page.evaluate("() => window.__rl ? window.__rl.runs : -1")


def wait_idle(page: Page, timeout: int = TIMEOUT_MS, quiet_ms: int = QUIET_MS,
              mark: int | None = None, expect_ms: int = 5000) -> None:
    """Wait until no cell is queued or running and the page has been quiet for ``quiet_ms``.

    With ``mark`` (from :func:`run_mark` before an action), first wait up to ``expect_ms`` for
    the kernel to announce a run after it: an action's round trip can outlast the quiet window.
    """
    if mark is not None and mark >= 0:
        try:
            page.wait_for_function("m => window.__rl && window.__rl.runs > m", arg=mark,
                                   timeout=expect_ms, polling=50)
        except PlaywrightTimeout:
            pass  # the action ran nothing (e.g. the same value again)
    page.evaluate("() => { window.__rlQuietSince = performance.now(); }")
    page.wait_for_function(_IDLE_JS, arg=quiet_ms, timeout=timeout, polling=50)


def open_app(page: Page, url: str, timeout: int = TIMEOUT_MS) -> None:
    """Navigate to the app and wait until its first run has finished."""
    if not getattr(page, "_rl_hooked", False):
        page.add_init_script(_HOOK_JS)
        page._rl_hooked = True
    page.goto(url, timeout=timeout)
    page.locator('#App[data-connection-state="OPEN"]').wait_for(timeout=timeout)
    wait_idle(page, timeout, mark=0, expect_ms=timeout)


def widget(scope, kind: str, label: str) -> Locator:
    """The ``marimo-<kind>`` element whose label reads exactly ``label`` (one of them)."""
    root = scope if isinstance(scope, Page) else scope.page  # `has` is relative, not scoped
    lab = root.locator("div[part=label]", has_text=exact(label))
    return scope.locator(f"marimo-{kind}").filter(has=lab)


def find_widget(scope, label: str, kinds=WIDGET_KINDS) -> tuple[str, Locator]:
    """(kind, locator) of the first widget kind that has a visible element labelled ``label``."""
    for kind in kinds:
        loc = widget(scope, kind, label)
        if loc.count():
            return kind, loc.first
    raise LookupError(f"no widget labelled {label!r} among {kinds}")


def select(scope, label: str, option: str, page: Page | None = None) -> None:
    """Choose ``option`` (by its visible text) in the dropdown or radio group ``label``."""
    kind, w = find_widget(scope, label, ("dropdown", "radio", "multiselect"))
    mark = run_mark(page) if page is not None else None
    if kind == "dropdown":
        w.locator("select").select_option(label=option, timeout=TIMEOUT_MS)
    elif kind == "radio":
        w.locator(f"[role=radio][value={json.dumps(option)}]").click(timeout=TIMEOUT_MS)
    else:
        raise NotImplementedError("multiselect")
    if page is not None:
        wait_idle(page, mark=mark)


def selected(scope, label: str) -> str:
    """The visible text of the selected option of dropdown or radio ``label``."""
    kind, w = find_widget(scope, label, ("dropdown", "radio"))
    if kind == "dropdown":
        return w.locator("select").evaluate("s => s.selectedOptions[0]?.textContent.trim() ?? ''")
    checked = w.locator('[role=radio][aria-checked="true"]')
    return checked.get_attribute("value") if checked.count() else ""


def options(scope, label: str) -> list[str]:
    """The options' texts of dropdown or radio ``label``."""
    _, w = find_widget(scope, label, ("dropdown", "radio"))
    return json.loads(w.get_attribute("data-options"))


def is_disabled(scope, label: str) -> bool:
    """True if widget ``label`` is disabled (marimo's ``data-disabled`` or the native control)."""
    _, w = find_widget(scope, label)
    if w.get_attribute("data-disabled") == "true":
        return True
    ctrl = w.locator("select, input, textarea, button[role=radio], button[role=switch], [role=slider]")
    return ctrl.count() > 0 and all(
        c.is_disabled() or c.get_attribute("aria-disabled") == "true"
        or c.get_attribute("data-disabled") is not None for c in ctrl.all())


# -- sliders -----------------------------------------------------------------------------------

def slider_thumb(scope, label: str) -> Locator:
    return widget(scope, "slider", label).first.get_by_role("slider")


def slider_value(scope, label: str) -> float:
    """The slider's current value (marimo's own steps list mapped back when it has one)."""
    w = widget(scope, "slider", label).first
    now = float(w.get_by_role("slider").get_attribute("aria-valuenow"))
    steps = json.loads(w.get_attribute("data-steps") or "[]")
    return float(steps[int(now)]) if steps else now


def _slider_geometry(w: Locator) -> tuple[float, float, float, list]:
    steps = json.loads(w.get_attribute("data-steps") or "[]")
    if steps:
        return 0.0, float(len(steps) - 1), 1.0, steps
    start = float(json.loads(w.get_attribute("data-start")))
    stop = float(json.loads(w.get_attribute("data-stop")))
    step = w.get_attribute("data-step")
    return start, stop, float(json.loads(step)) if step else 1.0, steps


def set_slider(page: Page, scope, label: str, value: float, settle: bool = True) -> float:
    """Move slider ``label`` to ``value`` (snapped to its steps) the way a student would.

    Far moves click the track at the value's proportional position (one kernel run instead of
    hundreds of arrow steps); the arrow keys on the thumb then correct the last steps exactly.
    Returns the value reached.
    """
    w = widget(scope, "slider", label).first
    thumb = w.get_by_role("slider")
    lo, hi, step, steps = _slider_geometry(w)
    now_before = slider_value(scope, label)
    target = float(min(range(len(steps)), key=lambda i: abs(float(steps[i]) - value))) if steps \
        else min(max(lo + round((value - lo) / step) * step, lo), hi)
    now = float(thumb.get_attribute("aria-valuenow"))
    mark = run_mark(page)
    if abs(target - now) / step > 3:
        track = w.locator('[data-testid="track"]')
        box = track.bounding_box()
        frac = (target - lo) / (hi - lo) if hi > lo else 0.0
        page.mouse.click(box["x"] + frac * box["width"], box["y"] + box["height"] / 2)
        now = float(thumb.get_attribute("aria-valuenow"))
    thumb.focus()
    for _ in range(round(abs(target - now) / step) + 50):
        now = float(thumb.get_attribute("aria-valuenow"))
        if abs(now - target) < step / 2:
            break
        page.keyboard.press("ArrowRight" if target > now else "ArrowLeft")
    reached = slider_value(scope, label)
    if settle:
        wait_idle(page, mark=mark if reached != now_before else None)
    return reached


def nudge_slider(page: Page, scope, label: str, key: str = "ArrowRight") -> None:
    """One keyboard step on the slider (for latency measurements: no settling wait)."""
    slider_thumb(scope, label).press(key)


# -- switches, fields, forms -------------------------------------------------------------------

def set_switch(page: Page, scope, label: str, on: bool = True) -> None:
    sw = widget(scope, "switch", label).first.get_by_role("switch")
    if (sw.get_attribute("aria-checked") == "true") != on:
        mark = run_mark(page)
        sw.click(timeout=TIMEOUT_MS)
        wait_idle(page, mark=mark)


def fill_number(scope, label: str, value: float) -> None:
    """Type ``value`` into number field ``label`` and commit it (react-aria commits on blur)."""
    field = widget(scope, "number", label).first.locator("input")
    field.fill(repr(float(value)) if not float(value).is_integer() else str(int(value)))
    field.press("Tab")


def fill_text(scope, label: str, text: str) -> None:
    """Replace the text of text area (or text field) ``label`` with ``text``."""
    _, w = find_widget(scope, label, ("text-area", "text"))
    w.locator("textarea, input").first.fill(text)


def form(scope, submit_label: str) -> Locator:
    """The ``mo.ui.form`` elements whose submit button reads ``submit_label``."""
    return scope.locator(f"marimo-form[data-submit-button-label='{json.dumps(submit_label)}']")


def submit_form(page: Page, scope, submit_label: str) -> None:
    """Press the submit button ``submit_label`` of the (single) form in ``scope``."""
    btn = scope.get_by_role("button", name=submit_label, exact=True)
    mark = run_mark(page)
    btn.first.click(timeout=TIMEOUT_MS)
    wait_idle(page, mark=mark)


def submit_enabled(scope, submit_label: str) -> bool:
    """True if a submit button ``submit_label`` exists in ``scope`` and can be pressed."""
    btn = scope.get_by_role("button", name=submit_label, exact=True)
    return any(b.is_visible() and b.is_enabled() for b in btn.all())


# -- reading -----------------------------------------------------------------------------------

def deep_text(target) -> str:
    """All text under a Page or Locator, shadow roots included, one text node per line."""
    if isinstance(target, Page):
        return target.evaluate(_DEEP_TEXT_JS, None)
    return target.evaluate(_DEEP_TEXT_JS)


def cell_containing(page: Page, text: str) -> Locator:
    """The marimo cell(s) whose output contains ``text`` (light DOM)."""
    return page.locator(".marimo-cell").filter(has_text=text)


def download(page: Page, scope, link_label: str) -> bytes:
    """Click the download control ``link_label`` and return the downloaded file's bytes."""
    with page.expect_download(timeout=TIMEOUT_MS) as info:
        scope.get_by_text(link_label, exact=True).first.click(timeout=TIMEOUT_MS)
    path = info.value.path()
    with open(path, "rb") as f:
        return f.read()


NUMBER = r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?"
SI = {"": 1.0, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
      "m": 1e-3, "µ": 1e-6, "u": 1e-6, "μ": 1e-6, "n": 1e-9, "p": 1e-12}


def parse_quantity(text: str, unit: str = "") -> float:
    """A number written the way the lab writes it: ``1,234``, ``1.2e9``, ``12.3 G`` + unit."""
    m = re.search(rf"({NUMBER})\s*([kKMGTPEmuµμnp]?)\s*{re.escape(unit)}", text)
    if not m:
        raise ValueError(f"no number with unit {unit!r} in {text!r}")
    return float(m.group(1).replace(",", "")) * SI[m.group(2)]


def value_after(text: str, label: str, unit: str = "") -> float:
    """The first number (with SI prefix) after ``label`` in ``text``."""
    i = text.find(label)
    if i < 0:
        raise ValueError(f"{label!r} not in page text")
    return parse_quantity(text[i + len(label):i + len(label) + 200], unit)
