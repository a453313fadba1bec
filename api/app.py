"""The FastAPI app factory: `uvicorn --factory api.app:create_app`.

It reads the delivery marts (`marts.fct_rankings`, `dim_scoring_runs`, ...) through the read-only
role and never writes.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files

import psycopg
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from api.deps import close_pools
from api.routers import establishments, health, models, monitoring
from warehouse.settings import Settings, get_settings

log = logging.getLogger(__name__)

DESCRIPTION = """
Canvass ranks Chicago's food establishments by the estimated chance that a routine inspection
finds a failure, so the inspection team can visit the riskiest first.

* **establishments**: the ranked list (filters by facility group, zip and risk level; paging),
  one establishment's score, why it ranks where it does, its inspection history.
* **models**: the model that scores now, or any model of the registry: what it is, what it was
  trained on, how it did against the baselines, why it was chosen, how its scores become
  probabilities.
* **health**: is the database reachable, which model and as-of date are served.

Scores come from the latest as-of date of the model that scored most recently. `score` orders the
ranking; `probability` is the same score calibrated into the chance of a failed inspection.
Answers read from a scoring run carry an `ETag` and `Last-Modified`: send `If-None-Match` to get
`304 Not Modified` until the next run. The API connects as
the read-only role `canvass_reader`: it cannot change anything in the warehouse.
"""

TAGS = [
    {"name": "establishments", "description": "Scores, ranking and inspection history."},
    {
        "name": "models",
        "description": "The deployed model and the registry: training data, cross-validation "
        "against the baselines, selection, calibration.",
    },
    {"name": "health", "description": "Liveness and what is being served."},
    {
        "name": "monitoring",
        "description": "The SLA board, drift of the deployed model's inputs, and realised "
        "against expected performance, as the monitor stage last measured them.",
    },
]


def _database_unreachable(request: Request, exc: Exception) -> JSONResponse:
    log.error("%s %s: database unreachable: %s", request.method, request.url.path, exc)
    return JSONResponse(
        status_code=503,
        content={"detail": f"The warehouse database does not answer ({type(exc).__name__})."},
    )


def _warehouse_busy(request: Request, exc: Exception) -> JSONResponse:
    log.warning("%s %s: query cut short: %s", request.method, request.url.path, exc)
    settings = getattr(request.app.state, "settings", None) or get_settings()
    return JSONResponse(
        status_code=503,
        headers={"Retry-After": "5"},
        content={
            "detail": "The warehouse is busy (a rebuild holds the tables, or the query took longer "
            f"than {settings.api_statement_timeout_ms / 1000:g} s): try again in a few seconds."
        },
    )


def _warehouse_not_built(request: Request, exc: Exception) -> JSONResponse:
    log.error("%s %s: missing relation: %s", request.method, request.url.path, exc)
    return JSONResponse(
        status_code=503,
        content={
            "detail": "The warehouse is not built yet (a delivery mart is missing): "
            "run the pipeline, e.g. `canvass demo`."
        },
    )


# Swagger UI and FastAPI's favicon as files, from the fastapi-offline package. No ReDoc: its
# standalone bundle still fetches its logo from cdn.redoc.ly.
DOCS_ASSETS = files("fastapi_offline") / "static"


def _serve_docs_offline(app: FastAPI) -> None:
    """`/docs` (Swagger UI) with its JavaScript and CSS served by the API itself."""
    app.mount("/docs-assets", StaticFiles(directory=str(DOCS_ASSETS)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon.png",
        )


# Sent with every answer: no sniffing, no framing, no referrer, and pages (Swagger UI) that load
# only from this server (its initialiser is an inline script, its styles partly inline).
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'self'"
    ),
    "Cross-Origin-Opener-Policy": "same-origin",
}


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API. `settings` defaults to the environment's, read at each request."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        app_version = version("canvass")
    except PackageNotFoundError:
        app_version = "0.0.0"

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        close_pools(app)  # the reader pools opened by requests

    app = FastAPI(
        lifespan=lifespan,
        title="Canvass API",
        summary="Which food establishments to inspect first, and why.",
        description=DESCRIPTION,
        version=app_version,
        openapi_tags=TAGS,
        # served below from local files: FastAPI's own page loads Swagger UI from a CDN, which an
        # offline or locked-down machine cannot reach
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.include_router(health.router)
    app.include_router(establishments.router)
    app.include_router(models.router)
    app.include_router(monitoring.router)
    app.add_exception_handler(psycopg.OperationalError, _database_unreachable)
    app.add_exception_handler(psycopg.errors.UndefinedTable, _warehouse_not_built)
    app.add_exception_handler(psycopg.errors.QueryCanceled, _warehouse_busy)
    app.add_exception_handler(psycopg.errors.LockNotAvailable, _warehouse_busy)

    _serve_docs_offline(app)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # noqa: ANN001, ANN202 (Starlette's)
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse(url="/docs")

    return app
