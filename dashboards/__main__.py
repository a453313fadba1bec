"""`python -m dashboards --port 5006`: serve the ranking dashboard."""

from __future__ import annotations

import argparse
import logging

from dashboards import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dashboards", description=serve.__doc__)
    parser.add_argument("--port", type=int, default=5006)
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--show", action="store_true", help="open it in a browser")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    serve(port=args.port, address=args.address, show=args.show)


if __name__ == "__main__":
    main()
