"""Native file dialogs for the page: pywebview's create_file_dialog, behind the bridge.

The page cannot read a path, so an open dialog returns the files' bytes (base64: the bridge
carries JSON) and a save dialog takes them.  The window is set once it exists.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any, Final, final

MAX_BYTES: Final = 64 * 1024 * 1024  # one file the page may open: far beyond any card


@final
class FileDialogs:
    """Open and save dialogs of the window (set `window` once it is created)."""

    def __init__(self) -> None:
        self.window: Any = None

    def open_files(self, kinds: list[str]) -> list[dict[str, str]]:
        """The files the person chose, as [{"name", "data"}]; [] if cancelled."""
        import webview  # noqa: PLC0415

        chosen = self.window.create_file_dialog(webview.OPEN_DIALOG, allow_multiple=True,
                                                file_types=tuple(kinds))
        return [_read(Path(path)) for path in chosen or ()]

    def save_file(self, name: str, data: str) -> dict[str, Any] | None:
        """Ask where to save name and write the bytes there: {"path"}, None if cancelled."""
        import webview  # noqa: PLC0415

        chosen = self.window.create_file_dialog(webview.SAVE_DIALOG, save_filename=name)
        if not chosen:
            return None
        path = Path(chosen if isinstance(chosen, str) else chosen[0])
        path.write_bytes(base64.b64decode(data))
        return {"path": str(path)}


def _read(path: Path) -> dict[str, str]:
    if path.stat().st_size > MAX_BYTES:
        raise ValueError(f"{path.name} is over {MAX_BYTES // 1024 // 1024} MB")
    return {"name": path.name, "data": base64.b64encode(path.read_bytes()).decode("ascii")}
