"""The plugin.* methods through a real core, and `pajamas plugin ...` from a terminal."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pajamas.errors import Conflict, InvalidParams, NotFound, PluginFailed, QuotaExceeded
from pajamas.rpc.client import Client
from tests.conftest import RunningCore, core_env
from tests.plugins.conftest import write_plugin

PLUGIN_KEYS = {"name", "version", "description", "permissions", "quotas", "functions",
               "commands", "installed_at"}


def test_install_records_the_plugin_under_the_home(client: Client, home: Path,
                                                   text_stats: Path) -> None:
    plugin = client.call("plugin.install", {"path": str(text_stats)})
    assert set(plugin) == PLUGIN_KEYS
    assert plugin["functions"]["count"]["description"] == \
        "Count the words and sentences in a text."
    assert plugin["functions"]["count"]["params"]["required"] == ["text"]
    assert plugin["commands"] == {"stats": "count"}
    assert plugin["permissions"] == {"network": False, "memory_read": False,
                                     "memory_write": False}
    assert plugin["quotas"]["memory_mb"] == 128 and plugin["quotas"]["disk_mb"] == 16
    assert (home / "plugins" / "text-stats" / "1.0.0" / "main.py").is_file()
    assert client.call("plugin.verify", {"name": "text-stats"}) == {"verified": True}
    with pytest.raises(Conflict, match="uninstall it first"):
        client.call("plugin.install", {"path": str(text_stats)})


def test_a_zip_installs_like_its_folder(client: Client, tmp_path: Path,
                                        text_stats: Path) -> None:
    source = tmp_path / "text-stats.zip"
    with zipfile.ZipFile(source, "w") as archive:
        for name in ("plugin.toml", "main.py"):
            archive.write(text_stats / name, f"text-stats/{name}")
    assert client.call("plugin.install", {"path": str(source)})["name"] == "text-stats"


def test_a_malformed_manifest_is_refused_naming_the_key(client: Client, tmp_path: Path) -> None:
    folder = write_plugin(tmp_path / "bad", "bad-one")
    toml = (folder / "plugin.toml").read_text().replace("api = 1", "api = 1\n[quotas]\n"
                                                        "memory_mb = \"lots\"")
    (folder / "plugin.toml").write_text(toml)
    with pytest.raises(InvalidParams) as caught:
        client.call("plugin.install", {"path": str(folder)})
    assert caught.value.message == ("plugin.toml: [quotas] memory_mb must be a whole number "
                                    "from 16 to 4096, not 'lots'")
    assert client.call("plugin.list")["total"] == 0


def test_a_missing_entry_module_is_refused(client: Client, tmp_path: Path) -> None:
    folder = write_plugin(tmp_path / "p", "no-entry")
    (folder / "main.py").unlink()
    with pytest.raises(InvalidParams, match=r"entry 'main\.py' is not a file"):
        client.call("plugin.install", {"path": str(folder)})


def test_a_zip_slip_is_refused_over_rpc(client: Client, home: Path, tmp_path: Path) -> None:
    source = tmp_path / "evil.zip"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("plugin.toml", "")
        archive.writestr("../../escaped.py", "boom")
    with pytest.raises(InvalidParams, match="climbs out"):
        client.call("plugin.install", {"path": str(source)})
    assert not list(home.parent.rglob("escaped.py"))


def test_a_tampered_plugin_is_refused(client: Client, home: Path, text_stats: Path) -> None:
    client.call("plugin.install", {"path": str(text_stats)})
    main = home / "plugins" / "text-stats" / "1.0.0" / "main.py"
    main.write_text(main.read_text() + "\nimport os  # injected\n")
    (main.parent / "extra.py").write_text("")
    with pytest.raises(PluginFailed) as caught:
        client.call("plugin.verify", {"name": "text-stats"})
    assert "modified" in caught.value.message
    assert "changed: main.py" in caught.value.message and "added: extra.py" in caught.value.message


def test_list_pages_and_searches(client: Client, tmp_path: Path) -> None:
    for name, description in (("alpha", "Greek one."), ("beta", "Greek two."),
                              ("gamma-ray", "Physics."), ("under_score", "x")):
        folder = write_plugin(tmp_path / name, name.replace("_", "-"), description)
        client.call("plugin.install", {"path": str(folder)})
    page = client.call("plugin.list", {"offset": 1, "limit": 2})
    assert page["total"] == 4 and [p["name"] for p in page["items"]] == ["beta", "gamma-ray"]
    found = client.call("plugin.list", {"query": "GREEK"})
    assert found["total"] == 2 and [p["name"] for p in found["items"]] == ["alpha", "beta"]
    assert client.call("plugin.list", {"query": "ray"})["total"] == 1
    assert client.call("plugin.list", {"query": "%"})["total"] == 0
    with pytest.raises(InvalidParams):
        client.call("plugin.list", {"limit": 0})


def test_inspect_checks_a_manifest_without_installing(client: Client, tmp_path: Path,
                                                     text_stats: Path) -> None:
    shown = client.call("plugin.inspect", {"path": str(text_stats)})
    assert set(shown) == PLUGIN_KEYS - {"installed_at"} | {"installed"}
    assert shown["installed"] is False and shown["quotas"]["memory_mb"] == 128
    assert client.call("plugin.list")["total"] == 0
    client.call("plugin.install", {"path": str(text_stats)})
    assert client.call("plugin.inspect", {"path": str(text_stats)})["installed"] is True
    folder = write_plugin(tmp_path / "bad", "bad-one")
    (folder / "plugin.toml").write_text((folder / "plugin.toml").read_text() + "[oops]\n")
    with pytest.raises(InvalidParams, match="oops"):
        client.call("plugin.inspect", {"path": str(folder)})
    with pytest.raises(InvalidParams, match="does not exist"):
        client.call("plugin.inspect", {"path": str(tmp_path / "nothing")})


def test_stop_ends_a_warm_host_and_kills_lists_none(client: Client, text_stats: Path) -> None:
    client.call("plugin.install", {"path": str(text_stats)})
    ada = client.call("persona.create", {"name": "Ada"})["id"]
    on = {"persona": ada, "name": "text-stats"}
    assert client.call("plugin.stop", on) == {"stopped": False}
    client.call("plugin.enable", on)
    client.call("plugin.call", {**on, "function": "count", "args": {"text": "Hi there."}})
    (host,) = client.call("plugin.status")["items"]
    assert host["state"] == "idle" and host["started_at"] > 0
    assert client.call("plugin.stop", on) == {"stopped": True}
    assert client.call("plugin.status")["items"][0]["state"] == "stopped"
    assert client.call("plugin.enabled", {"persona": ada}) == {"items": ["text-stats"]}
    assert client.call("plugin.kills") == {"items": [], "disabled": []}
    with pytest.raises(InvalidParams):
        client.call("plugin.kills", {"limit": 0})


def test_a_persona_lowers_a_quota_and_its_host_runs_under_it(client: Client) -> None:
    hog = Path(__file__).parent / "hostile" / "memory-hog"
    client.call("plugin.install", {"path": str(hog)})
    ada = client.call("persona.create", {"name": "Ada"})["id"]
    on = {"persona": ada, "name": "memory-hog"}
    client.call("plugin.enable", on)
    assert client.call("plugin.quotas", on)["lowered"] == {}
    with pytest.raises(InvalidParams, match="can only be lowered: at most 64"):
        client.call("plugin.quotas", {**on, "lowered": {"memory_mb": 65}})
    with pytest.raises(InvalidParams, match="no quota named 'ram'"):
        client.call("plugin.quotas", {**on, "lowered": {"ram": 1}})
    with pytest.raises(InvalidParams, match="from 16 to 4096"):
        client.call("plugin.quotas", {**on, "lowered": {"memory_mb": 8}})
    shown = client.call("plugin.quotas", {**on, "lowered": {"memory_mb": 48, "cpu_s": 20}})
    assert shown["lowered"] == {"memory_mb": 48}  # cpu_s is not lower: nothing to keep
    assert shown["quotas"]["memory_mb"] == 48 and shown["plugin"]["memory_mb"] == 64
    with pytest.raises(QuotaExceeded) as caught:
        client.call("plugin.call", {**on, "function": "grow"})
    assert caught.value.data["quota"] == "memory_mb" and caught.value.data["limit"] == 48
    assert client.call("plugin.quotas", {**on, "lowered": {}})["lowered"] == {}


def test_enable_and_disable_per_persona(client: Client, text_stats: Path) -> None:
    client.call("plugin.install", {"path": str(text_stats)})
    ada = client.call("persona.create", {"name": "Ada"})["id"]
    bob = client.call("persona.create", {"name": "Bob"})["id"]
    on = {"persona": ada, "name": "text-stats"}
    assert client.call("plugin.enable", on) == {"enabled": True}
    assert client.call("plugin.enable", on) == {"enabled": True}
    assert client.call("plugin.enabled", {"persona": ada}) == {"items": ["text-stats"]}
    assert client.call("plugin.enabled", {"persona": bob}) == {"items": []}
    assert client.call("plugin.disable", on) == {"enabled": False}
    assert client.call("plugin.enabled", {"persona": ada}) == {"items": []}
    with pytest.raises(NotFound, match="persona"):
        client.call("plugin.enable", {"persona": "nobody", "name": "text-stats"})
    with pytest.raises(NotFound, match="no plugin named 'ghost'"):
        client.call("plugin.enable", {"persona": ada, "name": "ghost"})


def test_uninstall_removes_files_rows_and_enablings(client: Client, home: Path,
                                                    text_stats: Path) -> None:
    client.call("plugin.install", {"path": str(text_stats)})
    ada = client.call("persona.create", {"name": "Ada"})["id"]
    client.call("plugin.enable", {"persona": ada, "name": "text-stats"})
    assert client.call("plugin.uninstall", {"name": "text-stats"}) == {"uninstalled": True}
    assert not (home / "plugins" / "text-stats").exists()
    assert client.call("plugin.list")["total"] == 0
    assert client.call("plugin.enabled", {"persona": ada}) == {"items": []}
    with pytest.raises(NotFound):
        client.call("plugin.uninstall", {"name": "text-stats"})
    assert client.call("plugin.install", {"path": str(text_stats)})["name"] == "text-stats"


def test_the_cli_installs_lists_enables_and_uninstalls(core: RunningCore,
                                                       text_stats: Path) -> None:
    with core.client() as client:
        client.call("persona.create", {"name": "Ada"})
    assert "installed text-stats 1.0.0: functions count; permissions none" in _pajamas(
        core, "plugin", "install", str(text_stats))
    assert _pajamas(core, "plugin", "list").startswith("text-stats\t1.0.0\tCounts words")
    assert _pajamas(core, "plugin", "list", "nothing-like-it") == ""
    assert "enabled for Ada" in _pajamas(core, "plugin", "enable", "text-stats",
                                         "--persona", "Ada")
    assert "disabled for Ada" in _pajamas(core, "plugin", "disable", "text-stats",
                                          "--persona", "Ada")
    assert "uninstalled text-stats" in _pajamas(core, "plugin", "uninstall", "text-stats")


def _pajamas(core: RunningCore, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "pajamas", *args], env=core_env(core.home),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout
