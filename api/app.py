"""The FastAPI app factory: `uvicorn --factory api.app:create_app`.

It reads `marts` and `ml.scores` through the read-only role and never writes.
"""

from __future__ import annotations

import logging

import psycopg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse

from api.routers import establishments, health
from warehouse.settings import Settings

log = logging.getLogger(__name__)

DESCRIPTION = """
Canvass ranks Chicago's food establishments by the estimated chance that a routine inspection
finds a failure, so the inspection team can visit the riskiest first.

* **establishments**: the ranked list, one establishment's score, its inspection history.
* **health**: is the database reachable, which model and as-of date are served.

Scores come from the latest as-of date of the model that scored most recently. The API connects as
the read-only role `canvass_reader`: it cannot change anything in the warehouse.
"""

TAGS = [
    {"name": "establishments", "description": "Scores, ranking and inspection history."},
    {"name": "health", "description": "Liveness and what is being served."},
]


def _database_unreachable(request: Request, exc: Exception) -> JSONResponse:
    log.error("%s %s: database unreachable: %s", request.method, request.url.path, exc)
    return JSONResponse(
        status_code=503,
        content={"detail": f"The warehouse database does not answer ({type(exc).__name__})."},
    )


def _warehouse_not_built(request: Request, exc: Exception) -> JSONResponse:
    log.error("%s %s: missing relation: %s", request.method, request.url.path, exc)
    return JSONResponse(
        status_code=503,
        content={
            "detail": "The warehouse is not built yet (a mart or the ml schema is missing): "
            "run the pipeline, e.g. `canvass demo`."
        },
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API. `settings` defaults to the environment's, read at each request."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        app_version = version("canvass")
    except PackageNotFoundError:
        app_version = "0.0.0"
    app = FastAPI(
        title="Canvass API",
        summary="Which food establishments to inspect first, and why.",
        description=DESCRIPTION,
        version=app_version,
        openapi_tags=TAGS,
        docs_url="/docs",
        redoc_url="/redoc",
    )
    app.state.settings = settings
    app.include_router(health.router)
    app.include_router(establishments.router)
    app.add_exception_handler(psycopg.OperationalError, _database_unreachable)
    app.add_exception_handler(psycopg.errors.UndefinedTable, _warehouse_not_built)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse(url="/docs")

    return app
