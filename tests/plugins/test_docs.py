"""docs/plugins.md can't drift: every manifest key, permission and quota is documented."""

from __future__ import annotations

from pajamas.plugins import params
from pajamas.plugins.manifest import (
    FUNCTION_KEYS,
    PERMISSIONS,
    PLUGIN_KEYS,
    QUOTA_RANGES,
    Function,
)
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
    assert Function("f").pure is False
    assert "| `[functions.NAME] pure` | `true` or `false`; default `false`" in DOC


def test_every_params_key_and_type_and_the_commands_table_are_documented() -> None:
    section = DOC.split("### Params: a function's arguments as a schema", 1)[1].split("\n## ")[0]
    for key in params.KEYS:
        assert f"| `{key}` |" in section, key
    for kind in params.TYPES:
        assert f"`{kind}`" in section, kind
    assert "| `[commands] SHORT` |" in DOC


def test_every_quota_says_what_happens_on_a_breach() -> None:
    section = DOC.split("## Quotas: what happens on a breach", 1)[1].split("\n## ", 1)[0]
    for quota in QUOTA_RANGES:
        assert f"| `{quota}`" in section, quota
    for reason in ("exception", "signal", "exit", "protocol", "heartbeat", "disabled",
                   "modified"):
        assert f"| `{reason}` |" in section, reason
    for field in ("quota", "limit", "measured", "limit_s", "wall_s"):
        assert f'"{field}"' in section, field


def test_every_bundled_plugin_is_listed_as_an_example() -> None:
    readme = (ROOT / "plugins" / "README.md").read_text(encoding="utf-8")
    bundled = sorted(p.name for p in (ROOT / "plugins").iterdir() if (p / "plugin.toml").is_file())
    assert bundled == ["calculator", "memory-journal", "text-stats", "web-fetch"]
    for name in bundled:
        assert f"| `{name}` |" in DOC and f"[`{name}`]({name}/)" in readme, name
        assert (ROOT / "plugins" / name / "README.md").is_file(), name
