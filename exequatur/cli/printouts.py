"""What the operators' commands show (`exequatur show`, `exequatur certificate`), read from the
register, the system of record. The rules stay in models/: this module only lays them out."""

from __future__ import annotations

from datetime import date, datetime
from html import escape
from typing import Any

from sqlalchemy import Engine

from exequatur.models.certificate import StatusCertificate
from exequatur.models.common import STATE_NAMES, Party
from exequatur.models.household import Household
from exequatur.models.kinds import KINDS
from exequatur.models.lifecycle import PARTY_NAMES, Case
from exequatur.models.member import Member
from exequatur.register import queries
from exequatur.workflows import client as acts_client


def state_name(code: str | None) -> str:
    return f"{STATE_NAMES.get(code, code)} ({code})" if code else ""


def record_view(engine: Engine, kind: str, record_id: str) -> dict[str, Any] | None:
    """The record, its key dates, running deadlines with their articles, the acts each party may
    perform next (from the declaration, as the API's allowed_acts) and its acts."""
    record = queries.get_record(engine, record_id, kind)
    if record is None:
        return None
    lifecycle = KINDS[kind].lifecycle
    case = Case(lifecycle, lifecycle.record.model_validate({**record, **acts_client.facts(engine, kind, record)}))
    allowed = {}
    for party in (Party.SS, Party.RS):
        allowed[party.value] = [
            {"act": name, "article": lifecycle.must_act(name).article} for name in case.allowed([party])
        ]
    deadlines = [
        {"deadline": timer.label, "article": timer.article, "ends": record.get(timer.field), "then": timer.act}
        for timer in lifecycle.timers
        if record.get(timer.field) and case.may(timer.act)
    ]
    dates = {
        name: value
        for name, value in record.items()
        if value and name.endswith(("_on", "_at", "_date")) and name != "last_effective_date"
    }
    view: dict[str, Any] = {
        "kind": kind,
        "id": record_id,
        "state": record["state"],
        "parties": {"SS": record["sending_state"], "RS": record["receiving_state"]},
        "record": record,
        "dates": dates,
        "deadlines": deadlines,
        "allowed_acts": allowed,
        "acts": [
            {**a, "effective_date": a["effective_date"].isoformat(), "recorded_at": a["recorded_at"].isoformat()}
            for a in queries.acts_of(engine, record_id)
        ],
    }
    if kind == "post":
        view["members"] = [
            {
                "id": m["id"],
                "role": m["role"],
                "class": m.get("class"),
                "category": m["category"],
                "full_name": m["person"]["full_name"],
                "state": m["state"],
            }
            for m in queries.list_records(engine, "member", post_id=record_id)
        ]
    return view


