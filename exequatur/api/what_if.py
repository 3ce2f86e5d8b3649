"""What an act would do (`?dry_run=true`), computed by the same declarations the workflows
execute, on copies of the register's records: nothing recorded, no workflow started or told.

The act itself is decided and applied as its workflow would (models/lifecycle.py `Case`,
workflows/checks.py `apply_act`): the answer, its notices, its deadlines. Then, as the workflow's
`_after` does, each record the act tells (a severance's posts, a closed post's members, an ended
member's households) is found in the register and the told act applied to a copy of it, and so
on down: the effects a severance, a closure or a death would have, before anything happens.
A told act the other record's lifecycle does not allow now is left out, as the workflow ignores it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from exequatur.models.common import ActBody
from exequatur.models.kinds import KINDS
from exequatur.models.lifecycle import Act, Case, Context, Lifecycle
from exequatur.models.profile import Profile
from exequatur.register import queries
from exequatur.workflows import client as acts_client
from exequatur.workflows.checks import apply_act

DRY_RUN_ID = "dry-run"  # the act id the notices would be named after is the update's: unknown yet


def rehearse(
    engine: Engine,
    lifecycle: Lifecycle[Any],
    case: Case,
    act: Act,
    body: ActBody,
    periods: dict[str, timedelta],
    now: datetime,
    actor: str | None,
) -> dict[str, Any]:
    """The act on `case` (a copy), and what it would tell, recursively."""
    effective = body.effective_date or now.date()
    ctx = Context(act.name, effective, now, periods, act_id=DRY_RUN_ID, actor=actor)
    notices = apply_act(case, act, body, ctx, creating=False)
    record = case.record
    document = record.model_dump(mode="json", by_alias=True)
    effects = []
    for tell in act.all_tells:
        if tell.when(record):
            effects += _told(
                engine, tell.kind, tell.act, _targets(engine, tell, record), tell.body(record), effective, now
            )
    starts = (
        [{"kind": act.starts.kind, "record": act.starts.record(record).model_dump(mode="json", by_alias=True)}]
        if act.starts and act.starts.when(record)
        else []
    )
    return {
        "record": document,
        "state": str(record.state),
        "notices": [n.model_dump(mode="json", exclude={"id"}) for n in notices],
        "deadlines": [
            {"field": timer.field, "at": document.get(timer.field), "act": timer.act, "article": timer.article}
            for timer in lifecycle.timers
            if document.get(timer.field)
        ],
        "effects": effects,
        "starts": starts,
    }


def _targets(engine: Engine, tell: Any, record: Any) -> list[str]:
    if tell.related is None:
        return [str(getattr(record, tell.field or "id"))]
    filters = {k: tuple(v) if isinstance(v, list) else v for k, v in tell.related(record).items()}
    return [r["id"] for r in queries.list_records(engine, tell.kind, **filters)]


def _told(
    engine: Engine, kind: str, act_name: str, ids: list[str], body: dict[str, Any], effective: date, now: datetime
) -> list[dict[str, Any]]:
    lifecycle = KINDS[kind].lifecycle
    act = lifecycle.must_act(act_name)
    found = []
    for record_id in ids:
        stored = queries.get_record(engine, record_id, kind)
        if stored is None:
            continue
        case = Case(lifecycle, lifecycle.record.model_validate({**stored, **acts_client.facts(engine, kind, stored)}))
        if not case.may(act.name):
            continue  # the workflow ignores a told act its lifecycle does not allow now
        told_body = act.body.model_validate({**body, "effective_date": effective.isoformat()})
        periods = _periods(engine, stored) if act.periods else {}
        outcome = rehearse(engine, lifecycle, case, act, told_body, periods, now, None)
        found.append({"kind": kind, "record_id": record_id, "act": act.name, "article": act.article, **outcome})
    return found


def _periods(engine: Engine, record: dict[str, Any]) -> dict[str, timedelta]:
    state = record.get("receiving_state")
    return Profile.of(state, queries.get_profile(engine, state)).periods() if state else {}
