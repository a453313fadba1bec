"""Serving a Canvass app for real in a subprocess, and the browser that drives it.

Browser tests never download a browser: Debian's Chromium at /usr/bin/chromium, or they skip.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def require_browser() -> None:
    """Skip the test, saying why, unless Chromium and Playwright for Python are both here."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed at /usr/bin/chromium (`make browser`)")
    pytest.importorskip("playwright.sync_api", reason="playwright for Python is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_serving(url: str, process: subprocess.Popen[bytes], attempts: int = 120) -> None:
    for _ in range(attempts):  # at most about 60 s
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the server did not answer at {url}")


@contextmanager
def serving(
    command: Sequence[str], ready_url: str, log_path: Path, env: dict[str, str] | None = None
) -> Iterator[None]:
    """Run `command` from the repository root until `ready_url` answers 200; stop it afterwards.

    When it never answers, the error carries the server's own output.
    """
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            list(command),
            cwd=REPO,
            env=env if env is not None else dict(os.environ),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: teardown stops its children too
        )
    try:
        try:
            _wait_until_serving(ready_url, process)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\n{log_path.read_text(errors='replace')}") from exc
        yield
    finally:
        _signal_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait(timeout=15)


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


@contextmanager
def canvass_serving(command: Sequence[str], ready_path: str, log_dir: Path) -> Iterator[str]:
    """Run `canvass <command> --port <free port>` until `ready_path` answers; yield its base URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    canvass = str(Path(sys.executable).with_name("canvass"))
    with serving(
        [canvass, *command, "--port", str(port)], url + ready_path, log_dir / "server.log"
    ):
        yield url


@contextmanager
def chromium_page(width: int = 1400, height: int = 900) -> Iterator[Any]:
    """A page of Debian's headless Chromium (never a downloaded browser), closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": width, "height": height})
        finally:
            browser.close()
