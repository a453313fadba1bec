"""Champion and challenger: who decides which model scores, recorded with who and when.

A selection proposes the model it trained as a numbered **version** (`ml.model_versions`, with a
description and tags). Then, by the experiment's `promotion:` setting:

- `auto` (the demo's): the version is promoted at once and becomes the **champion**, the model
  that scores (the latest row of `ml.deployments`);
- `manual` (production): it becomes the **challenger** and waits; the champion keeps scoring
  until a person runs `canvass models promote MODEL_ID`. The first model of a warehouse is
  promoted at once either way: with no champion nothing could score.

`rollback()` returns the champion to the one before it (the deployments read as a stack: each
promotion pushes, each rollback pops). Every move of an alias is an `ml.alias_events` row, every
change of champion an `ml.deployments` row, each with its actor (`CANVASS_ACTOR`, else the
operating-system user; `selection` for a selection's own moves) and reason.
"""

from __future__ import annotations

import getpass
import json
import os
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import dict_row

from ml import model_card, registry

AUTO, MANUAL = "auto", "manual"
PROMOTIONS = (AUTO, MANUAL)
SELECTION = "selection"  # the actor of a selection's own proposals and promotions


class GovernanceError(ValueError):
    """A promotion or rollback that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Proposal:
    model_id: str
    version: int
    promoted: bool
    champion_id: str  # the model that scores after the proposal


def actor() -> str:
    """Who is acting: `CANVASS_ACTOR`, else the operating-system user."""
    try:
        return os.environ.get("CANVASS_ACTOR") or getpass.getuser()
    except OSError:  # no user name in this environment
        return "unknown"


def champion(conn: psycopg.Connection) -> str | None:
    """The model that scores: the latest deployment's."""
    return registry.deployed_model_id(conn)


def challenger(conn: psycopg.Connection) -> str | None:
    """The proposed model waiting for approval (the challenger alias's latest move), if any."""
    row = conn.execute(
        "select model_id from ml.alias_events where alias = 'challenger' "
        "order by happened_at desc, event_id desc limit 1"
    ).fetchone()
    return row[0] if row else None


def _event(
    conn: psycopg.Connection, alias: str, model_id: str | None, action: str, by: str, reason: str
) -> None:
    conn.execute(
        "insert into ml.alias_events (alias, model_id, action, actor, reason) "
        "values (%s, %s, %s, %s, %s)",
        [alias, model_id, action, by, reason],
    )


def _version(conn: psycopg.Connection, model_id: str) -> dict[str, Any] | None:
    """What a deployment of the model records: its version's, or, for a champion deployed before
    versions existed, its latest deployment's."""
    return (
        conn.cursor(row_factory=dict_row)
        .execute(
            "select version, model_id, experiment_hash, model_group_id, rule, 0 as preference "
            "from ml.model_versions where model_id = %(id)s "
            "union all "
            "(select null, model_id, experiment_hash, model_group_id, rule, 1 from ml.deployments "
            "where model_id = %(id)s order by deployed_at desc, deployment_id desc limit 1) "
            "order by preference limit 1",
            {"id": model_id},
        )
        .fetchone()
    )


def _deploy(
    conn: psycopg.Connection, version: dict[str, Any], by: str, action: str, reason: str
) -> None:
    conn.execute(
        "update ml.models set is_deployable = true where model_id = %s", [version["model_id"]]
    )
    conn.execute(
        "insert into ml.deployments "
        "(model_id, experiment_hash, model_group_id, rule, deployed_by, action) "
        "values (%s, %s, %s, %s, %s, %s)",
        [
            version["model_id"],
            version["experiment_hash"],
            version["model_group_id"],
            version["rule"],
            by,
            action,
        ],
    )
    _event(conn, "champion", version["model_id"], action, by, reason)
    if challenger(conn) == version["model_id"]:
        _event(conn, "challenger", None, "withdraw", by, "became the champion")


