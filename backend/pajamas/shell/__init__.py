"""The desktop shell: the pywebview window and its border with the core.

::

    window.py     run_window: the window's lifecycle, wiring the pieces below
    display.py    the environment Qt WebEngine needs (a display, no sandbox as root)
    webui.py      where the web UI's files are (installed wheel, else the repository)
    corelink.py   finds or starts the home's core on a thread while the window opens, and
                  again whenever it stops (reconnects: new connection file, new key)
    bridge.py     the js_api object: forwards calls to the core, answers envelopes
    pool.py       the daemon threads those calls run on
    events.py     forwards the core's events into the page, in batches (subscribing again
                  to a new core), plus the shell's own `shell.connection` events

Nothing here holds hub logic: the shell forwards to `pajamas.rpc.client` and back.  Qt and
pywebview are imported only inside this package (and only by `window.py`).

Headless Linux: with no DISPLAY (or WAYLAND_DISPLAY, or QT_QPA_PLATFORM), `pajamas` re-runs
itself under `xvfb-run --auto-servernum`, so the window has a real X display; without xvfb-run
it falls back to QT_QPA_PLATFORM=offscreen.  As root it sets QTWEBENGINE_DISABLE_SANDBOX=1.
QTWEBENGINE_REMOTE_DEBUGGING=127.0.0.1:PORT in the environment makes Qt serve the DevTools
protocol, which is how tests/e2e drives the window.
"""
