"""`FileDialogs`: the window's native file dialog (pywebview's `create_file_dialog`) for the page.

The page asks through `Bridge.choose_paths`; this answers with the chosen paths, an empty list
when the person cancels.  The window is attached once it exists (the bridge is made first).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, final

from pajamas.errors import Busy, InvalidParams

KINDS: Final = ("file", "folder")
MAX_TYPES: Final = 20


@final
class FileDialogs:
    """Opens the native open-file or choose-folder dialog of the window."""

    def __init__(self) -> None:
        self.window: Any = None  # a webview.Window once created

    def choose(self, kind: str, multiple: bool, file_types: Sequence[str]) -> list[str]:
        """The paths the person chose (empty if cancelled); `file_types` like
        "Plugins (*.zip)"."""
        if kind not in KINDS:
            raise InvalidParams(f"kind must be 'file' or 'folder', not {kind!r:.40}",
                                field="kind")
        types = check_types(file_types)
        if self.window is None:
            raise Busy("the window is not shown yet: choose again in a moment")
        import webview  # noqa: PLC0415  (Qt loads only when a window is wanted)

        dialog = webview.OPEN_DIALOG if kind == "file" else webview.FOLDER_DIALOG
        chosen = self.window.create_file_dialog(dialog, allow_multiple=bool(multiple),
                                                file_types=types)
        return [str(path) for path in chosen or ()]


def check_types(file_types: Sequence[str] | None) -> tuple[str, ...]:
    """The file types as pywebview wants them: "Label (*.ext;*.ext)" strings."""
    if file_types is None:
        return ()
    if (not isinstance(file_types, list | tuple) or len(file_types) > MAX_TYPES
            or not all(isinstance(t, str) and "(" in t and t.endswith(")") for t in file_types)):
        raise InvalidParams("file_types must be a list of 'Label (*.ext)' strings",
                            field="file_types")
    return tuple(file_types)
