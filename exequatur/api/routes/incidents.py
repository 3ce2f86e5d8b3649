"""Violations of the protection of consular posts and their people, reported under UNGA
resolution 61/31 (paras. 10-13): reports, follow-ups, reminders, and the summary of a period."""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from exequatur.api.acts import act_routes
from exequatur.api.auth import can_read
from exequatur.api.dependencies import Caller, IdempotencyKey, ServiceDep
from exequatur.api.problems import Problem
from exequatur.api.service import derived_id
from exequatur.api.spreadsheet import csv_text
from exequatur.api.views import LISTS, VIEWS
from exequatur.models.common import STATE_NAMES, Day, Party
from exequatur.models.incident import Incident, IncidentReport
from exequatur.register import queries

router = APIRouter()


@router.post(
    "/v1/incidents",
    status_code=201,
    tags=["incidents"],
    response_model=VIEWS["incident"],
)
async def report_incident(
    principal: Caller, service: ServiceDep, body: IncidentReport, idempotency_key: IdempotencyKey = None
) -> dict[str, Any]:
    """A State reports a serious violation of the protection, security and safety of a consular
    post or its people to the Secretary-General (UNGA res. 61/31 para. 10(a))."""
    if principal.state is None:
        raise Problem(403, "Only a State reports a violation (UNGA res. 61/31 para. 10(a))", article="VCCR 31, 40, 59")
    if body.occurred_on > date.today():
        raise Problem(
            409,
            "Invalid input: occurred_on",
            errors=[{"field": "occurred_on", "msg": f"{body.occurred_on} is in the future", "type": "date_in_future"}],
        )
    update_id = derived_id(principal, "incidents", idempotency_key)
    prior = await service.db(queries.act_by_id, update_id) if idempotency_key else None
    if prior:
        return await service.view(principal, "incident", prior["document"])
    concerned = set()
    if body.post_id:
        post = await service.load(principal, "post", body.post_id)  # 404 unless the reporter may see it
        concerned.add(post["sending_state"])
    for member_id in body.member_ids:
        member = await service.load(principal, "member", member_id)
        concerned.add(member["sending_state"])
    record = Incident(
        id=f"INC-{update_id[:12].upper()}",
        reporting_state=principal.state,
        occurred_in=body.occurred_in,
        sending_state=principal.state,
        receiving_state=body.occurred_in,
        occurred_on=body.occurred_on,
        kind=body.kind,
        post_id=body.post_id,
        member_ids=body.member_ids,
        concerned_states=sorted(concerned),
        summary=body.summary,
        circulate=body.circulate,
    )
    return await service.create(principal, "incident", record.model_dump(mode="json"), body, Party.ANY, update_id)


def _in_period(record: dict[str, Any], start: date | None, end: date | None) -> bool:
    occurred = date.fromisoformat(record["occurred_on"])
    return (start is None or occurred >= start) and (end is None or occurred <= end)


async def _visible(
    principal: Any, service: Any, occurred_in: str | None, start: date | None, end: date | None
) -> list[dict[str, Any]]:
    rows = await service.db(queries.list_records, "incident", receiving_state=occurred_in)
    return [r for r in rows if can_read(principal, r) and _in_period(r, start, end)]


@router.get("/v1/incidents", tags=["incidents"], response_model=LISTS["incident"])
async def list_incidents(
    principal: Caller,
    service: ServiceDep,
    occurred_in: str | None = None,
    from_: Day | None = Query(None, alias="from"),
    to: Day | None = None,
) -> list[dict[str, Any]]:
    """The incidents the caller may read, by the State where they occurred and their date."""
    return await _visible(principal, service, occurred_in, from_, to)


class SummarisedIncident(BaseModel):
    id: str
    kind: str
    occurred_on: date
    state: str
    reports: int = Field(description="reports received: the first and each follow-up (paras. 10, 13)")
    reminders: int


class StateSummary(BaseModel):
    occurred_in: str
    reported: int
    concluded: int
    incidents: list[SummarisedIncident]


class IncidentsSummary(BaseModel):
    """The reports received in a period, by the State where the violation occurred (para. 13(b))."""

    model_config = ConfigDict(populate_by_name=True)

    from_: date | None = Field(alias="from")
    to: date | None
    states: list[StateSummary]


