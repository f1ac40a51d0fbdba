"""The window's asset server: the page's files over kept-alive HTTP/1.1, nothing else."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from pajamas.shell.assets import AssetServer


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[http.client.HTTPConnection, Path]]:
    page = tmp_path / "webui"
    (page / "src").mkdir(parents=True)
    (page / "index.html").write_text("<!doctype html><title>hub</title>", encoding="utf-8")
    (page / "src" / "main.js").write_text("export const ok = 1;\n", encoding="utf-8")
    (tmp_path / "secret.toml").write_text("key = 'not for the page'\n", encoding="utf-8")
    address, common, server = AssetServer.start_server([str(page / "index.html")], None)
    assert common == str(page)
    parts = urlsplit(address)
    assert parts.hostname == "127.0.0.1"
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    yield connection, page
    connection.close()
    assert isinstance(server, AssetServer)
    server.httpd.shutdown()


def get(connection: http.client.HTTPConnection, path: str) -> http.client.HTTPResponse:
    connection.request("GET", path)
    reply = connection.getresponse()
    reply.read()
    return reply


def test_the_page_and_its_modules_come_over_one_connection(
        served: tuple[http.client.HTTPConnection, Path]) -> None:
    connection, _ = served
    index = get(connection, "/index.html")
    assert index.status == 200 and index.version == 11
    assert "no-store" in (index.getheader("Cache-Control") or "")
    first_socket = connection.sock
    module = get(connection, "/src/main.js")
    assert module.status == 200 and "javascript" in (module.getheader("Content-Type") or "")
    assert connection.sock is first_socket  # kept alive: no new connection per file


def test_only_files_under_the_page_folder_are_served(
        served: tuple[http.client.HTTPConnection, Path]) -> None:
    connection, _ = served
    assert get(connection, "/src/").status == 404  # no listing of a folder
    assert get(connection, "/missing.js").status == 404
    assert get(connection, "/../secret.toml").status == 404
    assert get(connection, "/%2e%2e/secret.toml").status == 404
