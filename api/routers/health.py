"""`GET /health`: can the API answer, and which scores does it serve."""

from __future__ import annotations

import logging

import psycopg
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from psycopg.rows import dict_row

from api import queries
from api.deps import AppSettings
from api.schemas import Health
from warehouse.db import connect_reader

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=Health,
    summary="Database reachability, latest scoring date and deployed model",
    responses={503: {"model": Health, "description": "The database does not answer."}},
)
def health(settings: AppSettings) -> Health | JSONResponse:
    """Answers 200 while the database answers (status `no_scores` until a model has scored),
    503 with `status: unavailable` when it does not."""
    try:
        with connect_reader(
            settings, statement_timeout_ms=settings.api_statement_timeout_ms
        ) as conn:
            conn.row_factory = dict_row
            row = conn.execute(queries.HEALTH).fetchone()
    except psycopg.errors.UndefinedTable as exc:
        log.warning("health: warehouse not migrated: %s", exc)
        body = Health(
            status="unavailable",
            database="not_migrated",
            detail="The database answers but has no delivery marts: build the warehouse "
            "(`canvass demo`, or `canvass run` on your data).",
        )
        return JSONResponse(status_code=503, content=body.model_dump(mode="json"))
    except psycopg.Error as exc:
        log.error("health: database unreachable: %s", exc)
        body = Health(
            status="unavailable",
            database="unreachable",
            detail=f"The warehouse database does not answer ({type(exc).__name__}).",
        )
        return JSONResponse(status_code=503, content=body.model_dump(mode="json"))
    assert row is not None  # an aggregate-only select always returns one row
    return Health(
        status="ok" if row["scoring_model_id"] else "no_scores",
        database="reachable",
        **row,
    )
