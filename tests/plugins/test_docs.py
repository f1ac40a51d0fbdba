"""docs/plugins.md can't drift: every manifest key, permission and quota is documented."""

from __future__ import annotations

from pajamas.plugins.manifest import FUNCTION_KEYS, PERMISSIONS, PLUGIN_KEYS, QUOTA_RANGES
from tests.plugins.conftest import ROOT

DOC = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")


def test_every_key_permission_and_quota_is_documented_with_its_range() -> None:
    rows = [line for line in DOC.splitlines() if line.startswith("| `")]
    for table, keys in (("[plugin]", PLUGIN_KEYS), ("[functions.NAME]", FUNCTION_KEYS),
                        ("[permissions]", PERMISSIONS)):
        for key in keys:
            assert any(table in row and f"{key}`" in row for row in rows), (table, key)
    for quota, (low, high) in QUOTA_RANGES.items():
        assert f"`[quotas] {quota}` | whole number, {low} to {high};" in DOC, quota
        assert f"setting `plugin_{quota}`" in DOC, quota
