"""A serious violation of the protection, security and safety of a consular post or its people,
reported under UNGA resolution 61/31 (paras. 10-11; VCCR Arts. 31, 40, 59).

Para. 10(a): every State reports to the Secretary-General as promptly as possible; the report
goes to the recipient `un-secretary-general` at once and, unless the reporting State asks
otherwise, is circulated to every State (11(b)). Para. 10(b): the State where it occurred reports
the measures to bring the offender to justice, those against repetition and the final outcome; a
State where the alleged offender is present reports too. Para. 11(d): while the State where it
occurred has not reported the measures, then the outcome, it is reminded after its profile's
`incident_followup_period` and every period after. The outcome concludes the incident.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field, StrictBool

from exequatur.models.common import ActBody, Day, Notice, Party, StateCode
from exequatur.models.lifecycle import Act, Context, Lifecycle, Route, Rule, Timer, notice


class IncidentState(StrEnum):
    REPORTED = "reported"
    MEASURES_REPORTED = "measures-reported"
    CONCLUDED = "concluded"


IncidentKind = Literal["attack-on-premises", "violence-against-person", "abduction", "threat", "other"]


class IncidentReport(ActBody):
    """`POST /v1/incidents` by any State (para. 10(a))."""

    occurred_in: StateCode
    occurred_on: Day
    kind: IncidentKind
    # Absent when no post is concerned; never empty: an empty id named no post, passed the check that
    # a named post exists and is visible, and was kept as the incident's post.
    post_id: str | None = Field(None, min_length=1)
    member_ids: list[str] = Field(default_factory=list, max_length=50)
    summary: str = Field(min_length=1, max_length=5000, description="personal data: encrypted on its way to Temporal")
    circulate: StrictBool = Field(
        True, description="circulated to all States unless the reporting State asks otherwise (11(b))"
    )


class FollowUp(ActBody):
    """A follow-up report (para. 10(b))."""

    summary: str = Field(min_length=1, max_length=5000)


class Incident(BaseModel):
    """The register's record of an incident and its reports."""

    id: str
    reporting_state: str
    occurred_in: str
    # The pair every record has: the reporting State and the State where it occurred.
    sending_state: str
    receiving_state: str
    occurred_on: date
    kind: IncidentKind
    post_id: str | None = None
    member_ids: list[str] = Field(default_factory=list)
    concerned_states: list[str] = Field(default_factory=list)  # sending States of the named post or members
    summary: str
    circulate: bool = True
    state: IncidentState = IncidentState.REPORTED
    reports: list[dict[str, str]] = Field(default_factory=list)  # {"act", "by", "on", "summary"}
    next_reminder: datetime | None = None
    reminders: int = 0
    known_states: list[str] = Field(default_factory=list)  # a fact: the States the service knows (11(b))
    last_effective_date: date | None = None
    acts_count: int = 0


def _start(ctx: Context) -> datetime:
    return ctx.now if ctx.effective_date >= ctx.now.date() else datetime.combine(ctx.effective_date, time(), UTC)


def _reported(i: Incident, body: IncidentReport, ctx: Context) -> list[Notice]:
    """10(a): to the Secretary-General at once; 11(b): circulated to every State unless asked not to."""
    i.next_reminder = _start(ctx) + ctx.periods["incident_followup_period"]
    notices = [notice(i, ctx, "un-secretary-general", "UNGA res. 61/31 para. 10(a)")]
    if i.circulate:
        for state in sorted(set(i.known_states) - {i.reporting_state}):
            notices.append(notice(i, ctx, f"state:{state}", "UNGA res. 61/31 para. 11(b)"))
    return notices


def _follow_up(kind: str) -> Callable[[Incident, FollowUp, Context], list[Notice]]:
    def effect(i: Incident, body: FollowUp, ctx: Context) -> list[Notice]:
        i.reports.append(
            {"act": kind, "by": ctx.actor or "", "on": ctx.effective_date.isoformat(), "summary": body.summary}
        )
        if kind == "report-measures" and i.state == IncidentState.MEASURES_REPORTED:
            i.next_reminder = _start(ctx) + ctx.periods["incident_followup_period"]  # now the outcome is due
        if kind == "report-outcome":
            i.next_reminder = None
        return [notice(i, ctx, "un-secretary-general", "UNGA res. 61/31 para. 10(b)")]

    return effect


def _remind(i: Incident, body: ActBody, ctx: Context) -> list[Notice]:
    """11(d): a reminder to the State where it occurred, and the next one a period later."""
    assert i.next_reminder is not None
    i.reminders += 1
    i.next_reminder = i.next_reminder + ctx.periods["incident_followup_period"]
    return [notice(i, ctx, f"state:{i.occurred_in}", "UNGA res. 61/31 para. 11(d)")]


_reminder_due = Rule(
    "reminder_due", "UNGA res. 61/31 para. 11(d)", "No report is awaited", lambda i: i.next_reminder is not None
)
OPEN = ("reported", "measures-reported")
INCIDENT = Lifecycle(
    name="incident",
    title="A violation of the protection of a consular post or its people (UNGA res. 61/31 paras. 10-11)",
    states=IncidentState,
    record=Incident,
    acts=(
        Act(
            "report-incident",
            Party.ANY,
            "UNGA res. 61/31 para. 10(a)",
            "A State reports a serious violation to the Secretary-General; circulated to all States unless it "
            "asks otherwise (11(b)).",
            (Route((), "reported"),),
            body=IncidentReport,
            effect=_reported,
            creates=True,
            periods=("incident_followup_period",),
        ),
        Act(
            "report-measures",
            Party.RS,
            "UNGA res. 61/31 para. 10(b)",
            "The State where it occurred reports the measures taken to bring the offender to justice.",
            (Route(("reported",), "measures-reported"),),
            body=FollowUp,
            effect=_follow_up("report-measures"),
            periods=("incident_followup_period",),
        ),
        Act(
            "report-offender-state",
            Party.ANY,
            "UNGA res. 61/31 para. 10(b)",
            "A State where the alleged offender is present reports its measures.",
            (Route(OPEN),),
            body=FollowUp,
            effect=_follow_up("report-offender-state"),
        ),
        Act(
            "report-prevention",
            Party.RS,
            "UNGA res. 61/31 para. 10(b)",
            "The State where it occurred reports the measures adopted against repetition.",
            (Route(OPEN),),
            body=FollowUp,
            effect=_follow_up("report-prevention"),
        ),
        Act(
            "report-outcome",
            Party.RS,
            "UNGA res. 61/31 para. 10(b)",
            "The State where it occurred communicates the final outcome of the proceedings: the incident is concluded.",
            (Route(OPEN, "concluded"),),
            body=FollowUp,
            effect=_follow_up("report-outcome"),
        ),
        Act(
            "remind",
            Party.RS,
            "UNGA res. 61/31 para. 11(d)",
            "A reminder to the State where it occurred: the measures, then the outcome, are awaited.",
            (Route(OPEN, None, (_reminder_due,)),),
            effect=_remind,
            automatic=True,
            periods=("incident_followup_period",),
        ),
    ),
    timers=(Timer("next_reminder", "remind", "UNGA res. 61/31 para. 11(d)", "Reminder of the report due"),),
    final=lambda i: i.state == IncidentState.CONCLUDED,
    facts=("known_states",),
)
