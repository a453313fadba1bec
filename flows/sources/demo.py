"""A deterministic generator of Chicago Food Inspections rows, in the portal's CSV export format.

The rows look like the export (`warehouse.datasets.EXPORT_HEADERS`, `MM/DD/YYYY` dates, `Risk 1 (High)`,
`(lat, lon)` locations, numbered violation items) and carry the structure a triage model needs:

- establishments with a hidden risk propensity, a facility type, a risk level and a Chicago zip;
  some exist when the window opens, the rest open during it (a License inspection first), and
  some close (the next canvass finds them "Out of Business");
- routine (canvass) visits every ~6, 12 or 24 months by risk level, with jitter; complaint visits
  more often at worse places; re-inspections after fails;
- outcomes that depend on the hidden propensity, the establishment's own recent results, its
  facility type, its area (zip) and the season, so history features beat random ordering;
- violation text under the pre-2018-07-01 numbering (1-14 critical, 15-29 serious, 30-45 minor) or
  the new one (1-63), titles as the City writes them, short generic comments;
- the dirt of a real export: exact duplicate rows, re-published copies under a new Inspection ID,
  inconsistent casing of names, cities and facility types, trailing spaces in addresses, missing
  coordinates, missing or zero license numbers.

Marginals (result, facility-type and inspection-type mix, violations per inspection) are calibrated
on the real rows in `../shared/data`; `tests/unit/test_demo_generator.py` checks the drift. The work
is vectorised with numpy: the default 2,000 establishments x 5 years (~15k rows) take well under a
second, a million rows (n_establishments=132_000) under 20 seconds on two cores.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from warehouse.datasets import CANONICAL_COLUMNS, EXPORT_HEADERS, canonical_name

log = logging.getLogger(__name__)

HEADERS: tuple[str, ...] = tuple(EXPORT_HEADERS)
# The demo's size and seed wherever a demo is made (`canvass demo`, the pipeline, the ingest flow).
DEMO_ESTABLISHMENTS = 1500
DEMO_SEED = 42
# `canvass demo` replays this many weeks before its full run, so monitoring has a history.
DEMO_REPLAY_WEEKS = 4
SEEDS = Path(__file__).resolve().parents[2] / "seeds"  # the dbt project's reference tables


# --------------------------------------------------------------------------- reference tables
# Violation numbers, titles and how often the real rows cite each (seed violation_codes), and the
# date the City renumbered them (seed violation_code_eras): read from the seeds dbt loads, so the
# generator and the warehouse share one catalogue. Before 2018-07-01: 1-14 critical, 15-29
# serious, 30-45 minor; from then, 1-29 foodborne-illness risk factors, 30-63 the rest.


@dataclass(frozen=True)
class ViolationCatalogue:
    numbering_change: date
    old_codes: tuple[tuple[int, str, int], ...]  # (number, title, weight) before the change
    new_codes: tuple[tuple[int, str, int], ...]  # ... from the change on

    def titles(self, new: bool) -> dict[int, str]:
        return {code: title for code, title, _ in (self.new_codes if new else self.old_codes)}


@cache
def violation_catalogue(seeds: Path = SEEDS) -> ViolationCatalogue:
    """The seeds' violation codes with a demo weight, by era, and the renumbering date."""
    with (seeds / "violation_code_eras.csv").open(newline="", encoding="utf-8") as handle:
        eras = {row["code_era"]: row for row in csv.DictReader(handle)}
    change = date.fromisoformat(eras["from_2018_07"]["valid_from"])
    codes: dict[str, list[tuple[int, str, int]]] = {era: [] for era in eras}
    with (seeds / "violation_codes.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if int(row["demo_weight"]) > 0:
                codes[row["code_era"]].append(
                    (int(row["violation_number"]), row["title"], int(row["demo_weight"]))
                )
    return ViolationCatalogue(
        numbering_change=change,
        old_codes=tuple(sorted(codes["pre_2018_07"])),
        new_codes=tuple(sorted(codes["from_2018_07"])),
    )


# fmt: off
# Short generic comments by severity tier (0 = worst), old and new numbering.
_OLD_COMMENTS: tuple[tuple[str, ...], ...] = (
    (
        "OBSERVED IMPROPER CONDITION AT TIME OF INSPECTION. CORRECTED ON SITE. CRITICAL VIOLATION 7-38-005A.",
        "FOOD DISCARDED VOLUNTARILY. MUST COMPLY AT ALL TIMES. CRITICAL VIOLATION 7-38-005A.",
        "NOT IN COMPLIANCE. INSTRUCTED TO CORRECT IMMEDIATELY. CRITICAL VIOLATION 7-38-005A.",
        "REQUIRED ITEM NOT PROVIDED. CITATION ISSUED. CRITICAL VIOLATION 7-38-030.",
    ),
    (
        "OBSERVED CONDITION NOT IN COMPLIANCE. INSTRUCTED TO CORRECT. SERIOUS VIOLATION 7-38-020.",
        "NO VALID CERTIFICATE ON SITE. MUST PROVIDE. SERIOUS VIOLATION 7-38-012.",
        "MUST PROVIDE AND MAINTAIN AS REQUIRED. SERIOUS VIOLATION 7-38-020.",
        "INSTRUCTED TO CORRECT AND MAINTAIN. SERIOUS VIOLATION 7-38-020.",
    ),
    (
        "INSTRUCTED TO CLEAN AND MAINTAIN.",
        "OBSERVED DEBRIS ON SURFACES. INSTRUCTED TO CLEAN.",
        "MUST REPAIR AND MAINTAIN IN GOOD CONDITION.",
        "OBSERVED WORN SURFACES. MUST REPLACE OR REPAIR.",
        "INSTRUCTED TO PROVIDE AND MAINTAIN AS REQUIRED.",
    ),
)
_NEW_COMMENTS: tuple[tuple[str, ...], ...] = (
    (
        "OBSERVED IMPROPER CONDITION AT TIME OF INSPECTION. PRIORITY VIOLATION 7-38-005. CITATION ISSUED.",
        "REQUIRED ITEM NOT PROVIDED. PRIORITY FOUNDATION VIOLATION 7-38-005. NO CITATION ISSUED.",
        "INSTRUCTED TO CORRECT IMMEDIATELY. PRIORITY FOUNDATION VIOLATION 7-38-005. CITATION ISSUED.",
        "NOT IN COMPLIANCE. INSTRUCTED TO PROVIDE. PRIORITY VIOLATION 7-38-005. CITATION ISSUED.",
    ),
    (
        "INSTRUCTED TO CLEAN AND MAINTAIN.",
        "OBSERVED DEBRIS ON SURFACES. INSTRUCTED TO CLEAN. CORE VIOLATION.",
        "MUST REPAIR AND MAINTAIN IN GOOD CONDITION.",
        "INSTRUCTED TO PROVIDE AND MAINTAIN AS REQUIRED.",
        "OBSERVED WORN SURFACES. MUST REPLACE OR REPAIR. CORE VIOLATION.",
    ),
)

# Real Chicago zips: (zip, latitude, longitude, weight, area effect on the fail logit). Centroids,
# weights and effects (shrunk log-odds against the citywide fail rate) measured on the real rows.
_ZIPS: tuple[tuple[str, float, float, int, float], ...] = (
    ("60601", 41.8858, -87.6254, 855, -0.56),
    ("60602", 41.8828, -87.6291, 348, -0.39),
    ("60603", 41.8806, -87.6290, 429, -0.40),
    ("60604", 41.8780, -87.6286, 327, -0.37),
    ("60605", 41.8718, -87.6260, 750, -0.40),
    ("60606", 41.8807, -87.6355, 867, -0.40),
    ("60607", 41.8770, -87.6528, 1168, -0.02),
    ("60608", 41.8523, -87.6660, 1303, +0.13),
    ("60609", 41.8092, -87.6650, 1004, -0.10),
    ("60610", 41.9038, -87.6337, 1032, -0.10),
    ("60611", 41.8934, -87.6240, 1626, -0.16),
    ("60612", 41.8777, -87.6847, 604, -0.04),
    ("60613", 41.9532, -87.6614, 979, -0.09),
    ("60614", 41.9250, -87.6487, 1773, +0.26),
    ("60615", 41.7996, -87.5922, 495, +0.31),
    ("60616", 41.8508, -87.6321, 938, -0.02),
    ("60617", 41.7273, -87.5525, 821, -0.17),
    ("60618", 41.9496, -87.7022, 1553, -0.31),
    ("60619", 41.7511, -87.6069, 691, +0.46),
    ("60620", 41.7459, -87.6535, 650, +0.23),
    ("60621", 41.7741, -87.6444, 397, +0.09),
    ("60622", 41.9029, -87.6754, 1437, +0.12),
    ("60623", 41.8455, -87.7157, 980, +0.25),
    ("60624", 41.8786, -87.7234, 472, +0.29),
    ("60625", 41.9685, -87.6983, 1213, +0.00),
    ("60626", 42.0088, -87.6719, 698, +0.41),
    ("60628", 41.6956, -87.6254, 849, +0.55),
    ("60629", 41.7789, -87.7081, 893, -0.12),
    ("60630", 41.9691, -87.7568, 704, -0.32),
    ("60631", 41.9973, -87.8123, 414, -0.07),
    ("60632", 41.8067, -87.7043, 1197, +0.09),
    ("60634", 41.9452, -87.7856, 1013, -0.22),
    ("60636", 41.7753, -87.6666, 462, +0.44),
    ("60637", 41.7860, -87.6048, 586, +0.47),
    ("60638", 41.7893, -87.7615, 735, -0.56),
    ("60639", 41.9238, -87.7561, 1113, +0.17),
    ("60640", 41.9727, -87.6598, 1157, +0.23),
    ("60641", 41.9500, -87.7466, 911, -0.41),
    ("60642", 41.9009, -87.6575, 394, +0.19),
    ("60643", 41.7045, -87.6683, 694, -0.10),
    ("60644", 41.8803, -87.7570, 491, +0.23),
    ("60645", 42.0119, -87.6902, 304, +0.30),
    ("60646", 41.9922, -87.7698, 361, -0.20),
    ("60647", 41.9201, -87.6977, 1400, -0.02),
    ("60649", 41.7613, -87.5738, 408, +0.25),
    ("60651", 41.8992, -87.7313, 573, +0.32),
    ("60652", 41.7460, -87.7214, 435, -0.39),
    ("60653", 41.8152, -87.6129, 346, +0.04),
    ("60654", 41.8908, -87.6324, 909, -0.49),
    ("60655", 41.6921, -87.7015, 254, -0.30),
    ("60656", 41.9752, -87.8113, 219, -0.14),
    ("60657", 41.9398, -87.6536, 1594, +0.02),
    ("60659", 41.9955, -87.6989, 902, +0.26),
    ("60660", 41.9912, -87.6606, 722, +0.14),
    ("60661", 41.8820, -87.6414, 557, -0.41),
    ("60666", 42.0085, -87.9144, 745, -0.53),
    ("60707", 41.9237, -87.7971, 271, +0.05),
)

# Facility types: canonical spelling, establishment weight, P(risk 1, 2, 3), fail-logit effect,
# naming kind, and the spellings the export also uses for it.
_FACILITY_TYPES: tuple[tuple[str, float, tuple[float, float, float], float, str, tuple[str, ...]], ...] = (
    ("Restaurant", 0.655, (0.68, 0.27, 0.05), 0.0, "food", ("RESTAURANT", "restaurant ", "Restaurant ")),
    ("Grocery Store", 0.135, (0.16, 0.31, 0.53), 0.25, "grocery", ("Grocery store", "GROCERY STORE", "grocery store")),
    ("School", 0.054, (0.77, 0.18, 0.05), 0.05, "school", ("SCHOOL", "school")),
    ("Children's Services Facility", 0.014, (0.97, 0.03, 0.0), -0.15, "child", ("CHILDRENS SERVICES FACILITY", "Children's Services Facility ")),
    ("Bakery", 0.015, (0.27, 0.72, 0.01), 0.2, "bakery", ("BAKERY", "bakery")),
    ("Daycare Above and Under 2 Years", 0.01, (0.98, 0.02, 0.0), 0.0, "child", ("DAYCARE ABOVE AND UNDER 2 YEARS",)),
    ("Daycare (2 - 6 Years)", 0.009, (0.98, 0.02, 0.0), 0.0, "child", ("Daycare (2 - 6 years)", "DAYCARE (2 - 6 YEARS)")),
    ("Catering", 0.006, (0.97, 0.02, 0.01), -0.4, "food", ("CATERING", "catering")),
    ("Long Term Care", 0.006, (1.0, 0.0, 0.0), 0.25, "care", ("LONG TERM CARE", "long term care")),
    ("Liquor", 0.012, (0.02, 0.13, 0.85), 0.1, "liquor", ("LIQUOR", "liquor")),
    ("Hospital", 0.003, (0.97, 0.03, 0.0), 0.1, "care", ("HOSPITAL",)),
    ("Golden Diner", 0.003, (1.0, 0.0, 0.0), 0.0, "care", ("GOLDEN DINER",)),
    ("Daycare Combo 1586", 0.003, (0.98, 0.02, 0.0), 0.0, "child", ("DAYCARE COMBO 1586",)),
    ("Mobile Food Preparer", 0.004, (0.3, 0.6, 0.1), -0.2, "food", ("MOBILE FOOD PREPARER", "Mobile Food Preparer ")),
    ("Mobile Food Dispenser", 0.004, (0.1, 0.5, 0.4), -0.2, "food", ("MOBILE FOOD DISPENSER",)),
    ("Wholesale", 0.004, (0.5, 0.4, 0.1), 0.1, "grocery", ("WHOLESALE",)),
    ("Daycare (Under 2 Years)", 0.002, (0.98, 0.02, 0.0), 0.0, "child", ("DAYCARE (UNDER 2 YEARS)",)),
    ("Tavern", 0.006, (0.1, 0.3, 0.6), 0.0, "liquor", ("TAVERN", "tavern")),
    ("Shared Kitchen User (Long Term)", 0.002, (0.9, 0.1, 0.0), 0.0, "food", ("SHARED KITCHEN USER (LONG TERM)",)),
    ("Banquet Hall", 0.002, (0.9, 0.1, 0.0), 0.0, "food", ("BANQUET HALL",)),
    ("Gas Station", 0.003, (0.05, 0.3, 0.65), 0.2, "grocery", ("GAS STATION",)),
    ("Convenience Store", 0.003, (0.1, 0.4, 0.5), 0.2, "grocery", ("CONVENIENCE STORE", "convenience")),
)

# Inspection types: the main visits, then re-inspections, then rare ones.
_TYPES: tuple[str, ...] = (
    "Canvass",  # 0
    "Complaint",  # 1
    "Short Form Complaint",  # 2
    "Suspected Food Poisoning",  # 3
    "License",  # 4
    "Canvass Re-Inspection",  # 5
    "Complaint Re-Inspection",  # 6
    "License Re-Inspection",  # 7
    "Suspected Food Poisoning Re-inspection",  # 8
    "Consultation",  # 9
    "Tag Removal",  # 10
    "Non-Inspection",  # 11
    "Recent Inspection",  # 12
    "License-Task Force",  # 13
)
_REINSPECTION_OF = {0: 5, 1: 6, 2: 6, 3: 8, 4: 7, 13: 7}  # main type -> its re-inspection type
_RARE_TYPES = np.array([9, 10, 11, 12, 13])
_RARE_WEIGHTS = np.array([0.22, 0.14, 0.30, 0.14, 0.20])

# Per main type: fail-logit intercept, P(No Entry), P(Not Ready), pass-with-conditions intercept.
_TYPE_OUTCOME: dict[int, tuple[float, float, float, float]] = {
    0: (-1.55, 0.042, 0.0, -0.95),
    1: (-1.45, 0.085, 0.001, -0.15),
    2: (-2.60, 0.013, 0.002, -1.30),
    3: (-1.60, 0.02, 0.0, -0.50),
    4: (-1.05, 0.020, 0.11, -1.30),
    9: (-3.5, 0.05, 0.05, -1.5),
    10: (-3.5, 0.02, 0.0, -1.5),
    11: (-3.0, 0.40, 0.10, -1.5),
    12: (-2.5, 0.05, 0.0, -1.2),
    13: (-1.5, 0.10, 0.05, -1.2),
}

RESULTS: tuple[str, ...] = (
    "Pass",
    "Fail",
    "Pass w/ Conditions",
    "Out of Business",
    "No Entry",
    "Not Ready",
)
_PASS, _FAIL, _PWC, _OOB, _NE, _NR = range(6)

_NS_STREETS = (
    "HALSTED ST", "CLARK ST", "ASHLAND AVE", "WESTERN AVE", "PULASKI RD", "CICERO AVE",
    "KEDZIE AVE", "DAMEN AVE", "STATE ST", "MICHIGAN AVE", "CENTRAL AVE", "HARLEM AVE",
    "LINCOLN AVE", "MILWAUKEE AVE", "COTTAGE GROVE AVE", "KOSTNER AVE", "CALIFORNIA AVE",
    "RACINE AVE", "WELLS ST", "LARAMIE AVE", "NARRAGANSETT AVE", "AUSTIN AVE", "WABASH AVE",
    "KILPATRICK AVE", "LAVERGNE AVE", "LONG AVE",
)
_EW_NORTH_STREETS = (
    "BELMONT AVE", "FULLERTON AVE", "DIVISION ST", "CHICAGO AVE", "MADISON ST", "IRVING PARK RD",
    "LAWRENCE AVE", "DEVON AVE", "NORTH AVE", "GRAND AVE", "LAKE ST", "FOSTER AVE", "ADDISON ST",
    "DIVERSEY PKWY", "ARMITAGE AVE", "MONTROSE AVE", "PETERSON AVE", "TOUHY AVE", "HOWARD ST",
    "RANDOLPH ST", "WASHINGTON BLVD", "ROSCOE ST",
)
_EW_SOUTH_STREETS = (
    "ROOSEVELT RD", "CERMAK RD", "26TH ST", "31ST ST", "35TH ST", "47TH ST", "51ST ST", "55TH ST",
    "63RD ST", "71ST ST", "79TH ST", "87TH ST", "95TH ST", "103RD ST", "111TH ST", "ARCHER AVE",
    "18TH ST", "OGDEN AVE",
)

_FIRST_NAMES = (
    "JOE'S", "MARIA'S", "TONY'S", "LUCY'S", "SAM'S", "ROSA'S", "AL'S", "NICK'S", "ANGELO'S",
    "KIM'S", "LEE'S", "CHEN'S", "PAPA'S", "MAMA'S", "GEORGE'S", "JIMMY'S", "LUIS'", "ANNA'S",
    "OMAR'S", "PETE'S", "RAY'S", "SOFIA'S", "MIKE'S", "NINA'S", "CARLOS'", "HAKIM'S",
)
_ADJECTIVES = (
    "GOLDEN", "LUCKY", "NEW", "GRAND", "LITTLE", "BIG", "HAPPY", "ROYAL", "OLD TOWN", "WEST SIDE",
    "SOUTH SIDE", "NORTH SHORE", "LAKEVIEW", "WINDY CITY", "EL", "LA", "GREEN", "SUNRISE",
    "MIDWEST", "PILSEN", "BRIDGEPORT", "UPTOWN", "RIVER NORTH", "ORIENTAL", "FIESTA", "STAR",
    "CORNER", "FAMILY", "CITY", "PRAIRIE",
)
_SURNAMES = (
    "LINCOLN", "WASHINGTON", "JEFFERSON", "HAYES", "DOUGLASS", "ADDAMS", "CLEMENTE", "LANE",
    "TAFT", "KELLY", "CURIE", "HUBBARD", "JUAREZ", "BOGAN", "FARRAGUT", "MATHER", "SULLIVAN",
    "STEINMETZ", "DUNBAR", "KENWOOD", "HYDE", "BRENNEMANN", "OGDEN", "PEIRCE", "MURRAY", "BELL",
    "DEWEY", "EDISON", "MARSHALL", "NIGHTINGALE",
)
_NOUNS: dict[str, tuple[str, ...]] = {
    "food": (
        "GRILL", "KITCHEN", "PIZZA", "TACOS", "TAQUERIA", "BBQ", "DINER", "CAFE", "WOK", "SUSHI",
        "BURGERS", "HOT DOGS", "RESTAURANT", "CHICKEN", "NOODLE HOUSE", "GYROS", "DELI", "THAI",
        "PHO", "PUB", "BISTRO", "CANTINA", "GRILL & BAR", "BUFFET", "SUBS", "CATERING",
    ),
    "grocery": (
        "FOOD MART", "GROCERY", "MINI MART", "FRESH MARKET", "SUPERMERCADO", "FOODS",
        "MEAT MARKET", "FOOD & LIQUOR",
    ),
    "school": (
        "ELEMENTARY SCHOOL", "HIGH SCHOOL", "ACADEMY", "MIDDLE SCHOOL", "COLLEGE PREP",
    ),
    "child": (
        "LEARNING CENTER", "CHILD CARE", "EARLY LEARNING", "KIDS ACADEMY", "DAYCARE",
    ),
    "bakery": (
        "BAKERY", "PANADERIA", "DONUTS", "PASTRY SHOP", "CAKES",
    ),
    "care": (
        "NURSING & REHAB CENTER", "SENIOR CENTER", "MEMORIAL HOSPITAL", "CARE CENTER",
    ),
    "liquor": (
        "LIQUORS", "LOUNGE", "TAP", "WINE & SPIRITS",
    ),
}
_NAME_BY_SURNAME = {"school", "care"}
_COMPANY_SUFFIXES = (" INC", " LLC", " INC.", " CORP", " CO")
# fmt: on

# Calibrated rates (per establishment-year unless stated).
_SHARE_EXISTING = 0.52  # establishments already open when the window starts
_SHARE_GHOST = 0.13  # closed before the window; one canvass finds them out of business
_CLOSE_RATE = 0.17
_COMPLAINT_RATE = 0.32
_RARE_RATE = 0.035
_RELICENSE_RATE = 0.20  # License inspections of open places (new owner, new license)
_CANVASS_INTERVAL = np.array([182.0, 365.0, 730.0])  # days, by risk level 1-3
_P_OOB_FOUND = 0.85  # the first canvass after closing records "Out of Business"


# --------------------------------------------------------------------------- helpers


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _weekday_shift(days: np.ndarray, start: date) -> np.ndarray:
    """Move Saturday to Friday and Sunday to Monday (inspections happen on weekdays)."""
    weekday = (days + start.weekday()) % 7
    return days + np.where(weekday == 5, -1, 0) + np.where(weekday == 6, 1, 0)


def _season(days: np.ndarray, start: date) -> tuple[np.ndarray, np.ndarray]:
    """(fail effect peaking in August, pass-with-conditions effect peaking in June)."""
    doy = (days + start.timetuple().tm_yday - 1) % 365.25
    fail = 0.14 * np.cos(2 * np.pi * (doy - 222) / 365.25)
    pwc = 0.35 * np.cos(2 * np.pi * (doy - 166) / 365.25)
    return fail, pwc


class _Establishments:
    """Columns of the establishments, one row each; vectorised attributes only."""

    def __init__(self, rng: np.random.Generator, n: int, horizon: int) -> None:
        self.n = n
        self.propensity = rng.normal(size=n)
        weights = np.array([f[1] for f in _FACILITY_TYPES])
        self.facility = rng.choice(len(_FACILITY_TYPES), size=n, p=weights / weights.sum())
        risk_p = np.array([f[2] for f in _FACILITY_TYPES])[self.facility]
        u = rng.random(n)
        self.risk = 1 + (u > risk_p[:, 0]).astype(int) + (u > risk_p[:, 0] + risk_p[:, 1])
        self.facility_effect = np.array([f[3] for f in _FACILITY_TYPES])[self.facility]
        zip_w = np.array([z[3] for z in _ZIPS], dtype=float)
        self.zip = rng.choice(len(_ZIPS), size=n, p=zip_w / zip_w.sum())
        self.area_effect = np.array([z[4] for z in _ZIPS])[self.zip]
        # Scattered around the zip centroid, kept inside the city's extent.
        lat = np.array([z[1] for z in _ZIPS])[self.zip] + rng.normal(0, 0.0075, n)
        lon = np.array([z[2] for z in _ZIPS])[self.zip] + rng.normal(0, 0.012, n)
        self.lat = np.clip(lat, 41.645, 42.022)
        self.lon = np.clip(lon, -87.939, -87.525)

        ghost = rng.random(n) < _SHARE_GHOST
        existing = ghost | (rng.random(n) < _SHARE_EXISTING / (1 - _SHARE_GHOST))
        self.ghost = ghost
        open_day = np.where(
            existing, -rng.integers(30, 3650, n), rng.integers(0, max(horizon, 1), n)
        )
        ghost_closed = -rng.integers(1, 365, n)
        self.open_day = np.where(ghost, np.minimum(open_day, ghost_closed - 30), open_day)
        # Worse places close a little more often.
        rate = _CLOSE_RATE * np.exp(0.25 * self.propensity) / 365.25
        lifetime = rng.exponential(1.0 / rate)
        self.close_day = np.where(
            ghost,
            ghost_closed,
            np.maximum(self.open_day, 0) + 60 + lifetime.astype(np.int64),
        )
        # Licenses are issued in opening order, so newer places carry larger numbers.
        order = np.argsort(self.open_day, kind="stable")
        license_number = np.empty(n, dtype=np.int64)
        license_number[order] = 1_000_000 + np.cumsum(rng.integers(1, 60, n))
        self.license = license_number
        self.names(rng)

    def names(self, rng: np.random.Generator) -> None:
        n = self.n
        kinds = [_FACILITY_TYPES[i][4] for i in self.facility]
        first = rng.integers(0, 10_000, n)
        second = rng.integers(0, 10_000, n)
        use_first_name = rng.random(n) < 0.4
        base = []
        for i in range(n):
            kind = kinds[i]
            nouns = _NOUNS[kind]
            if kind in _NAME_BY_SURNAME:
                head = _SURNAMES[first[i] % len(_SURNAMES)]
            elif use_first_name[i]:
                head = _FIRST_NAMES[first[i] % len(_FIRST_NAMES)]
            else:
                head = _ADJECTIVES[first[i] % len(_ADJECTIVES)]
            base.append(f"{head} {nouns[second[i] % len(nouns)]}")
        base_arr = np.array(base, dtype=object)
        company = rng.random(n) < 0.18
        suffix = np.array(_COMPANY_SUFFIXES, dtype=object)[
            rng.integers(0, len(_COMPANY_SUFFIXES), n)
        ]
        self.dba = np.where(company, base_arr + suffix, base_arr)
        aka_draw = rng.random(n)
        self.aka = np.where(aka_draw < 0.14, "", base_arr)

        # Address: the street grid (800 numbers a mile from State and Madison), direction from
        # which side of the origin the place lies on.
        north_south = rng.random(n) < 0.5
        miles_ns = (self.lat - 41.8819) * 69.0
        miles_ew = (self.lon + 87.6278) * 51.7
        number = np.where(north_south, np.abs(miles_ns), np.abs(miles_ew)) * 800
        number = np.maximum(number.astype(np.int64) + rng.integers(-40, 40, n), 1)
        direction = np.where(
            north_south, np.where(miles_ns >= 0, "N", "S"), np.where(miles_ew >= 0, "E", "W")
        )
        pick = rng.integers(0, 1000, n)
        street = np.where(
            north_south,
            np.array(_NS_STREETS, dtype=object)[pick % len(_NS_STREETS)],
            np.where(
                miles_ns >= -1.5,
                np.array(_EW_NORTH_STREETS, dtype=object)[pick % len(_EW_NORTH_STREETS)],
                np.array(_EW_SOUTH_STREETS, dtype=object)[pick % len(_EW_SOUTH_STREETS)],
            ),
        )
        self.address = np.array(
            [
                f"{a} {b} {c}"
                for a, b, c in zip(
                    number.tolist(), direction.tolist(), street.tolist(), strict=True
                )
            ],
            dtype=object,
        )


def _canvass_visits(
    rng: np.random.Generator, est: _Establishments, horizon: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(establishment, day, is_out_of_business) of routine visits, by risk-level schedules."""
    n = est.n
    interval = _CANVASS_INTERVAL[est.risk - 1]
    active_from = np.maximum(est.open_day, 0)
    new = est.open_day >= 0
    first = np.where(
        new,
        active_from + rng.uniform(0.2, 1.0, n) * interval,
        rng.uniform(0.0, 1.0, n) * interval,
    )
    first = np.where(est.ghost, rng.uniform(0, min(horizon, 730), n), first)
    k = int(np.ceil(horizon / (_CANVASS_INTERVAL[0] * 0.7))) + 2
    gaps = interval[:, None] * rng.uniform(0.7, 1.3, (n, k))
    # Now and then a cycle is skipped (the team falls behind).
    gaps *= np.where(rng.random((n, k)) < 0.06, 1.8, 1.0)
    gaps[:, 0] = first
    days = np.cumsum(gaps, axis=1).astype(np.int64)
    in_window = days <= horizon
    open_then = days < est.close_day[:, None]
    # The first visit after closing finds the place gone; later ones never happen.
    after_close = ~open_then
    first_after = after_close & (np.cumsum(after_close, axis=1) == 1)
    found = rng.random(n) < np.where(est.ghost, 1.0, _P_OOB_FOUND)
    oob = first_after & found[:, None]
    keep = in_window & (open_then | oob)
    rows, cols = np.nonzero(keep)
    return rows, days[rows, cols], oob[rows, cols]


def _poisson_visits(
    rng: np.random.Generator, est: _Establishments, horizon: int, rate_per_year: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(establishment, day) of visits arriving at random while the place is open."""
    lo = np.maximum(est.open_day, 0)
    hi = np.minimum(est.close_day, horizon)
    span = np.clip(hi - lo, 0, None)
    counts = rng.poisson(rate_per_year * span / 365.25)
    who = np.repeat(np.arange(est.n), counts)
    days = lo[who] + (rng.random(who.size) * span[who]).astype(np.int64)
    return who, days


def _outcomes(
    rng: np.random.Generator,
    est: _Establishments,
    who: np.ndarray,
    days: np.ndarray,
    types: np.ndarray,
    oob: np.ndarray,
    start: date,
) -> np.ndarray:
    """Results of the main visits, in date order per establishment, each seeing its own past."""
    result = np.full(who.size, _PASS, dtype=np.int8)
    order = np.lexsort((days, who))
    sorted_who = who[order]
    group_start = np.r_[0, np.flatnonzero(np.diff(sorted_who)) + 1]
    sizes = np.diff(np.r_[group_start, sorted_who.size])
    position = np.arange(sorted_who.size) - np.repeat(group_start, sizes)
    by_position = order[np.argsort(position, kind="stable")]
    bounds = np.r_[0, np.cumsum(np.bincount(position))]

    params = np.zeros((len(_TYPES), 4))
    for t, p in _TYPE_OUTCOME.items():
        params[t] = p
    fail_season, pwc_season = _season(days, start)
    last_fail = np.zeros(est.n)
    fail_memory = np.zeros(est.n)  # decayed count of earlier fails
    base = 1.0 * est.propensity + est.facility_effect + est.area_effect

    for k in range(len(bounds) - 1):
        idx = by_position[bounds[k] : bounds[k + 1]]
        e = who[idx]
        t = types[idx]
        u = rng.random((3, idx.size))
        ne = u[0] < params[t, 1]
        nr = ~ne & (u[0] < params[t, 1] + params[t, 2])
        logit = params[t, 0] + base[e] + 0.55 * last_fail[e] + 0.3 * fail_memory[e]
        logit += fail_season[idx]
        fail = u[1] < _sigmoid(logit)
        pwc_logit = params[t, 3] + 0.45 * est.propensity[e] + 0.3 * last_fail[e] + pwc_season[idx]
        pwc = u[2] < _sigmoid(pwc_logit)
        r = np.where(fail, _FAIL, np.where(pwc, _PWC, _PASS))
        r = np.where(nr, _NR, np.where(ne, _NE, r))
        r = np.where(oob[idx], _OOB, r)
        result[idx] = r
        graded = np.isin(r, (_PASS, _FAIL, _PWC))
        eg = e[graded]
        failed = (r[graded] == _FAIL).astype(float)
        last_fail[eg] = failed
        fail_memory[eg] = 0.6 * fail_memory[eg] + failed
    return result


def _reinspections(
    rng: np.random.Generator,
    est: _Establishments,
    who: np.ndarray,
    days: np.ndarray,
    types: np.ndarray,
    results: np.ndarray,
    horizon: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Follow-up visits after fails (and some conditional passes), up to two rounds deep."""
    reinspection_type = np.zeros(len(_TYPES), dtype=np.int16)
    for main, follow_up in _REINSPECTION_OF.items():
        reinspection_type[main] = follow_up
    out: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    for depth in range(2):
        followed = np.isin(types, list(_REINSPECTION_OF))
        p = np.where(results == _FAIL, 0.92 if depth == 0 else 0.8, 0.0)
        p = np.where(results == _PWC, 0.12 if depth == 0 else 0.0, p)
        p = np.where(results == _NR, 0.9, p)
        go = followed & (rng.random(who.size) < p)
        e = who[go]
        d = days[go] + 7 + rng.gamma(2.0, 7.0, e.size).astype(np.int64)
        inside = (d <= horizon) & (d < est.close_day[e])
        e, d = e[inside], d[inside]
        main_type = types[go][inside]
        t = reinspection_type[main_type]
        fail = rng.random(e.size) < _sigmoid(-2.8 + 0.7 * est.propensity[e])
        pwc = rng.random(e.size) < 0.24
        r = np.where(fail, _FAIL, np.where(pwc, _PWC, _PASS)).astype(np.int8)
        r = np.where(rng.random(e.size) < 0.008, _NE, r).astype(np.int8)
        out.append((e, d, t, r))
        # A failed re-inspection is followed up again, as a re-inspection of the same kind.
        who, days, types, results = e, d, main_type, r
    who, days, types, results = (np.concatenate(column) for column in zip(*out, strict=True))
    return who, days, types, results


def _violations(
    rng: np.random.Generator, results: np.ndarray, new_numbering: np.ndarray
) -> np.ndarray:
    """The Violations text of each row: numbered items `N. TITLE - Comments: ...` joined by ` | `."""
    n = results.size
    # Mean number of items given there is any text, by result (pass, fail, pwc), per numbering.
    # (Drawn a little high: repeated codes within a report are merged afterwards.)
    mean_old = np.array([3.6, 5.9, 6.0, 1.0, 6.0, 3.6])
    mean_new = np.array([3.4, 9.0, 6.5, 1.0, 9.0, 4.8])
    p_text = np.array([0.80, 0.97, 0.98, 0.0, 0.01, 0.01])
    has_text = rng.random(n) < p_text[results]
    mean = np.where(new_numbering, mean_new[results], mean_old[results])
    dispersion = 1.6
    extra = rng.negative_binomial(dispersion, dispersion / (dispersion + mean - 1.0))
    count = np.where(has_text, 1 + extra, 0)
    row = np.repeat(np.arange(n), count)
    first = np.r_[True, row[1:] != row[:-1]] if row.size else np.zeros(0, dtype=bool)
    res = results[row]
    new = new_numbering[row]

    # Severity tier of each item. Old: 0 critical, 1 serious, 2 minor; new: 0 risk factor, 1 other.
    # Per result: P(critical), P(serious) per old item; P(risk factor) per new item; the share of
    # reports whose first item is forced grave, and the share of those (old) that are critical.
    old_tier_p = {_FAIL: (0.03, 0.25), _PWC: (0.03, 0.15), _PASS: (0.01, 0.03)}
    new_tier_p = {_FAIL: 0.22, _PWC: 0.22, _PASS: 0.012}
    forced_p = {_FAIL: (0.85, 0.75, 0.22), _PWC: (0.85, 0.6, 0.6)}
    u = rng.random(row.size)
    crit = np.zeros(row.size)
    serious = np.full(row.size, 0.1)
    risk_factor = np.full(row.size, 0.1)
    forced_share = np.zeros(row.size)
    critical_share = np.zeros(row.size)
    for r, (pc, ps) in old_tier_p.items():
        crit = np.where(res == r, pc, crit)
        serious = np.where(res == r, ps, serious)
        risk_factor = np.where(res == r, new_tier_p[r], risk_factor)
    for r, (p_old, p_new, p_critical) in forced_p.items():
        forced_share = np.where(res == r, np.where(new, p_new, p_old), forced_share)
        critical_share = np.where(res == r, p_critical, critical_share)
    old_tier = np.where(u < crit, 0, np.where(u < crit + serious, 1, 2))
    new_tier = np.where(u < risk_factor, 0, 1)
    # A failing or conditional report usually names at least one grave item.
    forced = first & (rng.random(row.size) < forced_share)
    grave_old = np.where(rng.random(row.size) < critical_share, 0, 1)
    old_tier = np.where(forced, grave_old, old_tier)
    new_tier = np.where(forced, 0, new_tier)
    tier = np.where(new, new_tier, old_tier)

    catalogue = violation_catalogue()
    code = np.zeros(row.size, dtype=np.int64)
    for is_new, table, bounds in (
        (False, catalogue.old_codes, ((1, 14), (15, 29), (30, 45))),
        (True, catalogue.new_codes, ((1, 29), (30, 63))),
    ):
        for t, (lo, hi) in enumerate(bounds):
            mask = (new == is_new) & (tier == t)
            codes = np.array([c for c, _, _ in table if lo <= c <= hi])
            w = np.array([wt for c, _, wt in table if lo <= c <= hi], dtype=float)
            code[mask] = rng.choice(codes, size=int(mask.sum()), p=w / w.sum())

    # One item per code in a report, in code order.
    key = (row.astype(np.int64) * 2 + new) * 100 + code
    key, keep = np.unique(key, return_index=True)
    row, code, tier, new = row[keep], code[keep], tier[keep], new[keep]

    n_comments = 5
    text_table = np.full(2 * 100 * n_comments, "", dtype=object)
    for is_new, table, comments, tier_of in (
        (0, catalogue.old_codes, _OLD_COMMENTS, lambda c: 0 if c <= 14 else 1 if c <= 29 else 2),
        (1, catalogue.new_codes, _NEW_COMMENTS, lambda c: 0 if c <= 29 else 1),
    ):
        for c, title, _ in table:
            pool = comments[tier_of(c)]
            for j in range(n_comments):
                text_table[(is_new * 100 + c) * n_comments + j] = (
                    f"{c}. {title} - Comments: {pool[j % len(pool)]}"
                )
    comment = rng.integers(0, n_comments, row.size)
    items = text_table[(new.astype(np.int64) * 100 + code) * n_comments + comment].tolist()
    texts = np.full(n, "", dtype=object)
    if row.size:
        starts = np.r_[0, np.flatnonzero(np.diff(row)) + 1]
        ends = np.r_[starts[1:], row.size]
        texts[row[starts]] = [
            " | ".join(items[a:b]) for a, b in zip(starts.tolist(), ends.tolist(), strict=True)
        ]
    return texts


def _format_coordinate(values: np.ndarray) -> np.ndarray:
    return np.array([repr(round(float(v), 14)) for v in values], dtype=object)


# --------------------------------------------------------------------------- public API


def generate_inspections(
    n_establishments: int = DEMO_ESTABLISHMENTS,
    start: date = date(2015, 1, 1),
    end: date = date(2019, 12, 31),
    seed: int = DEMO_SEED,
) -> pd.DataFrame:
    """Inspections of `n_establishments` made-up Chicago places from `start` to `end` (inclusive).

    Columns are `warehouse.datasets.EXPORT_HEADERS` in export order; every value is a string ('' when empty);
    rows are sorted by inspection date, then Inspection ID. The same seed gives the same frame.
    """
    if n_establishments < 1:
        raise ValueError("n_establishments must be at least 1")
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    rng = np.random.default_rng(seed)
    horizon = (end - start).days
    est = _Establishments(rng, n_establishments, horizon)

    c_who, c_day, c_oob = _canvass_visits(rng, est, horizon)
    complaint_rate = _COMPLAINT_RATE * np.exp(0.55 * est.propensity)
    p_who, p_day = _poisson_visits(rng, est, horizon, complaint_rate)
    p_type = rng.choice([1, 2, 3], size=p_who.size, p=[0.76, 0.21, 0.03])
    r_who, r_day = _poisson_visits(rng, est, horizon, np.full(est.n, _RARE_RATE))
    r_type = rng.choice(_RARE_TYPES, size=r_who.size, p=_RARE_WEIGHTS / _RARE_WEIGHTS.sum())
    new = np.flatnonzero((est.open_day >= 0) & (est.open_day <= horizon))
    l_day = np.maximum(est.open_day[new] - rng.integers(0, 21, new.size), 0)
    x_who, x_day = _poisson_visits(rng, est, horizon, np.full(est.n, _RELICENSE_RATE))
    new = np.concatenate([new, x_who])
    l_day = np.concatenate([l_day, x_day])

    who = np.concatenate([c_who, p_who, r_who, new])
    days = np.concatenate([c_day, p_day, r_day, l_day])
    types = np.concatenate([np.zeros(c_who.size), p_type, r_type, np.full(new.size, 4)]).astype(
        np.int16
    )
    oob = np.concatenate([c_oob, np.zeros(who.size - c_who.size, dtype=bool)])
    days = _weekday_shift(days, start)
    results = _outcomes(rng, est, who, days, types, oob, start)

    f_who, f_day, f_type, f_res = _reinspections(rng, est, who, days, types, results, horizon)
    who = np.concatenate([who, f_who])
    days = np.clip(_weekday_shift(np.concatenate([days, f_day]), start), 0, horizon)
    types = np.concatenate([types, f_type])
    results = np.concatenate([results, f_res]).astype(np.int8)

    frame = _to_export(rng, est, who, days, types, results, start)
    log.info(
        "generated %d inspections of %d establishments (%s to %s, seed %d)",
        len(frame),
        n_establishments,
        start,
        end,
        seed,
    )
    return frame


def _to_export(
    rng: np.random.Generator,
    est: _Establishments,
    who: np.ndarray,
    days: np.ndarray,
    types: np.ndarray,
    results: np.ndarray,
    start: date,
) -> pd.DataFrame:
    """The rows as the portal writes them, dirt included."""
    n = who.size
    order = np.lexsort((rng.random(n), days))
    who, days, types, results = who[order], days[order], types[order], results[order]

    # Inspection IDs grow with time, with gaps; older windows get smaller numbers.
    base = 40_000 + max((start - date(2010, 1, 1)).days, 0) * 330
    ids = base + np.cumsum(rng.integers(1, 40, n))

    dates = np.datetime64(start.isoformat(), "D") + days.astype("timedelta64[D]")
    unique_days, day_index = np.unique(days, return_inverse=True)
    day_text = pd.DatetimeIndex(
        np.datetime64(start.isoformat(), "D") + unique_days.astype("timedelta64[D]")
    ).strftime("%m/%d/%Y")
    date_text = day_text.to_numpy(dtype=object)[day_index]
    change = violation_catalogue().numbering_change
    new_numbering = dates >= np.datetime64(change.isoformat(), "D")
    violations = _violations(rng, results, new_numbering)

    # Facility type spellings vary by row, as the export's do.
    facility = est.facility[who]
    canonical = np.array([f[0] for f in _FACILITY_TYPES], dtype=object)[facility]
    facility_text = canonical.copy()
    respell = np.flatnonzero(rng.random(n) < 0.07)
    pick = rng.integers(0, 1000, respell.size)
    facility_text[respell] = [
        _FACILITY_TYPES[f][5][p % len(_FACILITY_TYPES[f][5])]
        for f, p in zip(facility[respell].tolist(), pick.tolist(), strict=True)
    ]
    facility_text[rng.random(n) < 0.004] = ""

    risk_text = np.array(["Risk 1 (High)", "Risk 2 (Medium)", "Risk 3 (Low)"], dtype=object)[
        est.risk[who] - 1
    ]
    odd_risk = rng.random(n)
    risk_text = np.where((types == 4) & (odd_risk < 0.02), "All", risk_text)
    risk_text = np.where(odd_risk > 0.9995, "", risk_text)

    dba = est.dba[who]
    aka = est.aka[who]
    recase = rng.random(n) < 0.04
    dba[recase] = [name.title() for name in dba[recase]]

    address = est.address[who]
    space = rng.random(n)
    address = np.where(space < 0.8, address + " ", np.where(space < 0.82, address + "  ", address))

    city_draw = rng.random(n)
    city = np.select(
        [city_draw < 0.015, city_draw < 0.05, city_draw < 0.052],
        ["", "Chicago", "chicago"],
        "CHICAGO",
    ).astype(object)
    state = np.where(city == "", "", "IL").astype(object)
    zips = np.array([z[0] for z in _ZIPS], dtype=object)[est.zip[who]]
    zips = np.where(rng.random(n) < 0.003, "", zips)

    # Missing coordinates: whole establishments the geocoder missed, plus odd rows.
    no_geocode = rng.random(est.n) < 0.09
    missing_xy = no_geocode[who] | (rng.random(n) < 0.01)
    est_lat = _format_coordinate(est.lat)
    est_lon = _format_coordinate(est.lon)
    est_location = np.array(
        [f"({a}, {b})" for a, b in zip(est_lat.tolist(), est_lon.tolist(), strict=True)],
        dtype=object,
    )
    lat_text, lon_text, location = est_lat[who], est_lon[who], est_location[who]
    lat_text = np.where(missing_xy, "", lat_text)
    lon_text = np.where(missing_xy, "", lon_text)
    location = np.where(missing_xy, "", location)

    license_draw = rng.random(est.n)
    license_text = est.license.astype(str).astype(object)
    license_text = np.where(license_draw < 0.03, "", license_text)
    license_text = np.where((license_draw >= 0.03) & (license_draw < 0.036), "0", license_text)
    license_text = license_text[who]

    result_text = np.array(RESULTS, dtype=object)[results]
    result_text = np.where(
        (results == _OOB) & (rng.random(n) < 0.01), "Business Not Located", result_text
    )
    type_text = np.array(_TYPES, dtype=object)[types]
    odd_type = rng.random(n) < 0.002
    type_text = np.where(
        odd_type, np.array([s.upper() for s in type_text], dtype=object), type_text
    )

    frame = pd.DataFrame(
        {
            "Inspection ID": ids.astype(str).astype(object),
            "DBA Name": dba,
            "AKA Name": aka,
            "License #": license_text,
            "Facility Type": facility_text,
            "Risk": risk_text,
            "Address": address,
            "City": city,
            "State": state,
            "Zip": zips,
            "Inspection Date": date_text,
            "Inspection Type": type_text,
            "Results": result_text,
            "Violations": violations,
            "Latitude": lat_text,
            "Longitude": lon_text,
            "Location": location,
        }
    )

    # Exact duplicate rows, and re-published copies of an inspection under a new ID.
    duplicated = np.flatnonzero(rng.random(n) < 0.005)
    republished = np.flatnonzero(rng.random(n) < 0.005)
    copies = frame.iloc[republished].copy()
    copies["Inspection ID"] = (
        ids[-1] + 1 + np.arange(republished.size) * 7 + rng.integers(0, 7, republished.size)
    ).astype(str)
    frame = pd.concat([frame, frame.iloc[duplicated], copies], ignore_index=True)
    sort_days = np.concatenate([days, days[duplicated], days[republished]])
    sort_ids = frame["Inspection ID"].astype(np.int64).to_numpy()
    frame = frame.iloc[np.lexsort((sort_ids, sort_days))].reset_index(drop=True)
    return frame[list(HEADERS)]


def write_export_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write `frame` as the portal's CSV export: its headers, minimal quoting, empty for missing."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame[list(HEADERS)].to_csv(
        path, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n", na_rep=""
    )
    return path


def demo_rows(
    n_establishments: int = DEMO_ESTABLISHMENTS,
    start: date = date(2015, 1, 1),
    end: date = date(2019, 12, 31),
    seed: int = DEMO_SEED,
) -> pd.DataFrame:
    """The generated rows under `warehouse.datasets.CANONICAL_COLUMNS`, every value a string."""
    frame = generate_inspections(n_establishments=n_establishments, start=start, end=end, seed=seed)
    renamed = frame.rename(columns={h: canonical_name(h) for h in frame.columns})
    return renamed[list(CANONICAL_COLUMNS)]


# --------------------------------------------------------------------------- the other sources
# The City's other datasets for the same made-up places: 311 sanitation complaints close to each
# establishment (its alley, its dumpster), more at places with a worse hidden propensity and in
# worse areas; burglaries around it, more in worse areas; and O'Hare's daily weather by season.
# The effect is real but modest: on the default demo, complaints within 500 m in the 90 days
# before correlate about 0.05 with a fail (the neighbours' complaints dilute each place's own).
# Densities are scaled down from the real files (about 30 complaints and 28 burglaries a km² a
# year in 2011-2014) to a few events a year near each place, so the demo stays small.
_COMPLAINTS_PER_YEAR = 3.0  # near each establishment, at propensity and area effect 0
_BURGLARIES_PER_YEAR = 2.0
_KM_PER_DEGREE_LAT = 111.2
_NATURES = (
    "Garbage in yard",
    "Garbage in alley",
    "Dumpster not being emptied",
    "Overflowing carts",
)
_BURGLARY_KINDS = (
    ("0610", "FORCIBLE ENTRY"),
    ("0620", "UNLAWFUL ENTRY"),
    ("0630", "ATTEMPT FORCIBLE ENTRY"),
)


def _us_dates(start: date, days: np.ndarray) -> np.ndarray:
    stamps = pd.to_datetime(start) + pd.to_timedelta(days, unit="D")
    return np.asarray(stamps.strftime("%m/%d/%Y"), dtype=object)


def _events_near(
    rng: np.random.Generator,
    est: _Establishments,
    horizon: int,
    per_year: float,
    radius_km: float,
    effect: float,
    area_effect: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(day, lat, lon) of events within `radius_km` of the establishments, uniform in the disc, at
    `per_year` x exp(effect x propensity + area_effect x the zip's fail effect) a year each."""
    rate = per_year * np.exp(effect * est.propensity + area_effect * est.area_effect) / 365.25
    counts = rng.poisson(rate * (horizon + 1))
    who = np.repeat(np.arange(est.n), counts)
    days = rng.integers(0, horizon + 1, who.size)
    r = radius_km * np.sqrt(rng.random(who.size))
    angle = rng.random(who.size) * 2 * np.pi
    lat = est.lat[who] + r * np.sin(angle) / _KM_PER_DEGREE_LAT
    lon = est.lon[who] + r * np.cos(angle) / (_KM_PER_DEGREE_LAT * np.cos(np.radians(est.lat[who])))
    order = np.argsort(days, kind="stable")
    lat, lon = np.clip(lat, 41.61, 42.04), np.clip(lon, -87.94, -87.51)  # inside the city's box
    return days[order], lat[order], lon[order]


def demo_sources(
    n_establishments: int = DEMO_ESTABLISHMENTS,
    start: date = date(2015, 1, 1),
    end: date = date(2019, 12, 31),
    seed: int = DEMO_SEED,
) -> dict[str, pd.DataFrame]:
    """The demo's other datasets under their canonical names, every value a string: the same
    establishments as `generate_inspections` with the same arguments."""
    horizon = (end - start).days
    est = _Establishments(np.random.default_rng(seed), n_establishments, horizon)
    rng = np.random.default_rng(seed + 1)
    out: dict[str, pd.DataFrame] = {}

    days, lat, lon = _events_near(rng, est, horizon, _COMPLAINTS_PER_YEAR, 0.15, 0.8, 1.0)
    n = days.size
    created = _us_dates(start, days)
    done = _us_dates(start, np.minimum(days + rng.integers(0, 30, n), horizon))
    status = np.where(rng.random(n) < 0.05, "Completed - Dup", "Completed")
    out["sanitation_complaints"] = pd.DataFrame(
        {
            "service_request_number": [f"{d[-2:]}-{i:08d}" for i, d in enumerate(created)],
            "creation_date": created,
            "status": status,
            "completion_date": done,
            "type_of_service_request": "Sanitation Code Violation",
            "violation_nature": rng.choice(_NATURES, n),
            "street_address": "",
            "zip_code": "",
            "ward": "",
            "police_district": "",
            "community_area": "",
            "latitude": np.char.mod("%.6f", lat),
            "longitude": np.char.mod("%.6f", lon),
        },
        dtype=object,
    )

    days, lat, lon = _events_near(rng, est, horizon, _BURGLARIES_PER_YEAR, 0.4, 0.2, 1.0)
    n = days.size
    kind = rng.integers(0, len(_BURGLARY_KINDS), n)
    out["burglaries"] = pd.DataFrame(
        {
            "id": np.char.mod("%d", 20_000_000 + np.arange(n)),
            "case_number": [f"HZ{i:06d}" for i in range(n)],
            "date": _us_dates(start, days),
            "block": "",
            "iucr": [_BURGLARY_KINDS[k][0] for k in kind],
            "primary_type": "BURGLARY",
            "description": [_BURGLARY_KINDS[k][1] for k in kind],
            "location_description": "",
            "arrest": np.where(rng.random(n) < 0.06, "true", "false"),
            "domestic": "false",
            "beat": "",
            "district": "",
            "ward": "",
            "community_area": "",
            "updated_on": _us_dates(start, np.minimum(days + 7, horizon)),
            "latitude": np.char.mod("%.9f", lat),
            "longitude": np.char.mod("%.9f", lon),
        },
        dtype=object,
    )

    days = np.arange(horizon + 1)
    doy = (days + start.timetuple().tm_yday - 1) % 365.25
    # O'Hare 2009-2016: TMAX about 15 C on average, 28 C in late July, -1 C in late January.
    tmax = 135 + 145 * np.cos(2 * np.pi * (doy - 200) / 365.25) + rng.normal(0, 45, days.size)
    tmin = tmax - 80 - rng.normal(0, 25, days.size)
    wet = rng.random(days.size) < 0.32
    prcp = np.where(wet, rng.exponential(60, days.size), 0)
    stamps = pd.to_datetime(start) + pd.to_timedelta(days, unit="D")
    out["weather_daily"] = pd.DataFrame(
        {
            "date": np.asarray(stamps.strftime("%Y-%m-%d"), dtype=object),
            "station": "USW00094846",
            "tmax": np.char.mod("%d", np.round(tmax)),
            "tmin": np.char.mod("%d", np.round(tmin)),
            "prcp": np.char.mod("%d", np.round(prcp)),
            "snow": "0",
            "snwd": "0",
            "awnd": np.char.mod("%d", np.round(rng.gamma(4, 10, days.size))),
        },
        dtype=object,
    )
    return out


# What `source=demo` can load: the violation counts belong to the City's 2014 data only.
DEMO_DATASETS = ("food_inspections", "sanitation_complaints", "burglaries", "weather_daily")


def demo_dataset_rows(
    dataset: str,
    n_establishments: int = DEMO_ESTABLISHMENTS,
    seed: int = DEMO_SEED,
) -> pd.DataFrame:
    """The demo's rows of one dataset (`warehouse.datasets.DATASETS`), every value a string."""
    if dataset == "food_inspections":
        return demo_rows(n_establishments=n_establishments, seed=seed)
    frames = demo_sources(n_establishments=n_establishments, seed=seed)
    if dataset not in frames:
        raise ValueError(
            f"the demo has no {dataset} (it makes {', '.join(['food_inspections', *frames])}); "
            "load that dataset from a file or its live URL"
        )
    return frames[dataset]
