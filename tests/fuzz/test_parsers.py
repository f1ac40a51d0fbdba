"""Hostile plugin archives, SillyTavern chat files and settings.toml: each is read or refused
with the project's error naming the problem, in bounded memory, writing nothing it refuses."""

from __future__ import annotations

import json
import stat
import tracemalloc
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pajamas.chat import sillytavern
from pajamas.config import load_settings
from pajamas.errors import ConfigError, InvalidParams
from pajamas.plugins.archive import Limits
from pajamas.plugins.manifest import Quotas
from pajamas.plugins.registry import PluginRegistry
from pajamas.store.metadata import MetadataStore
from tests.conftest import ROOT

FUZZ: Final = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                       suppress_health_check=[HealthCheck.too_slow,
                                              HealthCheck.function_scoped_fixture])
TEXT_STATS: Final = ROOT / "plugins" / "text-stats"


# -- plugin archives ---------------------------------------------------------------------------

@pytest.fixture
def registry(tmp_path: Path) -> Iterator[PluginRegistry]:
    store = MetadataStore.open(tmp_path)
    yield PluginRegistry(store, tmp_path / "home", Quotas(), require_persona=lambda p: None)
    store.close()


def left_behind(registry: PluginRegistry) -> list[str]:
    """Every file or folder under the plugins folder but the empty staging folder."""
    return [str(p.relative_to(registry.folder)) for p in registry.folder.rglob("*")
            if p.name != ".staging"] if registry.folder.exists() else []


def zipped(tmp_path: Path, members: dict[str, bytes], *,
           modes: dict[str, int] | None = None) -> Path:
    path = tmp_path / "plugin.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if modes and name in modes:
                info.external_attr = modes[name] << 16
            archive.writestr(info, data)
    return path


def plugin_files() -> dict[str, bytes]:
    return {f"text-stats/{p.relative_to(TEXT_STATS)}": p.read_bytes()
            for p in TEXT_STATS.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


FUNCTIONS: Final = b'[functions.count]\ndescription = "Count."\n'
BOMB: Final = b"\0" * (200 * 1024 * 1024)  # 200 MB of zeros: about 200 KB deflated


@pytest.mark.parametrize(("members", "names"), [
    ({"../evil.py": b"x", "plugin.toml": b""}, "climbs out of the plugin"),
    ({"a/../../evil.py": b"x", "plugin.toml": b""}, "climbs out"),
    ({"/etc/evil": b"x"}, "absolute path"),
    ({"C:/evil": b"x"}, "absolute path"),
    ({".": b"x", "plugin.toml": b""}, "no file name"),
    ({"a": b"x", "a/b": b"y", "plugin.toml": b""}, "both as a file and as a folder"),
    ({f"f{n}.txt": b"" for n in range(10_000)}, "more than 1000 files"),
    ({"plugin.toml": b"", "bomb.bin": BOMB}, "more than 52428800 bytes"),
    ({"plugin.toml": b"name = [unclosed"}, "plugin.toml"),
    ({"plugin.toml": b"\xff\xfe\x00"}, "not UTF-8"),
    ({"plugin.toml": b'[plugin]\nname = 7\nversion = "1"\nentry = "main.py"\n' + FUNCTIONS},
     r"\[plugin\] name"),
    ({"plugin.toml": b'[plugin]\nname = "ok-name"\nversion = []\n' + FUNCTIONS},
     r"\[plugin\] version"),
    ({"plugin.toml": b'[plugin]\nname = "ok-name"\nversion = "1"\ndescription = "d"\n'
                     b'entry = "main.py"\napi = 1\n[quotas]\nmemory_mb = "lots"\n' + FUNCTIONS},
     r"\[quotas\] memory_mb"),
])
def test_a_hostile_archive_is_refused_naming_it_and_leaves_nothing(
        tmp_path: Path, registry: PluginRegistry, members: dict[str, bytes], names: str) -> None:
    source = zipped(tmp_path, members)
    tracemalloc.start()
    try:
        with pytest.raises(InvalidParams, match=names):
            registry.install(source)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert left_behind(registry) == []
    assert registry.list()["total"] == 0
    assert peak < 32 * 1024 * 1024, f"peak {peak >> 20} MB"


def test_a_symlink_member_is_refused(tmp_path: Path, registry: PluginRegistry) -> None:
    source = zipped(tmp_path, {"plugin.toml": b"", "link": b"/etc/passwd"},
                    modes={"link": stat.S_IFLNK | 0o777})
    with pytest.raises(InvalidParams, match="'link' is a symlink"):
        registry.install(source)
    assert left_behind(registry) == []


def test_a_member_larger_than_its_directory_claims_is_refused(tmp_path: Path,
                                                             registry: PluginRegistry) -> None:
    source = zipped(tmp_path, {"plugin.toml": b"", "big.bin": b"\0" * (1 << 20)})
    data = bytearray(source.read_bytes())
    # The central directory's uncompressed size of big.bin, cut to 10 bytes: a lying zip.
    central = data.rindex(b"PK\x01\x02")
    data[central + 24:central + 28] = (10).to_bytes(4, "little")
    source.write_bytes(bytes(data))
    with pytest.raises(InvalidParams, match=r"not a readable \.zip|larger than it claims"):
        registry.install(source)
    assert left_behind(registry) == []


@FUZZ
@given(st.data())
def test_a_mutated_plugin_zip_is_installed_or_refused(tmp_path_factory: pytest.TempPathFactory,
                                                      data: st.DataObject) -> None:
    folder = tmp_path_factory.mktemp("zip")
    blob = bytearray(zipped(folder, plugin_files()).read_bytes())
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(blob) - 1))
        blob[at] ^= data.draw(st.integers(1, 255))
    (folder / "plugin.zip").write_bytes(bytes(blob))
    store = MetadataStore.open(folder)
    registry = PluginRegistry(store, folder / "home", Quotas(), require_persona=lambda p: None,
                              limits=Limits())
    try:
        registry.install(folder / "plugin.zip")
    except InvalidParams as exc:
        assert str(exc) and left_behind(registry) == []
    else:
        assert registry.list()["total"] == 1
    finally:
        store.close()


