"""The native file dialog through the bridge: the chosen paths, or an error envelope."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pajamas.shell.bridge import Bridge
from pajamas.shell.dialogs import FileDialogs
from pajamas.shell.pool import CallPool


class FakeWindow:
    """Stands in for webview.Window: records the dialog asked for, answers `chosen`."""

    def __init__(self, chosen: Sequence[str] | None) -> None:
        self.chosen = chosen
        self.asked: list[dict[str, Any]] = []

    def create_file_dialog(self, dialog_type: int, **options: Any) -> Sequence[str] | None:
        self.asked.append({"type": dialog_type, **options})
        return self.chosen


def bridge_with(window: FakeWindow | None) -> Bridge:
    dialogs = FileDialogs()
    dialogs.window = window
    return Bridge(lambda: None, CallPool(1, name="test-dialogs"), dialogs)  # type: ignore[arg-type, return-value]


def test_the_chosen_folder_comes_back_as_paths() -> None:
    import webview

    window = FakeWindow(["/tmp/plugins/text-stats"])
    reply = bridge_with(window).choose_paths("folder")
    assert reply == {"ok": True, "result": {"paths": ["/tmp/plugins/text-stats"]}}
    assert window.asked[0]["type"] == webview.FOLDER_DIALOG


def test_a_cancelled_dialog_gives_no_paths_and_file_types_pass_through() -> None:
    window = FakeWindow(None)
    reply = bridge_with(window).choose_paths("file", False, ["Plugins (*.zip)"])
    assert reply == {"ok": True, "result": {"paths": []}}
    assert window.asked[0]["file_types"] == ("Plugins (*.zip)",)


def test_bad_requests_and_a_missing_window_are_error_envelopes() -> None:
    reply = bridge_with(FakeWindow([])).choose_paths("socket")
    assert reply["ok"] is False and reply["error"]["code"] == "invalid_params"
    reply = bridge_with(FakeWindow([])).choose_paths("file", False, ["*.zip"])
    assert reply["ok"] is False and reply["error"]["code"] == "invalid_params"
    reply = bridge_with(None).choose_paths("file")
    assert reply["ok"] is False and reply["error"]["code"] == "busy"
