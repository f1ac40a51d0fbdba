"""docs/protocol.md can't drift: its tables against a real core, errors.py and the code.

The served tables list exactly the methods `system.methods` lists (the test core has
`debug_methods` on), each with its params; the methods not yet served are not; every event
topic the core publishes is documented; and the page's Python client pings a real core.  The
error table is checked against errors.py in tests/test_errors.py.
"""

from __future__ import annotations

import re
import subprocess
import sys

from pajamas import errors
from pajamas.rpc.client import Client
from tests import protocol_doc
from tests.conftest import ROOT, RunningCore, core_env


def test_the_served_tables_list_every_method_the_core_serves(client: Client) -> None:
    served = {item["name"] for item in client.call("system.methods")["items"]}
    documented = set(protocol_doc.methods(protocol_doc.served()))
    assert documented - served == set(), "documented but not served"
    assert served - documented == set(), "served but not in docs/protocol.md"


def test_each_row_names_the_method_s_params_and_marks_the_optional_ones(client: Client) -> None:
    documented = protocol_doc.methods(protocol_doc.served())
    for item in client.call("system.methods")["items"]:
        wanted = {name: param["required"] for name, param in item["params"].items()}
        assert documented[item["name"]] == wanted, item["name"]


def test_what_is_not_yet_served_is_marked_so_and_is_not_served(client: Client) -> None:
    coming = protocol_doc.methods(protocol_doc.coming())
    served = {item["name"] for item in client.call("system.methods")["items"]}
    assert served.isdisjoint(coming)
    assert not set(protocol_doc.names(protocol_doc.coming(), "code")) & set(errors.ERROR_CODES)


def test_every_event_topic_the_core_publishes_is_documented() -> None:
    call = re.compile(r"(?:publish|notify)\(\s*\"([a-z]+\.[a-z_]+)\"")
    published = {topic for path in (ROOT / "backend" / "pajamas").rglob("*.py")
                 for topic in call.findall(path.read_text(encoding="utf-8"))}
    assert {"task.progress", "memory.changed", "plugin.log"} <= published  # the scan works
    assert published <= set(protocol_doc.names(protocol_doc.served(), "topic"))


def test_the_page_s_python_client_pings_a_real_core(core: RunningCore) -> None:
    (snippet,) = re.findall(r"```python\n(.*?)```", protocol_doc.served(), re.S)
    done = subprocess.run([sys.executable, "-c", snippet], env=core_env(core.home),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "'result': {'pong': True" in done.stdout
