"""One Prefect server per project: started on demand on its configured port, reused by the next
command, and stopped with every process it started (hardening finding 6)."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.served import free_port

from flows.cli import prefect_server
from warehouse.settings import get_settings


@pytest.fixture
def project_prefect(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    port = free_port()
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    monkeypatch.setenv("CANVASS_PREFECT_PORT", str(port))
    monkeypatch.setenv("PREFECT_API_URL", "")  # no server given: the project's own is used
    yield port
    prefect_server.stop(get_settings())


def _group(pgid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "-g", str(pgid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def test_started_once_reused_and_stopped_with_its_children(project_prefect: int) -> None:
    port = project_prefect
    url = prefect_server.ensure(get_settings())
    assert url == f"http://127.0.0.1:{port}/api"
    assert os.environ["PREFECT_API_URL"] == url
    pid = prefect_server.running(get_settings())
    assert pid is not None and prefect_server.answers(port)
    assert _group(pid), "the server runs in a process group of its own"

    os.environ["PREFECT_API_URL"] = ""  # the next command: finds the server, starts nothing
    prefect_server.ensure(get_settings())
    assert prefect_server.running(get_settings()) == pid

    assert prefect_server.stop(get_settings())
    assert not prefect_server.answers(port)
    assert _group(pid) == [], "a process of the server outlived it"
    assert not prefect_server.stop(get_settings())  # nothing left to stop


def test_a_port_taken_by_another_program_is_named(project_prefect: int) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", project_prefect))
        other.listen()
        with pytest.raises(prefect_server.PrefectServerError, match="CANVASS_PREFECT_PORT"):
            prefect_server.ensure(get_settings())


def test_an_explicit_api_url_starts_nothing(
    project_prefect: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://prefect.example:4200/api")
    assert prefect_server.ensure(get_settings()) == "http://prefect.example:4200/api"
    assert prefect_server.running(get_settings()) is None
