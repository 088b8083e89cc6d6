"""The WebAssembly lab's ledger in browser storage (Pyodide only; imported by the exported
notebook's first cell, never by the native lab).

Pyodide's file system is in memory, gone on reload. We mount Emscripten's IDBFS (a file system
kept in the browser's IndexedDB) over the ledger's directory, load it once
(``FS.syncfs(true)``), and after every stored write push it back (``FS.syncfs(false)``) through
:data:`ridgeline.lab.ledger.AFTER_WRITE`. Emscripten documents IDBFS and ``syncfs`` in its File
System API; this path is not exercised by the offline tests (it needs Pyodide in a browser).
"""

from __future__ import annotations

import asyncio

from .ledger import AFTER_WRITE, default_path


def _syncfs(fs, populate: bool):
    """``FS.syncfs`` as an awaitable future (its callback gets an error or null)."""
    loop = asyncio.get_event_loop()
    done = loop.create_future()

    def _cb(err=None):
        if not done.done():
            done.set_result(err)

    fs.syncfs(populate, _cb)
    return done


async def mount() -> str:
    """Mount IDBFS over the ledger's folder, load what a previous visit stored, and register
    the push after each write. Returns the folder."""
    import pyodide_js  # only in Pyodide

    fs = pyodide_js.FS
    folder = str(default_path().parent)
    fs.mkdirTree(folder)
    fs.mount(fs.filesystems.IDBFS, {}, folder)
    await _syncfs(fs, True)
    AFTER_WRITE.append(lambda _ledger: fs.syncfs(False, lambda err=None: None))
    return folder
