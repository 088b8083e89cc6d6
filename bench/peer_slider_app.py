"""The peer for bench_lab's slider figures: marimo's floor on this machine.

One slider, one line of text and one small Vega-Lite chart that depend on it, rendered the way
the lab renders its charts. Whatever bench_lab measures beyond this is the lab's own cost.
"""

import marimo

app = marimo.App()


@app.cell(hide_code=True)
def _():
    import marimo as mo

    from ridgeline.lab.charts import MIME, VegaLite  # noqa: F401 - the lab's chart wrapper
    return VegaLite, mo


@app.cell(hide_code=True)
def _(mo):
    mo.md("## Part 1 · Peer: one slider, one text, one chart")


@app.cell(hide_code=True)
def _(mo):
    batch = mo.ui.slider(steps=[2**i for i in range(11)], value=1, label="Batch",
                         show_value=True)
    batch  # noqa: B018 - marimo displays a cell's last expression
    return (batch,)


@app.cell(hide_code=True)
def _(batch, mo):
    mo.md(f"Intensity at batch {batch.value}: {2 * batch.value / 2:.3g} FLOP/B")


@app.cell(hide_code=True)
def _(VegaLite, batch):
    _rows = [{"x": i, "y": (i + 1) * batch.value} for i in range(40)]
    VegaLite({"$schema": "https://vega.github.io/schema/vega-lite/v6.json", "width": 520,
              "height": 300, "data": {"values": _rows}, "mark": "line",
              "encoding": {"x": {"field": "x", "type": "quantitative"},
                           "y": {"field": "y", "type": "quantitative", "scale": {"type": "log"}}}})


if __name__ == "__main__":
    app.run()
