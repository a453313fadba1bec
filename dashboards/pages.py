"""The dashboard's pages, one Bokeh app each, the links between them, and their one look: the
theme (`theme.yaml`) and the page template with its styles (`templates/index.html`), which every
page applies with `dress()`."""

from __future__ import annotations

from functools import cache
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from bokeh.document import Document
    from bokeh.themes import Theme
    from jinja2 import Template

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


@cache
def _look() -> tuple[Theme, Template]:
    from bokeh.themes import Theme
    from jinja2 import Environment, FileSystemLoader

    template = Environment(loader=FileSystemLoader(HERE / "templates")).get_template("index.html")
    return Theme(filename=str(HERE / "theme.yaml")), template


def dress(doc: Document, current: str, title: str) -> None:
    """Give a page the dashboard's look: its theme, the template (banner, styles) with the
    navigation (`current` in bold), and its title."""
    theme, template = _look()
    doc.theme = theme
    doc.template = template
    doc.template_variables["nav"] = nav_html(current)
    doc.title = title
