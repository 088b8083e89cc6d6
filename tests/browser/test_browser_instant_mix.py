"""Part 3's instant toolkit in a real browser (fixtures/mix_app.py, Mobile: 384 mixes): a key
on a select shows the engine's row at once, Python hears the final mix once, Submit reads the
mix on screen even inside the debounce, and a reload restores the mix."""

from __future__ import annotations

import re
import time

import pytest
from instant_ui import MIX_APP, mix_expected, mix_shows, mix_state, operator_select
from marimo_dom import deep_text, open_app
from servers import LabServer

from ridgeline.lab.instant_part3 import mix_table

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def mix_server(tmp_path_factory):
    srv = LabServer(tmp_path_factory.mktemp("mix"), MIX_APP).start()
    yield srv
    srv.stop()


def python_has(page, table, i: int, timeout_s: float = 30.0) -> int:
    """Wait until the echo cell says Python holds mix ``i``; how many updates it has had."""
    want = f"Python has mix {i}: {table.rows[i]['label']} (update "
    deadline = time.monotonic() + timeout_s
    while want not in (text := deep_text(page)):
        assert time.monotonic() < deadline, f"Python never got mix {i}: {text[-400:]}"
        time.sleep(0.1)
    return int(re.search(re.escape(want) + r"(\d+)\)", text).group(1))


def submitted(page) -> list[int]:
    m = re.search(r"Submitted mixes: \[([\d, ]*)\]", deep_text(page))
    return [int(x) for x in m.group(1).split(",") if x.strip()] if m else []


def with_choice(table, i: int, slot: str, step: int) -> int:
    """The row that differs from row ``i`` in ``slot`` by ``step`` choices."""
    s = next(s for s in table.slots if s["name"] == slot)
    choices = dict(table.choices[i])
    choices[slot] = s["choices"][s["choices"].index(choices[slot]) + step]
    return table.index_of(choices)


def test_a_key_shows_the_engines_row_and_python_hears_the_final_mix_once(page, mix_server):
    table = mix_table("mobile")
    open_app(page, mix_server.url)
    assert mix_shows(page, table, table.start), mix_state(page)
    updates = python_has(page, table, table.start)
    last, first = table.slots[-1]["name"], table.slots[0]["name"]
    box = operator_select(page, last)
    assert box.count() == 1 and box.evaluate("s => s.options.length") == 3
    box.focus()
    page.keyboard.press("ArrowDown")
    # the card, summary and marker change in the browser before any round trip could return
    page.wait_for_function("() => true", polling="raf")
    want = with_choice(table, table.start, last, 1)
    assert mix_shows(page, table, want), (mix_state(page), mix_expected(page, table, want))
    updates = python_has(page, table, want)
    assert f"mix={want}" in page.url
    # a burst over two selects: Python hears the final mix once, the selects never snap back
    page.keyboard.press("ArrowDown")
    operator_select(page, first).focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowDown")
    final = with_choice(table, with_choice(table, want, last, 1), first, 1)
    assert mix_shows(page, table, final), mix_state(page)
    assert python_has(page, table, final) == updates + 1
    time.sleep(0.5)
    assert mix_shows(page, table, final) and python_has(page, table, final) == updates + 1


def test_submit_inside_the_debounce_reads_the_mix_on_screen(page, mix_server):
    table = mix_table("mobile")
    open_app(page, mix_server.url)
    now = mix_state(page)["index"]
    slot = table.slots[2]["name"]
    step = 1 if table.choices[now][slot] == table.slots[2]["choices"][0] else -1
    operator_select(page, slot).focus()
    page.keyboard.press("ArrowDown" if step == 1 else "ArrowUp")
    page.get_by_role("button", name="Submit").click()  # at once: the save is still waiting
    want = with_choice(table, now, slot, step)
    deadline = time.monotonic() + 30
    while not submitted(page):
        assert time.monotonic() < deadline, deep_text(page)[-300:]
        time.sleep(0.1)
    assert submitted(page)[-1] == want
    python_has(page, table, want)
    # reload: the mix comes back from the page's query string
    page.reload()
    open_app(page, page.url)
    assert mix_shows(page, table, want), mix_state(page)
    assert operator_select(page, slot).evaluate("s => s.selectedOptions[0].textContent") \
        == table.choices[want][slot]
