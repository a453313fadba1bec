"""The project's one Prefect server: started on demand on a fixed port and reused by every command,
as the warehouse is.

Without it every command started Prefect's temporary server on a random port and gave it 20 s to
come up, which a busy 2-core machine missed. Here the first command that runs a flow starts
`prefect server start` in a session of its own (log in `<PREFECT_HOME>/server.log`, pid in
`server.pid`), waits up to `CANVASS_PREFECT_STARTUP_TIMEOUT_S` (180 s) for its health check, and
later commands find it answering on `CANVASS_PREFECT_PORT` (4200). `canvass ui stop` stops it and
every process it started. A `PREFECT_API_URL` in the environment wins: Canvass then starts nothing.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx

from warehouse.settings import Settings, get_settings


class PrefectServerError(RuntimeError):
    """The project's Prefect server could not be started or reached."""


def api_url(port: int) -> str:
    return f"http://127.0.0.1:{port}/api"


def answers(port: int, timeout: float = 1.0) -> bool:
    """True when a Prefect server's health check answers on the port."""
    try:
        return httpx.get(f"{api_url(port)}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def _port_taken(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _pid_file(settings: Settings) -> Path:
    return settings.prefect_home / "server.pid"


def _log_file(settings: Settings) -> Path:
    return settings.prefect_home / "server.log"


@contextmanager
def _starting(settings: Settings) -> Iterator[None]:
    """One process at a time decides whether to start the server (a file lock)."""
    settings.prefect_home.mkdir(parents=True, exist_ok=True)
    with (settings.prefect_home / "server.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def server_env(settings: Settings) -> dict[str, str]:
    port = settings.prefect_port
    return os.environ | {
        "PREFECT_HOME": str(settings.prefect_home),
        "PREFECT_UI_API_URL": api_url(port),  # the UI asks this address, not --port
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }


def ensure(settings: Settings | None = None) -> str:
    """The API URL flows report to: `PREFECT_API_URL`, else the project's server (started now if
    it is not running). Sets `PREFECT_API_URL` for this process."""
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    settings = settings or get_settings()
    port = settings.prefect_port
    if not answers(port):
        with _starting(settings):
            if not answers(port):
                _start(settings)
    os.environ["PREFECT_API_URL"] = api_url(port)
    return api_url(port)


def _start(settings: Settings) -> None:
    port = settings.prefect_port
    if _port_taken(port):
        raise PrefectServerError(
            f"port {port} is taken by a program that is not a Prefect server: "
            "set CANVASS_PREFECT_PORT to a free port"
        )
    prefect = Path(sys.executable).with_name("prefect")
    log = _log_file(settings)
    print(f"starting the project's Prefect server on http://127.0.0.1:{port}", file=sys.stderr)
    with log.open("ab") as out:
        process = subprocess.Popen(
            [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=server_env(settings),
            start_new_session=True,  # its own process group: `stop` ends it and its children
        )
    _pid_file(settings).write_text(str(process.pid))
    deadline = time.monotonic() + settings.prefect_startup_timeout_s
    while time.monotonic() < deadline:
        if answers(port):
            return
        if process.poll() is not None:
            raise PrefectServerError(
                f"the Prefect server exited with code {process.returncode} while starting; see {log}"
            )
        time.sleep(0.5)
    stop(settings)
    raise PrefectServerError(
        f"the Prefect server did not answer within {settings.prefect_startup_timeout_s:.0f} s "
        f"(see {log}); on a slow machine raise CANVASS_PREFECT_STARTUP_TIMEOUT_S"
    )


def stop(settings: Settings | None = None, wait_s: float = 20.0) -> bool:
    """Stop the project's server and every process it started; False when none was running."""
    settings = settings or get_settings()
    pid_file = _pid_file(settings)
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text().strip() or 0)
    pid_file.unlink()
    try:
        os.killpg(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return False
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return True
        _reap(pid)
        time.sleep(0.2)
    os.killpg(pid, signal.SIGKILL)
    _reap(pid)
    return True


def _reap(pid: int) -> None:
    """Collect the server's exit status when this process started it (no zombie left)."""
    with suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def running(settings: Settings | None = None) -> int | None:
    """The server's pid when the project's server answers, else None."""
    settings = settings or get_settings()
    pid_file = _pid_file(settings)
    if answers(settings.prefect_port) and pid_file.exists():
        return int(pid_file.read_text().strip() or 0) or None
    return None