def propose(
    conn: psycopg.Connection,
    model_id: str,
    experiment_hash: str,
    model_group_id: str,
    rule: str,
    description: str,
    tags: dict[str, Any],
    promotion: str,
) -> Proposal:
    """Register the selection's model as a version with its model card (`ml.model_card`, written
    again on each proposal); promote it (`auto`, or no champion yet) or make it the challenger
    (`manual`). Proposing the champion again changes no alias."""
    if promotion not in PROMOTIONS:
        raise GovernanceError(f"promotion {promotion!r} is not one of {', '.join(PROMOTIONS)}")
    with conn.transaction():
        conn.execute(
            "insert into ml.model_versions (model_id, experiment_hash, model_group_id, rule, "
            "description, tags, registered_by) values (%s, %s, %s, %s, %s, %s, %s) "
            "on conflict (model_id) do nothing",
            [
                model_id,
                experiment_hash,
                model_group_id,
                rule,
                description,
                json.dumps(tags),
                SELECTION,
            ],
        )
        version = _version(conn, model_id)
        conn.execute(
            "update ml.model_versions set card = %s where model_id = %s",
            [
                model_card.card(conn, model_id, experiment_hash, description, version["version"]),
                model_id,
            ],
        )
        current = champion(conn)
        if current == model_id:
            return Proposal(model_id, version["version"], True, model_id)
        if promotion == AUTO or current is None:
            why = "promoted at once (promotion: auto)" if current else "the first model"
            # deployed by this selection, whichever experiment first registered the version
            chosen = {**version, "experiment_hash": experiment_hash, "rule": rule}
            _deploy(conn, chosen, SELECTION, "promote", f"{rule}: {why}")
            return Proposal(model_id, version["version"], True, model_id)
        conn.execute("update ml.models set is_deployable = true where model_id = %s", [model_id])
        if challenger(conn) != model_id:
            _event(conn, "challenger", model_id, "propose", SELECTION, f"{rule}: awaits promotion")
        return Proposal(model_id, version["version"], False, current)


def promote(conn: psycopg.Connection, model_id: str, by: str, reason: str) -> dict[str, Any]:
    """Make a proposed version the champion."""
    with conn.transaction():
        version = _version(conn, model_id)
        if version is None or version["version"] is None:
            raise GovernanceError(
                f"model {model_id} is no version a selection proposed: `canvass models history` "
                "lists the versions"
            )
        if champion(conn) == model_id:
            raise GovernanceError(f"model {model_id} is the champion already")
        _deploy(conn, version, by, "promote", reason)
    return version


def champion_stack(conn: psycopg.Connection) -> list[str]:
    """The champions in deployment order, each rollback having popped the one it undid."""
    stack: list[str] = []
    for model_id, action in conn.execute(
        "select model_id, action from ml.deployments order by deployed_at, deployment_id"
    ).fetchall():
        if action == "rollback" and len(stack) > 1:
            stack.pop()
        else:
            stack.append(model_id)
    return stack


def rollback(conn: psycopg.Connection, by: str, reason: str) -> tuple[str, str]:
    """Return the champion to the one before it; returns (from, to)."""
    with conn.transaction():
        conn.execute("lock table ml.deployments in share row exclusive mode")
        stack = champion_stack(conn)
        if len(stack) < 2:
            raise GovernanceError("there is no earlier champion to roll back to")
        current, previous = stack[-1], stack[-2]
        version = _version(conn, previous)
        _deploy(conn, version, by, "rollback", reason)
    return current, previous


def card_of(conn: psycopg.Connection, model_id: str | None = None) -> str | None:
    """The model card of a version (default: the champion's); None when it has none."""
    model_id = model_id or champion(conn)
    row = conn.execute(
        "select card from ml.model_versions where model_id = %s", [model_id]
    ).fetchone()
    return row[0] if row and row[0] else None


def versions(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """Every version, newest first, with the alias each carries now."""
    current, waiting = champion(conn), challenger(conn)
    cur = conn.execute(
        "select version, model_id, model_group_id, rule, description, tags, registered_at "
        "from ml.model_versions order by version desc"
    )
    names = [d.name for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    for r in rows:
        r["alias"] = (
            "champion"
            if r["model_id"] == current
            else "challenger"
            if r["model_id"] == waiting
            else ""
        )
    return rows


def history(conn: psycopg.Connection, limit: int = 20) -> list[dict[str, Any]]:
    """The latest alias moves, newest first: when, which alias, to which model, who and why."""
    cur = conn.execute(
        "select happened_at, alias, action, model_id, actor, reason from ml.alias_events "
        "order by happened_at desc, event_id desc limit %s",
        [limit],
    )
    names = [d.name for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def describe(rule: str, reason: str, label: str, estimator: str) -> str:
    """A version's description, in words, from its selection."""
    return f"{estimator} predicting {label}, refitted on every labelled row. Chosen by {rule}: {reason}"
