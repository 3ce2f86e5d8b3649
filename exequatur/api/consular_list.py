"""The consular list (VCCR Art. 16) as JSON, a printable HTML page and CSV."""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from exequatur.api.spreadsheet import csv_text
from exequatur.models.common import STATE_NAMES
from exequatur.models.member import HeadClass
from exequatur.models.precedence import Entry, Standing

CLASS_TITLES = {
    "consul-general": "Consuls-General",
    "consul": "Consuls",
    "vice-consul": "Vice-Consuls",
    "consular-agent": "Consular Agents",
}
COLUMNS = [
    "rank",
    "member_id",
    "post_id",
    "sending_state",
    "seat",
    "class",
    "category",
    "acting",
    "precedence_date",
    "instrument_presented_on",
    "tie_break",
    "full_name",
    "standing",
    "diplomatic_acts",
]


class ConsularListRow(BaseModel):
    """One person on the list, with the facts Art. 16 orders by (the JSON `_row` writes)."""

    model_config = ConfigDict(populate_by_name=True)

    rank: int
    member_id: str | None = Field(description="null for an acting head who is not a member of the post")
    post_id: str
    sending_state: str
    seat: str
    class_: HeadClass | None = Field(alias="class")
    category: str | None
    acting: bool
    precedence_date: date | None = Field(description="heads: 16(1)-(2); acting heads: the date assumed (16(4))")
    instrument_presented_on: date | None = Field(description="16(3)")
    tie_break: str | None = Field(description="set where the profile's last resort decided")
    full_name: str
    standing: Standing
    diplomatic_acts: bool = Field(description="consented under 17(1)")


class ConsularList(BaseModel):
    """The consular list of a receiving State on a date (VCCR 16)."""

    receiving_state: str
    as_of: date
    dean: str | None = Field(description="by usage, the first head listed")
    entries: list[ConsularListRow]


def as_json(receiving_state: str, on: date, entries: list[Entry]) -> dict[str, Any]:
    dean = next((e for e in entries if e.standing == "head"), None)
    return {
        "receiving_state": receiving_state,
        "as_of": on.isoformat(),
        "dean": dean.member_id if dean else None,  # by usage, the first head listed
        "entries": [_row(e) for e in entries],
    }


def _row(entry: Entry) -> dict[str, Any]:
    # The columns read straight from the entry (as `model_dump(mode="json")` would give them):
    # a list of thousands is rendered in a fraction of the dump's time.
    return {
        "rank": entry.rank,
        "member_id": entry.member_id,
        "post_id": entry.post_id,
        "sending_state": entry.sending_state,
        "seat": entry.seat,
        "class": entry.class_,
        "category": entry.category,
        "acting": entry.acting,
        "precedence_date": _iso(entry.precedence_date),
        "instrument_presented_on": _iso(entry.instrument_presented_on),
        "tie_break": entry.tie_break,
        "full_name": entry.full_name,
        "standing": entry.standing,
        "diplomatic_acts": entry.diplomatic_acts,
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def as_csv(entries: list[Entry]) -> str:
    return csv_text(COLUMNS, ([_row(entry).get(column) for column in COLUMNS] for entry in entries))


def _group(entry: Entry) -> str:
    if entry.standing == "acting":
        return "Acting heads of post (Art. 16(4))"
    if entry.standing == "officer":
        return "Consular officers other than heads of post (Art. 16(6))"
    return CLASS_TITLES[entry.class_ or "consul"]


def as_html(receiving_state: str, on: date, entries: list[Entry]) -> str:
    state = escape(STATE_NAMES.get(receiving_state, receiving_state))
    dean = next((e for e in entries if e.standing == "head"), None)
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Consular list — {state} — {on.isoformat()}</title>",
        "<style>body{font-family:Georgia,serif;margin:2em}table{border-collapse:collapse;width:100%}"
        "td,th{border-bottom:1px solid #ccc;padding:.3em .5em;text-align:left}h2{margin-top:1.5em}"
        "@media print{.note{font-size:small}}</style></head><body>",
        f"<h1>Consular list of {state}</h1>",
        f"<p class='edition'>Edition of <time datetime='{on.isoformat()}'>{on:%d %B %Y}</time>.</p>",
        "<p class='dean'>Dean of the consular corps: "
        + (
            f"<strong>{escape(dean.full_name)}</strong>, "
            f"{escape(STATE_NAMES.get(dean.sending_state, dean.sending_state))}, "
            f"{escape(dean.seat)}"
            if dean
            else "none listed"
        )
        + "</p>",
        "<p class='note'>Heads of consular posts in order of precedence (Vienna Convention on Consular "
        "Relations, Art. 16). This list changes with every admission, end of functions and designation "
        "of an acting head; it is exact only for the edition date above.</p>",
    ]
    group = None
    for entry in entries:
        if _group(entry) != group:
            if group is not None:
                parts.append("</tbody></table>")
            group = _group(entry)
            parts.append(
                f"<h2>{escape(group)}</h2><table><thead><tr><th>Rank</th><th>Name</th><th>Sending State</th>"
                "<th>Seat</th><th>Category</th><th>Precedence date</th><th>Remarks</th></tr></thead><tbody>"
            )
        remarks = []
        if entry.diplomatic_acts:
            remarks.append("authorized to perform diplomatic acts (Art. 17)")
        if entry.tie_break:
            remarks.append(f"tie decided by {escape(entry.tie_break)}")
        parts.append(
            f"<tr data-rank='{entry.rank}' data-member='{escape(entry.member_id or '')}'><td>{entry.rank}</td>"
            f"<td class='name'>{escape(entry.full_name)}</td>"
            f"<td>{escape(STATE_NAMES.get(entry.sending_state, entry.sending_state))}</td><td>{escape(entry.seat)}</td>"
            f"<td>{escape(entry.category or '')}</td>"
            f"<td>{entry.precedence_date.isoformat() if entry.precedence_date else ''}</td>"
            f"<td>{'; '.join(remarks)}</td></tr>"
        )
    if group is not None:
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "".join(parts)
