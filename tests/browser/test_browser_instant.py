"""The instant slider in a real browser: keys move it at once, the card is the table's row,
the final stop reaches Python (debounced), no snap-back, and a reload restores the stop."""

from __future__ import annotations

import re
import time

import pytest
from instant_ui import INSTANT_APP, shows, slider, state
from marimo_dom import deep_text, open_app
from servers import LabServer

from ridgeline.lab.instant_part2 import part2_table

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def instant_server(tmp_path_factory):
    srv = LabServer(tmp_path_factory.mktemp("instant"), INSTANT_APP).start()
    yield srv
    srv.stop()


def python_has(page, table, i: int, timeout_s: float = 30.0) -> int:
    """Wait until the notebook's echo cell says Python holds stop ``i``; how many updates
    Python has received so far."""
    want = f"Python has stop {i}: {table.rows[i]['label']} (update "
    deadline = time.monotonic() + timeout_s
    while want not in (text := deep_text(page)):
        assert time.monotonic() < deadline, f"Python never got stop {i}: {text[-300:]}"
        time.sleep(0.1)
    return int(re.search(re.escape(want) + r"(\d+)\)", text).group(1))


def test_keys_show_table_rows_and_the_final_stop_reaches_python(page, instant_server):
    table = part2_table("cloud")
    last = len(table.rows) - 1
    open_app(page, instant_server.url)
    thumb = slider(page, table.label)
    assert thumb.get_attribute("aria-valuetext") == table.rows[table.start]["aria"]
    assert shows(page, table.rows[table.start])
    thumb.focus()
    page.keyboard.press("End")
    # the card changes in the browser, before any round trip could have come back
    page.wait_for_function("() => true", polling="raf")
    assert shows(page, table.rows[last]), state(page)
    assert re.search(r"131,072 tokens$", thumb.get_attribute("aria-valuetext"))
    updates = python_has(page, table, last)
    assert "scale=131072" in page.url
    # a burst of keys: Python hears the final stop once, and the thumb never snaps back
    for key in ["Home"] + ["ArrowRight"] * 5 + ["PageDown", "ArrowLeft"]:
        page.keyboard.press(key)
    stop_now = state(page)["index"]
    assert python_has(page, table, stop_now) == updates + 1
    time.sleep(0.5)
    assert state(page)["index"] == stop_now and shows(page, table.rows[stop_now])
    assert python_has(page, table, stop_now) == updates + 1
    # reload: the stop comes back from the page's query string
    page.reload()
    open_app(page, page.url)
    assert shows(page, table.rows[stop_now]), state(page)
    python_has(page, table, stop_now)
