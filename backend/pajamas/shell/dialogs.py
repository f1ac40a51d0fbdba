"""`FileDialogs`: the window's native file dialogs (pywebview's `create_file_dialog`) for the page.

The page asks through the bridge: `choose` answers with paths (what the core can read itself: a
plugin folder or .zip), `open_files` with the files' bytes (base64: the bridge carries JSON) for
what the page reads (cards), `save_file` writes bytes the page made.  A cancelled dialog is an
empty answer.  The window is attached once it exists (the bridge is made first).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final, final

from pajamas.errors import Busy, InvalidParams

KINDS: Final = ("file", "folder")
MAX_TYPES: Final = 20
MAX_BYTES: Final = 64 * 1024 * 1024  # one file the page may open: far beyond any card


@final
class FileDialogs:
    """Opens the native open-file, choose-folder and save dialogs of the window."""

    def __init__(self) -> None:
        self.window: Any = None  # a webview.Window once created

    def choose(self, kind: str, multiple: bool, file_types: Sequence[str]) -> list[str]:
        """The paths the person chose (empty if cancelled); `file_types` like
        "Plugins (*.zip)"."""
        if kind not in KINDS:
            raise InvalidParams(f"kind must be 'file' or 'folder', not {kind!r:.40}",
                                field="kind")
        types = check_types(file_types)
        webview = self._webview()
        dialog = webview.OPEN_DIALOG if kind == "file" else webview.FOLDER_DIALOG
        chosen = self.window.create_file_dialog(dialog, allow_multiple=bool(multiple),
                                                file_types=types)
        return [str(path) for path in chosen or ()]

    def open_files(self, kinds: Sequence[str]) -> list[dict[str, str]]:
        """The files the person chose, as [{"name", "data"}]; [] if cancelled."""
        types = check_types(kinds)
        webview = self._webview()
        chosen = self.window.create_file_dialog(webview.OPEN_DIALOG, allow_multiple=True,
                                                file_types=types)
        return [_read(Path(path)) for path in chosen or ()]

    def save_file(self, name: str, data: str) -> dict[str, Any] | None:
        """Ask where to save name and write the bytes there: {"path"}, None if cancelled."""
        webview = self._webview()
        chosen = self.window.create_file_dialog(webview.SAVE_DIALOG, save_filename=name)
        if not chosen:
            return None
        path = Path(chosen if isinstance(chosen, str) else chosen[0])
        path.write_bytes(base64.b64decode(data))
        return {"path": str(path)}

    def _webview(self) -> Any:
        if self.window is None:
            raise Busy("the window is not shown yet: try again in a moment")
        import webview  # noqa: PLC0415  (Qt loads only when a window is wanted)

        return webview


def check_types(file_types: Sequence[str] | None) -> tuple[str, ...]:
    """The file types as pywebview wants them: "Label (*.ext;*.ext)" strings."""
    if file_types is None:
        return ()
    if (not isinstance(file_types, list | tuple) or len(file_types) > MAX_TYPES
            or not all(isinstance(t, str) and "(" in t and t.endswith(")") for t in file_types)):
        raise InvalidParams("file_types must be a list of 'Label (*.ext)' strings",
                            field="file_types")
    return tuple(file_types)


def _read(path: Path) -> dict[str, str]:
    if path.stat().st_size > MAX_BYTES:
        raise ValueError(f"{path.name} is over {MAX_BYTES // 1024 // 1024} MB")
    return {"name": path.name, "data": base64.b64encode(path.read_bytes()).decode("ascii")}
