"""Check: `canvass demo` passes from nothing on a machine whose cores are busy with other work.

On a busy 2-core machine `make demo` once failed: Prefect's temporary server had 20 s to start.
This runs the main command as a fresh machine would (a new embedded warehouse, a new Prefect
server, both in a temporary directory on free ports) while `--burners` processes (default: one per
core) keep every core busy at normal priority, then stops what it started. It prints how long the
demo took, against the same demo on the idle machine when `--idle` is given (the yardstick), and
writes both to `bench/results/busy_machine.json`.

    .venv/bin/python -m bench.busy_machine [--burners N] [--idle]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CANVASS = str(Path(sys.executable).with_name("canvass"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _burn() -> None:
    while True:
        sum(i * i for i in range(10_000))


def _fresh_project_env(base: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "PREFECT_API_URL"}}
    return env | {
        "CANVASS_WAREHOUSE_DIR": str(base / ".warehouse"),
        "CANVASS_PG_PORT": str(_free_port()),
        "PREFECT_HOME": str(base / ".prefect"),
        "CANVASS_PREFECT_PORT": str(_free_port()),
        "CANVASS_LANDING_URL": str(base / "landing"),
        "CANVASS_ARTIFACTS_DIR": str(base / "artifacts"),
        "CANVASS_REPORTS_DIR": str(base / "reports"),
        "CANVASS_DBT_TARGET_DIR": str(base / "target"),
    }


def run_demo(burners: int) -> dict[str, object]:
    """`canvass demo` from nothing with `burners` busy processes beside it."""
    with tempfile.TemporaryDirectory(prefix="canvass-busy-") as tmp:
        env = _fresh_project_env(Path(tmp))
        load = [multiprocessing.Process(target=_burn, daemon=True) for _ in range(burners)]
        for process in load:
            process.start()
        started = time.monotonic()
        try:
            done = subprocess.run(
                [CANVASS, "demo"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
            )
        finally:
            took = time.monotonic() - started
            for process in load:
                process.terminate()
            for stop in (["ui", "--stop"], ["warehouse", "stop"]):
                subprocess.run(
                    [CANVASS, *stop], cwd=ROOT, env=env, capture_output=True, check=False
                )
        tail = (done.stdout.strip() or done.stderr.strip()).splitlines()[-5:]
        return {
            "burners": burners,
            "seconds": round(took, 1),
            "exit_code": done.returncode,
            "tail": tail,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burners", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--idle", action="store_true", help="also run the demo on the idle machine")
    args = parser.parse_args()
    results: dict[str, object] = {"cores": os.cpu_count(), "when": time.strftime("%Y-%m-%d")}
    if args.idle:
        results["idle"] = run_demo(0)
        print(f"idle: {results['idle']['seconds']} s, exit {results['idle']['exit_code']}")
    busy = run_demo(args.burners)
    results["busy"] = busy
    print(f"busy ({args.burners} burners): {busy['seconds']} s, exit {busy['exit_code']}")
    if args.idle:
        ratio = busy["seconds"] / results["idle"]["seconds"]
        results["ratio"] = round(ratio, 2)
        print(f"busy / idle: {ratio:.2f}x")
    out = ROOT / "bench" / "results" / "busy_machine.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {out}")
    if busy["exit_code"] != 0:
        print("\n".join(busy["tail"]))
        sys.exit(1)


if __name__ == "__main__":
    main()
