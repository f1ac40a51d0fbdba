"""`AssetServer`: serves `webui/` to the window, in place of pywebview's default server.

ES modules do not load from file:// URLs, so the page comes from a local HTTP server.
pywebview's own (bottle on wsgiref) speaks HTTP/1.0: every one of the ~45 files the window
loads at start-up opens a connection and a thread, and took 30 to 50 ms each while Qt and the
core start beside it.  This one is the standard library's threading server with HTTP/1.1
keep-alive (the page's requests share Chromium's six connections), bound to 127.0.0.1, on a
port the OS picks.  It serves files under the page's folder only (no listings: a folder is
404), never cached, so an edited page is what the next load shows.

pywebview calls `start_server` (its server interface) from `webview.start(server=...)`.  The
Qt backend reaches the Python API through QWebChannel, not over HTTP, so there is no js_api
endpoint to serve.
"""

from __future__ import annotations

import os
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from typing import Any, Final

from webview.http import BottleServer
from webview.util import abspath, is_local_url

HOST: Final = "127.0.0.1"


class _Files(SimpleHTTPRequestHandler):
    """GET and HEAD of files under the served folder, kept-alive, uncached, unlogged."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: with Nagle's algorithm on, a kept-alive
    # connection then waits out the client's delayed ACK (40 ms) on every reply.
    disable_nagle_algorithm = True

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache, no-store, must-revalidate")
        super().end_headers()

    def list_directory(self, path: str | os.PathLike[str]) -> BytesIO | None:
        self.send_error(404, "no such file")
        return None

    def log_message(self, format: str, *args: Any) -> None:
        return  # the window's requests are not news; errors reach the page as statuses


class AssetServer(BottleServer):
    """pywebview's server interface over `ThreadingHTTPServer` (see the module's docstring)."""

    port: int
    thread: threading.Thread
    httpd: ThreadingHTTPServer  # serves until the process ends (or `httpd.shutdown()`)
    common_path: str | None = None

    @classmethod
    def start_server(cls, urls: list[str], http_port: int | None, keyfile: None = None,
                     certfile: None = None) -> tuple[str, str | None, BottleServer]:
        """Serve the folder of the local urls (the page's); (address, that folder, server)."""
        server = cls()
        local = [url.split("#")[0] for url in urls if is_local_url(url)]
        common = os.path.commonpath(local) if local else None
        if common is not None and not os.path.isdir(abspath(common)):
            common = os.path.dirname(common)
        root = abspath(common) if common is not None else None
        server.root_path = root  # type: ignore[assignment]  # pywebview's own None-able field
        httpd = ThreadingHTTPServer((HOST, http_port or 0),
                                    partial(_Files, directory=root or os.devnull))
        httpd.daemon_threads = True
        server.httpd = httpd
        server.port = httpd.server_address[1]
        server.thread = threading.Thread(target=httpd.serve_forever, name="pajamas-assets",
                                         daemon=True)
        server.thread.start()
        server.running = True
        address = f"http://{HOST}:{server.port}/"
        server.address = address  # type: ignore[assignment]  # typed None until it starts
        server.js_api_endpoint = None
        cls.common_path = common
        return address, common, server
