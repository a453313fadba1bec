"""`/establishments`: the ranking (filtered, paged), one establishment's score, why it ranks
where it does, and its inspection history."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response

from api import queries
from api.conditional import not_modified, validators
from api.deps import ReaderConnection
from api.schemas import (
    ErrorBody,
    EstablishmentScore,
    Explanation,
    FeatureWeight,
    Inspection,
    InspectionHistory,
    TopEstablishments,
)

router = APIRouter(prefix="/establishments", tags=["establishments"])

# No inspection is dated before this (the loader rejects earlier dates): `as_of=0` is no date.
EARLIEST_DATE = date(1990, 1, 1)

LicenseNumber = Annotated[
    int, Path(description="The city's license number (an integer).", examples=[1354323])
]

DIGITS = 4  # scores and weights are rounded: more digits claim a precision the model lacks


def rounded(value: float | None) -> float | None:
    return None if value is None else round(float(value), DIGITS)


def establishment_score(row: dict[str, Any]) -> EstablishmentScore:
    """A ranking row as the API shows it: score and probability rounded."""
    return EstablishmentScore(
        **(row | {"score": rounded(row["score"]), "probability": rounded(row["probability"])})
    )


NOT_MODIFIED = {304: {"description": "Not modified: the `If-None-Match` ETag is current."}}


@router.get(
    "/top",
    response_model=TopEstablishments,
    summary="The ranked list: who to inspect first",
    responses={
        **NOT_MODIFIED,
        422: {
            "description": "A bad limit, offset or filter, or an as_of outside the scored dates."
        },
    },
)
def top_establishments(
    request: Request,
    response: Response,
    conn: ReaderConnection,
    limit: Annotated[int, Query(ge=1, le=1000, description="How many to return.")] = 50,
    offset: Annotated[
        int, Query(ge=0, le=1_000_000, description="How many ranked rows to skip (paging).")
    ] = 0,
    facility_group: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=64,
            description="Only this facility group (e.g. restaurant, grocery, school).",
        ),
    ] = None,
    zip: Annotated[  # noqa: A002 (the API's parameter name)
        str | None, Query(pattern=r"^[0-9]{5}$", description="Only this 5-digit zip code.")
    ] = None,
    risk_level: Annotated[
        int | None, Query(ge=1, le=3, description="Only this risk level (1 = high, 3 = low).")
    ] = None,
    as_of: Annotated[
        date | None,
        Query(
            description="An as-of date to read instead of the latest scoring run (YYYY-MM-DD), "
            "within the dates scored so far (else 422).",
            ge=EARLIEST_DATE,
        ),
    ] = None,
) -> TopEstablishments | Response:
    """The latest scoring run (the latest as-of date of the model that scored most recently),
    rank 1 first, optionally filtered by facility group, zip and risk level, a page of `limit`
    from `offset` (`next_offset` gives the next page). With `as_of`, the run of the model that
    most recently scored that date. An empty list when nothing is scored (for that date).

    The answer carries an `ETag` and `Last-Modified` (the run's scoring time): send the ETag
    back in `If-None-Match` to get `304 Not Modified` until a new run is scored."""
    if as_of is not None:
        scored_dates = conn.execute(queries.SCORED_DATES).fetchone()
        first, last = scored_dates["first_date"], scored_dates["last_date"]
        if first is None or not first <= as_of <= last:
            scored = f"scores exist from {first} to {last}" if first else "nothing is scored yet"
            raise HTTPException(
                status_code=422, detail=f"as_of {as_of} is outside the scored dates: {scored}."
            )
    run = conn.execute(queries.CURRENT_RUN, {"as_of": as_of}).fetchone()
    if run is None:
        return TopEstablishments(
            model_id=None,
            as_of_date=as_of,
            scored_establishments=0,
            limit=limit,
            offset=offset,
            establishments=[],
        )
    headers = validators(request, run["model_id"], run["as_of_date"], run["scored_at"])
    if (unchanged := not_modified(request, headers)) is not None:
        return unchanged
    response.headers.update(headers)
    parameters = {
        "model_id": run["model_id"],
        "as_of_date": run["as_of_date"],
        "facility_group": facility_group,
        "zip": zip,
        "risk_level": risk_level,
    }
    matching = conn.execute(queries.TOP_MATCHING, parameters).fetchone()["matching"]
    rows = conn.execute(
        queries.TOP_ESTABLISHMENTS, parameters | {"limit": limit, "offset": offset}
    ).fetchall()
    return TopEstablishments(
        model_id=run["model_id"],
        as_of_date=run["as_of_date"],
        scored_establishments=run["scored_establishments"],
        matching=matching,
        limit=limit,
        offset=offset,
        next_offset=offset + limit if offset + limit < matching else None,
        establishments=[establishment_score(row) for row in rows],
    )


@router.get(
    "/{license_number}/score",
    response_model=EstablishmentScore,
    summary="One establishment's latest score and rank",
    responses={404: {"model": ErrorBody, "description": "The license has no score."}},
)
def score_of_establishment(
    license_number: LicenseNumber, conn: ReaderConnection
) -> EstablishmentScore:
    """The license's newest score from the model that scored most recently, with its name,
    address, facility type and group and risk level."""
    row = conn.execute(queries.ESTABLISHMENT_SCORE, {"license_number": license_number}).fetchone()
    if row is None:
        raise HTTPException(
            status_code=404,
            detail=f"No score for license {license_number}: the latest model did not score it "
            "(unknown license, or not due for a routine inspection).",
        )
    return establishment_score(row)


@router.get(
    "/{license_number}/explanation",
    response_model=Explanation,
    summary="Why an establishment ranks where it does",
    responses={404: {"model": ErrorBody, "description": "The license is not in the ranking."}},
)
def explanation(license_number: LicenseNumber, conn: ReaderConnection) -> Explanation:
    """The features of the license's row in the current ranking: the value the model saw as of
    the ranking's date, and the model's weight on each feature (its share of the model's total
    absolute importance), heaviest first. Weights are the model's, not this establishment's
    contribution to its score."""
    rows = conn.execute(queries.EXPLANATION, {"license_number": license_number}).fetchall()
    if not rows:
        raise HTTPException(
            status_code=404,
            detail=f"License {license_number} is not in the current ranking (unknown license, "
            "or not due for a routine inspection).",
        )
    first = rows[0]
    return Explanation(
        license_number=license_number,
        establishment_id=first["establishment_id"],
        model_id=first["model_id"],
        as_of_date=first["as_of_date"],
        rank=first["score_rank"],
        features_as_of_date=first["features_as_of_date"],
        features=[
            FeatureWeight(
                feature=r["feature"],
                label=r["feature_label"],
                unit=r["feature_unit"],
                group=r["feature_group"],
                value=r["feature_value"],
                model_weight=rounded(r["model_weight"]),
                weight_rank=r["weight_rank"],
            )
            for r in rows
        ],
    )


@router.get(
    "/{license_number}/inspections",
    response_model=InspectionHistory,
    summary="One establishment's inspection history",
    responses={404: {"model": ErrorBody, "description": "The license has no inspections."}},
)
def establishment_inspections(
    license_number: LicenseNumber,
    conn: ReaderConnection,
    limit: Annotated[int, Query(ge=1, le=1000, description="How many, newest first.")] = 100,
) -> InspectionHistory:
    """Every inspection of the license in `marts.fct_inspections`, newest first."""
    rows = conn.execute(
        queries.INSPECTIONS, {"license_number": license_number, "limit": limit}
    ).fetchall()
    if not rows:
        raise HTTPException(
            status_code=404, detail=f"No inspections found for license {license_number}."
        )
    establishment = conn.execute(
        queries.ESTABLISHMENT_BY_LICENSE, {"license_number": license_number}
    ).fetchone()
    establishment = establishment or {}
    return InspectionHistory(
        license_number=license_number,
        establishment_id=establishment.get("establishment_id"),
        name=establishment.get("name"),
        address=establishment.get("address"),
        inspections=[Inspection(**row) for row in rows],
    )
