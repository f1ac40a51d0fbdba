"""Where the web UI's files are: inside the installed wheel, else the repository's `webui/`."""

from __future__ import annotations

from pathlib import Path

import pajamas
from pajamas.errors import NotFound

INDEX = "index.html"


def candidates(package_dir: Path | None = None) -> list[Path]:
    """The folders that may hold the web UI, in the order they are tried.

    A wheel carries it as `pajamas/webui` (pyproject's force-include); an editable install
    runs from `backend/pajamas`, two levels below the repository's `webui/`.
    """
    package = Path(pajamas.__file__).parent if package_dir is None else package_dir
    return [package / "webui", package.parents[1] / "webui"]


def find_webui(package_dir: Path | None = None) -> Path:
    """The first candidate folder holding `index.html`; `NotFound` naming them all if none."""
    folders = candidates(package_dir)
    for folder in folders:
        if (folder / INDEX).is_file():
            return folder
    looked = " or ".join(str(folder) for folder in folders)
    raise NotFound(f"the hub's web UI is missing: no {INDEX} in {looked}; "
                   "reinstall pajamas-hub", looked_in=[str(folder) for folder in folders])
