"""`/establishments`: the ranking, one establishment's score, and its inspection history."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query

from api import queries
from api.deps import ReaderConnection
from api.schemas import (
    ErrorBody,
    EstablishmentScore,
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


@router.get(
    "/top",
    response_model=TopEstablishments,
    summary="The ranked list: who to inspect first",
    responses={422: {"description": "A bad limit, or an as_of outside the scored dates."}},
)
def top_establishments(
    conn: ReaderConnection,
    limit: Annotated[int, Query(ge=1, le=1000, description="How many to return.")] = 50,
    as_of: Annotated[
        date | None,
        Query(
            description="An as-of date to read instead of the latest scoring run (YYYY-MM-DD), "
            "within the dates scored so far (else 422).",
            ge=EARLIEST_DATE,
        ),
    ] = None,
) -> TopEstablishments:
    """The head of the latest scoring run (the latest as-of date of the model that scored most
    recently), rank 1 first. With `as_of`, the run of the model that most recently scored that
    date. An empty list when nothing is scored (for that date)."""
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
            model_id=None, as_of_date=as_of, scored_establishments=0, limit=limit, establishments=[]
        )
    rows = conn.execute(
        queries.TOP_ESTABLISHMENTS,
        {"model_id": run["model_id"], "as_of_date": run["as_of_date"], "limit": limit},
    ).fetchall()
    return TopEstablishments(
        model_id=run["model_id"],
        as_of_date=run["as_of_date"],
        scored_establishments=run["scored_establishments"],
        limit=limit,
        establishments=[EstablishmentScore(**row) for row in rows],
    )


@router.get(
    "/{license_number}/score",
    response_model=EstablishmentScore,
    summary="One establishment's latest score and rank",
    responses={404: {"model": ErrorBody, "description": "The license has no score."}},
)
def establishment_score(
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
    return EstablishmentScore(**row)


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
