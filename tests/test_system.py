"""SystemService: checks and info keys that features register."""

from __future__ import annotations

import time
from pathlib import Path

from pajamas import machine
from pajamas.context import Check
from pajamas.rpc.methods import Registry
from pajamas.system import SystemService


def service(home: Path) -> SystemService:
    return SystemService(home, Registry(), time.monotonic(), pending=lambda: 0)


def test_info_reports_what_the_os_offers_until_a_feature_registers_containment(
        tmp_path: Path) -> None:
    system = service(tmp_path)
    assert system.info()["containment"] == machine.sandbox_features()
    probed = {"rlimits": True, "landlock": False}
    system.add_info("containment", lambda: probed)
    system.add_info("extra", lambda: 42)
    info = system.info()
    assert info["containment"] == probed and info["extra"] == 42
    probed["landlock"] = True  # read at each call
    assert system.info()["containment"]["landlock"] is True


def test_health_runs_registered_checks_and_reports_the_worst(tmp_path: Path) -> None:
    system = service(tmp_path)
    system.add_check("ours", lambda: Check(status="degraded", detail="half"))
    health = system.health()
    assert health["checks"]["ours"] == {"status": "degraded", "detail": "half"}
    assert health["status"] in ("degraded", "failing")
