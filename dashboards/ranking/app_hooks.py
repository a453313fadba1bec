"""Server lifecycle hooks: the data store is created once per server, not once per session."""

from __future__ import annotations

import logging
from typing import Any

from dashboards.ranking.data import RankingStore
from warehouse.settings import get_settings

log = logging.getLogger(__name__)

STORE_ATTRIBUTE = "ranking_store"


def on_server_loaded(server_context: Any) -> None:
    """Create the store every session of this server shares (it caches the ranking)."""
    setattr(server_context, STORE_ATTRIBUTE, RankingStore(get_settings()))
    log.info("ranking dashboard: store created")


def on_server_unloaded(server_context: Any) -> None:
    if hasattr(server_context, STORE_ATTRIBUTE):
        delattr(server_context, STORE_ATTRIBUTE)