@router.get(
    "/v1/incidents/summary",
    tags=["incidents"],
    responses={200: {"model": IncidentsSummary, "content": {"text/html": {}, "text/csv": {}}}},
)
async def incidents_summary(
    request: Request,
    principal: Caller,
    service: ServiceDep,
    from_: Day | None = Query(None, alias="from"),
    to: Day | None = None,
) -> Any:
    """The reports received in a period, by the State where the violation occurred (para. 13(b)).
    `Accept: text/html` gives a printable page, `text/csv` a spreadsheet."""
    rows = await _visible(principal, service, None, from_, to)
    by_state: dict[str, list[dict[str, Any]]] = {}
    for r in sorted(rows, key=lambda r: (r["occurred_in"], r["occurred_on"], r["id"])):
        by_state.setdefault(r["occurred_in"], []).append(r)
    states = [
        {
            "occurred_in": state,
            "reported": len(found),
            "concluded": sum(r["state"] == "concluded" for r in found),
            "incidents": [
                {
                    "id": r["id"],
                    "kind": r["kind"],
                    "occurred_on": r["occurred_on"],
                    "state": r["state"],
                    "reports": len(r["reports"]),
                    "reminders": r["reminders"],
                }
                for r in found
            ],
        }
        for state, found in by_state.items()
    ]
    summary = {"from": from_.isoformat() if from_ else None, "to": to.isoformat() if to else None, "states": states}
    accept = request.headers.get("accept", "")
    if "text/csv" in accept:
        lines = (
            [s["occurred_in"], i["id"], i["kind"], i["occurred_on"], i["state"], i["reports"], i["reminders"]]
            for s in states
            for i in s["incidents"]
        )
        header = ["occurred_in", "id", "kind", "occurred_on", "state", "reports", "reminders"]
        return PlainTextResponse(csv_text(header, lines), media_type="text/csv")
    if "text/html" in accept:
        return HTMLResponse(_summary_html(summary))
    return JSONResponse(summary)


def _summary_html(summary: dict[str, Any]) -> str:
    period = f"{summary['from'] or 'the first report'} to {summary['to'] or 'today'}"
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Reports received</title></head><body>",
        f"<h1>Reports of violations received, {escape(period)}</h1>",
        "<p>Under UNGA resolution 61/31, paragraph 13(b).</p>",
    ]
    for s in summary["states"]:
        name = STATE_NAMES.get(s["occurred_in"], s["occurred_in"])
        parts.append(
            f"<h2 data-state='{escape(s['occurred_in'])}'>{escape(name)}: {s['reported']} reported, "
            f"{s['concluded']} concluded</h2><table><thead><tr><th>Incident</th><th>Kind</th><th>Date</th>"
            "<th>State</th><th>Reports</th><th>Reminders</th></tr></thead><tbody>"
        )
        for i in s["incidents"]:
            parts.append(
                f"<tr><td>{escape(i['id'])}</td><td>{escape(i['kind'])}</td><td>{escape(i['occurred_on'])}</td>"
                f"<td>{escape(i['state'])}</td><td>{i['reports']}</td><td>{i['reminders']}</td></tr>"
            )
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "".join(parts)


@router.get("/v1/posts/{post_id}/incidents", tags=["incidents"], response_model=LISTS["incident"])
async def incidents_of_post(principal: Caller, service: ServiceDep, post_id: str) -> list[dict[str, Any]]:
    """The incidents that name the post, as far as the caller may read them."""
    await service.load(principal, "post", post_id)
    rows = await service.db(queries.list_records, "incident", post_id=post_id)
    return [r for r in rows if can_read(principal, r)]


@router.get("/v1/members/{member_id}/incidents", tags=["incidents"], response_model=LISTS["incident"])
async def incidents_of_member(principal: Caller, service: ServiceDep, member_id: str) -> list[dict[str, Any]]:
    """The incidents that name the member, as far as the caller may read them."""
    member = await service.load(principal, "member", member_id)
    rows = await service.db(queries.list_records, "incident", receiving_state=member["receiving_state"])
    return [r for r in rows if member_id in r["member_ids"] and can_read(principal, r)]


@router.get("/v1/incidents/{record_id}", tags=["incidents"], response_model=VIEWS["incident"])
async def get_incident(principal: Caller, service: ServiceDep, record_id: str) -> dict[str, Any]:
    return await service.load_view(principal, "incident", record_id)


act_routes(router, "incident")
