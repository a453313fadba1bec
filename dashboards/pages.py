"""The dashboard's pages, one Bokeh app each, and the links between them."""

from __future__ import annotations

from html import escape
from pathlib import Path
from urllib.parse import quote

HERE = Path(__file__).resolve().parent  # the same directory as dashboards.RANKING_APP_DIR

# path, app directory, link text: the order of the navigation bar.
PAGES: tuple[tuple[str, Path, str], ...] = (
    ("/ranking", HERE / "ranking", "Ranking"),
    ("/monitoring", HERE / "monitoring", "Monitoring"),
    ("/model", HERE / "model", "Model"),
)

# Pages opened from another page (they need an argument), not from the navigation bar.
LINKED_PAGES: tuple[tuple[str, Path], ...] = (("/establishment", HERE / "establishment"),)


def establishment_link(establishment_id: str, text: str) -> str:
    """A link to one establishment's page."""
    return f"<a href='/establishment?id={quote(establishment_id)}'>{escape(text)}</a>"


def nav_html(current: str) -> str:
    """The links to every page, the current one in bold."""
    links = [
        f"<b>{title}</b>" if path == current else f"<a href='{path}'>{title}</a>"
        for path, _, title in PAGES
    ]
    return "<p style='font-size:14px'>" + " · ".join(links) + "</p>"
