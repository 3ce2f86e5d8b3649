"""Consular relations between two States (VCCR Art. 2; severance 27(1))."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from exequatur.models.common import ActBody, Party, StateCode
from exequatur.models.lifecycle import Act, Context, Lifecycle, Route, Rule, Tell


class RelationsState(StrEnum):
    ESTABLISHED = "established"
    SEVERED = "severed"


class Relations(BaseModel):
    """The register's record of consular relations between a pair of States."""

    id: str
    states: tuple[str, str]
    state: RelationsState = RelationsState.ESTABLISHED
    basis: Literal["mutual-consent", "diplomatic-relations"] = "mutual-consent"
    diplomatic_missions: list[str] = Field(default_factory=list)
    diplomatic_relations: Literal["maintained", "severed", "none"] = "maintained"
    established_on: date | None = None
    severed_on: date | None = None
    last_effective_date: date | None = None
    acts_count: int = 0


def relations_id(a: str, b: str) -> str:
    """docs/api.md: the two codes sorted, joined by '-'."""
    return "-".join(sorted((a, b)))


class EstablishBody(ActBody):
    with_state: StateCode
    basis: Literal["mutual-consent", "diplomatic-relations"] = "mutual-consent"
    diplomatic_missions: list[StateCode] = Field(
        default_factory=list, description="which of the two States keep a diplomatic mission in the other"
    )


class MissionsBody(ActBody):
    diplomatic_missions: list[StateCode]


def _establish(record: Relations, body: EstablishBody, ctx: Context) -> None:
    record.basis = body.basis
    record.diplomatic_missions = sorted(set(body.diplomatic_missions) & set(record.states))
    record.diplomatic_relations = "maintained" if body.basis == "diplomatic-relations" else record.diplomatic_relations
    record.established_on, record.severed_on = ctx.effective_date, None


def _missions(record: Relations, body: MissionsBody, ctx: Context) -> None:
    record.diplomatic_missions = sorted(set(body.diplomatic_missions) & set(record.states))


def _sever(record: Relations, body: ActBody, ctx: Context) -> None:
    record.severed_on = ctx.effective_date


def _sever_diplomatic(record: Relations, body: ActBody, ctx: Context) -> None:
    record.diplomatic_relations = "severed"  # VCCR 2(3): nothing consular changes


def missions_are_of_the_pair(body: MissionsBody | EstablishBody, pair: tuple[str, str]) -> list[str]:
    """Fields naming a State outside the pair (a 422, not a silent drop)."""
    return [m for m in body.diplomatic_missions if m not in pair]


_diplomatic_not_severed = Rule(
    "diplomatic_relations_maintained",
    "VCCR 2(3)",
    "Diplomatic relations between these States are already recorded as severed",
    lambda r: r.diplomatic_relations != "severed",
)

RELATIONS = Lifecycle(
    name="relations",
    title="Consular relations (VCCR Art. 2)",
    states=RelationsState,
    record=Relations,
    acts=(
        Act(
            "establish",
            Party.EITHER,
            "VCCR 2(1)",
            "Consular relations are established by mutual consent (2(1)); consent to "
            "diplomatic relations implies it unless stated otherwise (2(2)).",
            (Route((), "established"), Route(("severed",), "established")),
            body=EstablishBody,
            effect=_establish,
            creates=True,
        ),
        Act(
            "update-missions",
            Party.EITHER,
            "VCCR 2",
            "Record which of the two States keeps a diplomatic mission in the other (decides 15(2), 17, 21 and 27(2)).",
            (Route(("established", "severed")),),
            body=MissionsBody,
            effect=_missions,
        ),
        Act(
            "sever",
            Party.EITHER,
            "VCCR 27(1)",
            "Severance of consular relations by either State: every post of each in the other is severed "
            "and every member's functions end (27(1)), even in armed conflict.",
            (Route(("established",), "severed"),),
            effect=_sever,
            tells=Tell(
                "post",
                "relations-severed",
                related=lambda r: {"sending_state": list(r.states), "receiving_state": list(r.states)},
                body=lambda r: {},
            ),
        ),
        Act(
            "sever-diplomatic",
            Party.EITHER,
            "VCCR 2(3)",
            "Severance of diplomatic relations: recorded, it does not sever consular relations.",
            (Route(("established", "severed"), None, (_diplomatic_not_severed,)),),
            effect=_sever_diplomatic,
        ),
    ),
)
