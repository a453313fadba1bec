"""The layering holds: apps read delivery marts only, exposures list exactly what each app reads,
and nothing below `flows/` imports it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
# A relation after FROM or JOIN, schema-qualified (quoted names and CTEs have no dot).
RELATION = re.compile(r"\b(?:from|join)\s+([a-z_]+)\.([a-z_][a-z0-9_]*)", re.IGNORECASE)
APPS = {
    "canvass_api": [ROOT / "api"],
    "ranking_dashboard": [ROOT / "dashboards" / "ranking"],
    "monitoring_dashboard": [ROOT / "dashboards" / "monitoring"],
    "model_dashboard": [ROOT / "dashboards" / "model"],
    "establishment_page": [ROOT / "dashboards" / "establishment"],
}


def _sql_of(folder: Path) -> str:
    """Every .sql file of the app, and every string literal of its Python (where SQL lives)."""
    texts = [f.read_text() for f in folder.rglob("*.sql")]
    for path in folder.rglob("*.py"):
        tree = ast.parse(path.read_text())
        texts += [
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        ]
    return "\n".join(texts)


def relations(text: str) -> set[tuple[str, str]]:
    return {(m.group(1).lower(), m.group(2).lower()) for m in RELATION.finditer(text)}


def test_the_pattern_finds_relations_around_the_marts() -> None:
    found = relations("select 1 from ml.scores as s join marts.fct_rankings r on true")
    assert found == {("ml", "scores"), ("marts", "fct_rankings")}


@pytest.mark.parametrize("app", sorted(APPS))
def test_apps_read_marts_only(app: str) -> None:
    text = "\n".join(_sql_of(folder) for folder in APPS[app])
    outside = sorted(f"{s}.{t}" for s, t in relations(text) if s != "marts")
    assert not outside, f"{app} reads around the marts: {outside}"


def _exposures() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for path in (ROOT / "models").rglob("*exposures.yml"):
        for exposure in yaml.safe_load(path.read_text()).get("exposures", []):
            refs = {re.sub(r"ref\('([^']+)'\)", r"\1", d) for d in exposure["depends_on"]}
            out[exposure["name"]] = refs
    return out


@pytest.mark.parametrize("app", sorted(APPS))
def test_exposures_list_exactly_what_each_app_reads(app: str) -> None:
    text = "\n".join(_sql_of(folder) for folder in APPS[app])
    read = {t for s, t in relations(text) if s == "marts"}
    assert _exposures()[app] == read


def test_nothing_below_flows_imports_flows() -> None:
    pattern = re.compile(r"^\s*(from|import)\s+flows\b", re.MULTILINE)
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("warehouse", "ml", "api", "dashboards")
        for path in (ROOT / package).rglob("*.py")
        if pattern.search(path.read_text())
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [("ml", "warehouse|flows|api|dashboards"), ("warehouse", "ml|flows|api|dashboards")],
)
def test_the_libraries_import_nothing_of_ours_outside_them(package: str, forbidden: str) -> None:
    """docs/architecture.md: `ml/` and `warehouse/` import nothing of ours outside themselves."""
    pattern = re.compile(rf"^\s*(from|import)\s+({forbidden})\b", re.MULTILINE)
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / package).rglob("*.py")
        if pattern.search(path.read_text())
    ]
    assert offenders == []