# -- SillyTavern chat files ---------------------------------------------------------------------

HEADER: Final = ('{"user_name": "You", "character_name": "Wren", '
                  '"create_date": "2024-01-15@12h30m45s"}')
GOOD: Final = [HEADER, '{"name": "You", "is_user": true, "send_date": 1705321845000, "mes": "Hi"}',
               '{"name": "Wren", "send_date": "January 15, 2024 12:31pm", "mes": "Hello", '
               '"swipes": ["Hello", "Hey"], "swipe_id": 1}']
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3), max_leaves=8)
messages = st.fixed_dictionaries({}, optional=dict.fromkeys(
    ("mes", "swipes", "swipe_id", "is_user", "is_system", "send_date", "extra", "name"),
    json_values))


@FUZZ
@given(st.lists(messages, max_size=4), st.data())
def test_a_chat_file_of_any_shape_is_read_or_refused_naming_its_line(
        lines: list[dict[str, object]], data: st.DataObject) -> None:
    text = "\n".join([HEADER, *(json.dumps(line) for line in lines)])
    if data.draw(st.booleans()):  # damage a byte of it
        at = data.draw(st.integers(0, len(text) - 1))
        text = text[:at] + data.draw(st.characters()) + text[at + 1:]
    try:
        chat = sillytavern.parse(text)
    except InvalidParams as exc:
        assert exc.field == "jsonl" and "line" in str(exc)
    else:
        sillytavern.parse(sillytavern.render(chat))  # what was read writes back and reads again


@pytest.mark.parametrize(("lines", "names"), [
    ([], "empty"),
    (["[1, 2]"], "line 1 is broken: not a JSON object"),
    (['{"other": 1}'], "line 1 is broken: the header needs"),
    ([HEADER, "{not json"], "line 2 is broken: not JSON"),
    ([HEADER, '{"mes": 7}'], "line 2 is broken: a message needs `mes`"),
    ([HEADER, '{"mes": "a"}', "[" * 100_000], "line 3 is broken: its JSON is nested too"),
    ([HEADER, '{"mes": "' + "x" * 5_000_000], "line 2 is broken: not JSON"),
])
def test_a_broken_chat_file_is_refused_naming_the_line(lines: list[str], names: str) -> None:
    with pytest.raises(InvalidParams, match=names):
        sillytavern.parse("\n".join(lines))


@pytest.mark.parametrize("date", ["1" + "0" * 400, "1e400", "NaN", "-Infinity",
                                  '"9999-12-31T23:59:59-23:59"', '"0001-01-01T00:00:00+23:59"',
                                  "true", "[]", '"yesterday"'])
def test_a_date_no_calendar_holds_is_read_as_none_and_writes_back(date: str) -> None:
    chat = sillytavern.parse("\n".join([HEADER, f'{{"mes": "a", "send_date": {date}}}']))
    assert chat.lines[0].at is None
    sillytavern.render(chat)


def test_a_huge_line_is_read_in_one_piece() -> None:
    text = "x" * 5_000_000
    chat = sillytavern.parse("\n".join([*GOOD, json.dumps({"mes": text})]))
    assert chat.lines[-1].swipes == [text]


# -- settings.toml ------------------------------------------------------------------------------

@pytest.mark.parametrize(("toml", "names"), [
    (b"workers = [unclosed", "is not valid TOML"),
    (b"\xff\xfeworkers = 2", "is not UTF-8 text"),
    (b"workers = \"four\"", "setting workers .* must be int, not str"),
    (b"workers = 2.5", "setting workers .* must be int, not float"),
    (b"debug_methods = 1", "setting debug_methods .* must be bool"),
    (b"request_timeout_s = nan", "setting request_timeout_s .* must be a finite number"),
    (b"request_timeout_s = inf", "setting request_timeout_s .* must be a finite number"),
    (b"request_timeout_s = 1" + b"0" * 400, "setting request_timeout_s .* finite"),
    (b"max_message_bytes = 9223372036854775808", "setting max_message_bytes .* under 2\\*\\*63"),
    (b"workers = 0", "setting workers .* at least 1"),
    (b"no_such_setting = 1", "unknown setting 'no_such_setting'"),
    (b"[workers]\nx = 1", "setting workers .* must be int, not dict"),
])
def test_a_hostile_settings_file_is_refused_naming_the_key(tmp_path: Path, toml: bytes,
                                                           names: str) -> None:
    (tmp_path / "settings.toml").write_bytes(toml)
    with pytest.raises(ConfigError, match=names):
        load_settings(tmp_path, environ={})


@FUZZ
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_any_settings_file_loads_or_raises_config_error(
        tmp_path_factory: pytest.TempPathFactory, toml: bytes) -> None:
    home = tmp_path_factory.mktemp("settings")
    (home / "settings.toml").write_bytes(toml)
    try:
        load_settings(home, environ={})
    except ConfigError as exc:
        assert str(exc)


def test_a_settings_variable_that_is_not_finite_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"PAJAMAS_SAMPLE_INTERVAL_S.*finite"):
        load_settings(tmp_path, environ={"PAJAMAS_SAMPLE_INTERVAL_S": "nan"})
    assert not list(tmp_path.iterdir())

