"""Canvass dashboards: Bokeh server apps in directory format. `serve()` runs them."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from dashboards.pages import LINKED_PAGES, PAGES

if TYPE_CHECKING:
    from bokeh.server.server import Server

log = logging.getLogger(__name__)

(RANKING_PATH, RANKING_APP_DIR, _), (MONITORING_PATH, _, _), (MODEL_PATH, _, _) = PAGES


def make_server(port: int = 5006, address: str = "127.0.0.1", **kwargs: object) -> Server:
    """A Bokeh server for the apps of `dashboards.pages`: the ranking at `/ranking`, monitoring
    at `/monitoring`, the model at `/model` (`/` lists them), one establishment at
    `/establishment?id=...`, not yet started.

    Only pages served from `localhost:port` or `127.0.0.1:port` may open its websocket.
    """
    from bokeh.application import Application
    from bokeh.application.handlers.directory import DirectoryHandler
    from bokeh.server.server import Server

    apps = [(path, app) for path, app, _ in PAGES] + list(LINKED_PAGES)
    return Server(
        {path: Application(DirectoryHandler(filename=str(app))) for path, app in apps},
        port=port,
        address=address,
        allow_websocket_origin=[f"localhost:{port}", f"127.0.0.1:{port}"],
        **kwargs,
    )


def serve(port: int = 5006, address: str = "127.0.0.1", show: bool = False) -> None:
    """Serve the ranking dashboard until interrupted; `show` opens it in a browser."""
    server = make_server(port=port, address=address)
    server.start()
    url = f"http://{address}:{server.port}{RANKING_PATH}"
    log.info(
        "ranking dashboard at %s, monitoring at %s, model at %s",
        url,
        url.replace(RANKING_PATH, MONITORING_PATH),
        url.replace(RANKING_PATH, MODEL_PATH),
    )
    if show:
        server.io_loop.add_callback(server.show, RANKING_PATH)
    try:
        server.io_loop.start()
    except KeyboardInterrupt:
        log.info("ranking dashboard stopped")
    finally:
        server.stop()
