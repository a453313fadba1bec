"""`/models`: the model that scores now, or any model of the registry, described for people."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request, Response
from fastapi.responses import PlainTextResponse

from api import queries
from api.conditional import not_modified, validators
from api.deps import ReaderConnection
from api.routers.establishments import NOT_MODIFIED, rounded
from api.schemas import (
    BaselineMetrics,
    Calibration,
    CrossValidationMetric,
    ErrorBody,
    ModelDescription,
)

router = APIRouter(prefix="/models", tags=["models"])


def _metric(row: dict[str, Any]) -> CrossValidationMetric:
    return CrossValidationMetric(
        metric=row["metric"],
        parameter=row["parameter"] or "",
        mean=rounded(row["mean_value"]),
        min=rounded(row["min_value"]),
        max=rounded(row["max_value"]),
        windows=row["windows"],
    )


def describe(conn: ReaderConnection, model_id: str | None) -> dict[str, Any] | None:
    """The model (the deployed one when `model_id` is None) with its group's cross-validation and
    the baselines of the same experiment; None when there is no such model."""
    model = conn.execute(queries.MODEL, {"model_id": model_id}).fetchone()
    if model is None:
        return None
    evaluations = conn.execute(
        queries.MODEL_EVALUATIONS, {"model_group_id": model["model_group_id"]}
    ).fetchall()
    own = [e for e in evaluations if e["candidate_kind"] == "model"]
    baselines: dict[str, list[CrossValidationMetric]] = {}
    for e in evaluations:
        if e["candidate_kind"] == "baseline":
            baselines.setdefault(e["candidate_id"], []).append(_metric(e))
    calibration = (
        Calibration(
            method=model["calibration_method"],
            rows=model["calibration_rows"],
            ece_before=rounded(model["calibration_ece_before"]),
            ece_after=rounded(model["calibration_ece_after"]),
        )
        if model["calibration_method"]
        else None
    )
    hyperparameters = json.loads(model["hyperparameters"] or "{}")
    described = {
        k: v for k, v in model.items() if not k.startswith("calibration_") and k != "model_card"
    }
    return {
        **described,
        "hyperparameters": hyperparameters if isinstance(hyperparameters, dict) else {},
        "calibration": calibration,
        "experiment_hash": own[0]["experiment_hash"] if own else None,
        "first_test_start_date": min((e["first_test_start_date"] for e in own), default=None),
        "last_test_end_date": max((e["last_test_end_date"] for e in own), default=None),
        "cross_validation": [_metric(e) for e in own],
        "baselines": [BaselineMetrics(baseline=b, metrics=m) for b, m in baselines.items()],
    }


def _answer(
    request: Request, response: Response, described: dict[str, Any]
) -> ModelDescription | Response:
    headers = validators(request, described["model_id"], described["deployed_at"])
    if (unchanged := not_modified(request, headers)) is not None:
        return unchanged
    response.headers.update(headers)
    return ModelDescription(**described)


@router.get(
    "/current",
    response_model=ModelDescription,
    summary="The model that scores now",
    responses={
        **NOT_MODIFIED,
        404: {"model": ErrorBody, "description": "No model is deployed yet."},
    },
)
def current_model(
    request: Request, response: Response, conn: ReaderConnection
) -> ModelDescription | Response:
    """The deployed model (the latest deployment): its algorithm and hyperparameters, the rows
    and dates it was trained on, its group's cross-validation metrics (mean, min and max over the
    out-of-time windows) beside the baselines', the selection rule that chose it and why, and how
    its scores become probabilities (calibration)."""
    described = describe(conn, None)
    if described is None:
        raise HTTPException(
            status_code=404,
            detail="No model is deployed yet: train one (`canvass train`, or `canvass demo`).",
        )
    return _answer(request, response, described)


CARD_RESPONSES = {
    200: {"content": {"text/markdown": {}}, "description": "The model card, Markdown."},
    **NOT_MODIFIED,
    404: {"model": ErrorBody, "description": "No such model, or it has no card."},
}


def _card(request: Request, conn: ReaderConnection, model_id: str | None) -> Response:
    row = conn.execute(queries.MODEL, {"model_id": model_id}).fetchone()
    if row is None or not row["model_card"]:
        which = f"model {model_id}" if model_id else "the deployed model"
        raise HTTPException(
            status_code=404,
            detail=f"No model card for {which}: cards are written when a selection proposes a "
            "model (`canvass train`).",
        )
    headers = validators(request, row["model_id"], row["deployed_at"], row["model_card"])
    if (unchanged := not_modified(request, headers)) is not None:
        return unchanged
    return PlainTextResponse(row["model_card"], media_type="text/markdown", headers=headers)


@router.get(
    "/current/card",
    response_class=PlainTextResponse,
    summary="The deployed model's model card",
    responses=CARD_RESPONSES,
)
def current_card(request: Request, conn: ReaderConnection) -> Response:
    """What the model that scores is, the data it saw, its features, how it did window by window
    against the baselines, what the bias audit found, its calibration and its limits."""
    return _card(request, conn, None)


@router.get(
    "/{model_id}/card",
    response_class=PlainTextResponse,
    summary="A model version's model card",
    responses=CARD_RESPONSES,
)
def model_card(
    model_id: Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")],
    request: Request,
    conn: ReaderConnection,
) -> Response:
    """The card written when a selection proposed the model, as `/models/current/card`."""
    return _card(request, conn, model_id)


@router.get(
    "/{model_id}",
    response_model=ModelDescription,
    summary="One model of the registry",
    responses={**NOT_MODIFIED, 404: {"model": ErrorBody, "description": "No such model."}},
)
def model_by_id(
    model_id: Annotated[
        str,
        Path(
            min_length=1,
            max_length=64,
            pattern=r"^[A-Za-z0-9_.-]+$",
            description="A model id (`model_id` of a ranking, or of `canvass models`).",
        ),
    ],
    request: Request,
    response: Response,
    conn: ReaderConnection,
) -> ModelDescription | Response:
    """Any trained model: a cross-validation window's model (with its own test window) or a
    refit on every labelled row, described as `/models/current` describes the deployed one."""
    described = describe(conn, model_id)
    if described is None:
        raise HTTPException(status_code=404, detail=f"No model {model_id} in the registry.")
    return _answer(request, response, described)