def render_view(view: dict[str, Any]) -> Any:
    """The view as rich renderables for a terminal."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table

    record = view["record"]
    if view["kind"] == "post":
        title = (
            f"Post {view['id']}: {record['classification']} at {record['seat']} "
            f"({record['headed_by']}), district {record['district']}"
        )
    elif view["kind"] == "household":
        title = (
            f"Household {view['id']}: {record['person']['full_name']}, {record['kind']}"
            f"{' (' + record['relationship'] + ')' if record.get('relationship') else ''} "
            f"of member {record['member_id']} of post {record['post_id']}"
        )
    else:
        title = (
            f"Member {view['id']}: {record['person']['full_name']}, {record['role']}"
            f"{', ' + record['class'] if record.get('class') else ''} ({record['category']}) "
            f"of post {record['post_id']}"
        )
    facts = Table.grid(padding=(0, 2))
    facts.add_row("State", f"[bold]{view['state']}[/bold]")
    facts.add_row("Sending State (SS)", state_name(view["parties"]["SS"]))
    facts.add_row("Receiving State (RS)", state_name(view["parties"]["RS"]))
    if view["kind"] in ("member", "household"):
        facts.add_row("Nationalities", ", ".join(record["person"]["nationalities"]))
        privileges = record.get("privileges") or {}
        if privileges.get("began_on"):
            facts.add_row(
                "Privileges",
                f"from {privileges['began_on']} ({privileges['began_act']}, "
                f"{privileges['began_article']})"
                + (
                    f" to {privileges['ended_on']} ({privileges['ended_act']}, {privileges['ended_article']})"
                    if privileges.get("ended_on")
                    else ""
                ),
            )
    for name, value in view["dates"].items():
        facts.add_row(name.replace("_", " "), str(value))
    for deadline in view["deadlines"]:
        facts.add_row(
            f"[yellow]{deadline['deadline']}[/yellow]",
            f"ends {deadline['ends']} ({deadline['article']}); then {deadline['then']}",
        )
    for party, acts in view["allowed_acts"].items():
        shown = ", ".join(f"{a['act']} ({a['article']})" for a in acts) or "none"
        facts.add_row(f"Next acts of {PARTY_NAMES[Party(party)]}", shown)
    parts: list[Any] = [Panel(facts, title=title, title_align="left")]
    acts_table = Table(title="Acts (the register)", title_justify="left")
    for column in ("Date", "Act", "Article", "Party", "Principal", "State after"):
        acts_table.add_column(column)
    for act in view["acts"]:
        acts_table.add_row(
            act["effective_date"], act["act"], act["article"], act["party"], act["principal"], act["state_code"]
        )
    parts.append(acts_table)
    if view.get("members") is not None:
        members = Table(title="Members", title_justify="left")
        for column in ("Id", "Role", "Class", "Category", "Name", "State"):
            members.add_column(column)
        for m in view["members"]:
            members.add_row(m["id"], m["role"], m["class"] or "", m["category"], m["full_name"], m["state"])
        parts.append(members)
    return Group(*parts)


CERTIFICATE_CSS = """
@page { size: A4; margin: 2cm; }
body { font-family: Georgia, 'Times New Roman', serif; max-width: 46em; margin: 2em auto; color: #111; }
h1 { font-size: 1.5em; text-align: center; margin-bottom: .2em; }
.subtitle { text-align: center; font-style: italic; margin-top: 0; }
.finding { border: 2px solid #111; padding: .8em 1em; font-size: 1.1em; margin: 1.5em 0; }
table { border-collapse: collapse; width: 100%; margin-top: .5em; }
th, td { border-bottom: 1px solid #999; padding: .3em .5em; text-align: left; vertical-align: top; }
tr.basis td { font-weight: bold; }
dl { display: grid; grid-template-columns: 14em 1fr; gap: .2em 1em; }
dt { font-weight: bold; }
.signature { margin-top: 4em; display: flex; justify-content: space-between; }
.signature div { border-top: 1px solid #111; width: 40%; padding-top: .3em; font-size: .9em; }
@media print { body { margin: 0; max-width: none; } .screen-only { display: none; } tr { page-break-inside: avoid; } }
"""


def certificate_html(
    member: Member,
    status: StatusCertificate,
    acts: list[dict[str, Any]],
    issued: datetime,
    household: Household | None = None,
) -> str:
    """The status certificate (Samoa Act s.21) as a printable page. The finding is
    `models.certificate.certificate`'s; the basis lists the acts recorded up to the date, marking those
    from which privileges began and ended (VCCR 53(1), 53(3))."""
    on = status.on
    basis_acts = {e.act for e in (status.began, status.ended) if e}
    finding = (
        f"On <time datetime='{on.isoformat()}'>{on:%d %B %Y}</time> the person named above "
        + ("<strong>enjoyed</strong>" if status.privileges else "<strong>did not enjoy</strong>")
        + " the privileges and immunities of a member of a consular post (VCCR Art. 53)."
    )
    lines = []
    if status.began:
        lines.append(
            f"Privileges began on {status.began.on:%d %B %Y} by the act <em>{escape(status.began.act)}</em> "
            f"({escape(status.began.article)})."
        )
    else:
        lines.append("No act recorded up to that date began privileges (VCCR 53(1)).")
    if status.ended:
        lines.append(
            f"Privileges ended on {status.ended.on:%d %B %Y} by <em>{escape(status.ended.act)}</em> "
            f"({escape(status.ended.article)})."
        )
    scope = {
        "full": "in full",
        "official-acts": "for official acts only",
        "limited": "as to the exemptions only",
        "none": "not at all",
    }[status.scope]
    lines.append(
        f"Scope on that date: {scope}, resting on {escape(', '.join(status.articles)) or 'no provision'}"
        + (f"; narrowed by {escape(status.restricted_by)}" if status.restricted_by else "")
        + (
            f"; without force of law in the receiving State: {escape(', '.join(status.not_in_force))}"
            if status.not_in_force
            else ""
        )
        + "."
    )
    if status.official_acts_immunity:
        lines.append(
            "Immunity for acts performed in the exercise of consular functions continues without "
            "limit of time (VCCR 53(4))."
        )
    rows = []
    for act in acts:
        effective = (
            act["effective_date"]
            if isinstance(act["effective_date"], date)
            else date.fromisoformat(act["effective_date"])
        )
        if effective > on:
            continue
        marked = act["act"] in basis_acts
        rows.append(
            f"<tr class='{'basis' if marked else ''}'><td>{effective.isoformat()}</td>"
            f"<td>{escape(act['act'])}</td><td>{escape(act['article'])}</td><td>{escape(act['party'])}</td>"
            f"<td>{'basis of the finding' if marked else ''}</td></tr>"
        )
    if household is not None:  # a person of the member's household (53(2))
        particulars = [
            ("Full name", household.person.full_name),
            ("Nationalities", ", ".join(household.person.nationalities)),
            ("Household of", f"{member.person.full_name}, {member.role} ({member.category}), member {member.id}"),
            ("As", f"{household.kind}{' (' + household.relationship + ')' if household.relationship else ''}"),
            ("Consular post", f"{member.post_id}, {member.seat or ''}"),
            ("Sending State", state_name(member.sending_state)),
            ("Receiving State", state_name(member.receiving_state)),
            ("Household id", household.id),
        ]
    else:
        particulars = [
            ("Full name", member.person.full_name),
            ("Nationalities", ", ".join(member.person.nationalities)),
            ("Function", f"{member.role}{', ' + member.class_ if member.class_ else ''} ({member.category})"),
            ("Consular post", f"{member.post_id}, {member.seat or ''}"),
            ("Sending State", state_name(member.sending_state)),
            ("Receiving State", state_name(member.receiving_state)),
            ("Member id", member.id),
        ]
    subject_id = household.id if household else member.id
    return "".join(
        [
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
            f"<title>Status certificate — {escape(subject_id)} — {on.isoformat()}</title>",
            f"<style>{CERTIFICATE_CSS}</style></head><body>",
            f"<h1>Certificate of status</h1><p class='subtitle'>for the Ministry of Foreign Affairs of "
            f"{escape(STATE_NAMES.get(member.receiving_state, member.receiving_state))}, "
            "as evidence of the status of a "
            "member of a consular post (as the Samoa Act 1978 s.21 provides; Vienna Convention on Consular "
            "Relations, Art. 53)</p>",
            "<dl>" + "".join(f"<dt>{escape(k)}</dt><dd>{escape(str(v))}</dd>" for k, v in particulars) + "</dl>",
            f"<p class='finding' data-privileges='{str(status.privileges).lower()}'>{finding}</p>",
            "<h2>Basis</h2>",
            "".join(f"<p>{line}</p>" for line in lines),
            "<h2>Acts recorded up to that date</h2><table><thead><tr><th>Date</th><th>Act</th><th>Article</th>"
            "<th>Party</th><th></th></tr></thead><tbody>",
            "".join(rows),
            "</tbody></table>",
            f"<p class='issued'>Drawn from the register on {issued:%d %B %Y %H:%M} UTC.</p>",
            "<div class='signature'><div>Place and date</div><div>For the Minister of Foreign Affairs</div></div>",
            "</body></html>",
        ]
    )
