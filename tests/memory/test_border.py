"""The LanceDB border: the library's own failures become hub errors naming the persona."""

from __future__ import annotations

from pathlib import Path

import lancedb
import pytest

from pajamas.borders import lancedb_errors
from pajamas.errors import Internal, NotFound


def test_a_real_lancedb_failure_becomes_internal(tmp_path: Path) -> None:
    db = lancedb.connect(str(tmp_path))
    table = db.create_table("p", data=[{"id": "a", "n": 1}])
    with pytest.raises(Internal, match="persona p while adding") as caught, \
            lancedb_errors("adding", "p"):
        table.add([{"id": "b", "no_such_column": "x"}])
    assert caught.value.data["persona"] == "p"


def test_missing_files_are_not_found_and_hub_errors_pass_through() -> None:
    with pytest.raises(NotFound, match="missing on disk"), lancedb_errors("opening", "p"):
        raise FileNotFoundError("p.lance")
    with pytest.raises(NotFound, match="as it was"), lancedb_errors("opening", "p"):
        raise NotFound("as it was")
