"""Consular relations between two States (VCCR Art. 2; severance 27(1))."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from exequatur.models.certificate import Restriction
from exequatur.models.common import ActBody, Party, StateCode
from exequatur.models.lifecycle import Act, Context, Lifecycle, Refusal, Route, Rule, Tell


class RelationsState(StrEnum):
    PROPOSED = "proposed"
    ESTABLISHED = "established"
    DECLINED = "declined"
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
    # 2(1), mutual consent: who proposed, to whom, when; the other State accepts or declines.
    proposed_by: str | None = None
    proposed_to: str | None = None
    proposed_on: date | None = None
    declined_on: date | None = None
    # Reciprocity orders of either State narrowing the other's consular privileges (Samoa Act s.16,
    # VCCR 72(2)(a)); lifted ones stay, with the date, for certificates of earlier dates.
    restrictions: list[Restriction] = Field(default_factory=list)
    # VCCR 17(1): a State without a mission of its own may be represented by a third State's
    # mission in the other; then its consular officers perform no diplomatic acts there.
    represented_by: dict[str, str] = Field(default_factory=dict)
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


class RestrictPrivileges(ActBody):
    """`restrict-privileges`: an Order of the acting State, as receiving State, narrowing the
    privileges of the other State's posts and their members in its territory (Samoa Act s.16)."""

    order: str = Field(min_length=1, max_length=200, description="the Order's reference, e.g. Order 2026/1")
    scope: Literal["official-acts", "none"] = Field(description="the most a certificate may then say")


class LiftRestriction(ActBody):
    order: str = Field(min_length=1, max_length=200, description="the Order lifted")


class Representation(ActBody):
    """`notify-representation`: the third State whose diplomatic mission represents the acting
    State in the other (VCCR 17(1)); null when it no longer does."""

    represented_by: StateCode | None = None


class MissionsBody(ActBody):
    diplomatic_missions: list[StateCode]


def _establish(record: Relations, body: EstablishBody, ctx: Context) -> None:
    record.basis = body.basis
    record.diplomatic_missions = sorted(set(body.diplomatic_missions) & set(record.states))
    record.diplomatic_relations = "maintained" if body.basis == "diplomatic-relations" else record.diplomatic_relations
    again = record.severed_on is not None or record.declined_on is not None
    by_proposal = "relations-by-proposal" in ctx.revisions and ctx.actor is not None
    if by_proposal and (body.basis == "mutual-consent" or again):
        # 2(1): by mutual consent, so a proposal the other State accepts; after a severance or a
        # refusal relations come back only that way, whatever the basis (one State cannot restore them).
        record.state = RelationsState.PROPOSED
        record.proposed_by = ctx.actor
        record.proposed_to = next(s for s in record.states if s != ctx.actor)
        record.proposed_on, record.declined_on = ctx.effective_date, None
        return
    # 2(2): consent to diplomatic relations implies consent to consular relations.
    record.established_on, record.severed_on = ctx.effective_date, None


def _accept(record: Relations, body: ActBody, ctx: Context) -> None:
    record.established_on, record.severed_on = ctx.effective_date, None
    record.proposed_to = None


def _decline(record: Relations, body: ActBody, ctx: Context) -> None:
    record.declined_on, record.proposed_to = ctx.effective_date, None


def _missions(record: Relations, body: MissionsBody, ctx: Context) -> None:
    if ctx.actor is None:  # acts recorded before the acting State was sent set the whole list
        record.diplomatic_missions = sorted(set(body.diplomatic_missions) & set(record.states))
        return
    # A State says where it keeps a mission, never where the other does (VCCR 2).
    other = next(s for s in record.states if s != ctx.actor)
    if other in body.diplomatic_missions:
        raise Refusal(
            f"{ctx.actor} states only its own mission; whether {other} keeps one in {ctx.actor} is {other}'s to say",
            "VCCR 2",
            str(record.state),
            403,
        )
    kept = {s for s in record.diplomatic_missions if s != ctx.actor}
    if ctx.actor in body.diplomatic_missions:
        kept.add(ctx.actor)
        record.represented_by.pop(ctx.actor, None)  # a mission of its own: no representation needed
    record.diplomatic_missions = sorted(kept)


def _represented(record: Relations, body: Representation, ctx: Context) -> None:
    assert ctx.actor is not None  # an act of a State (the API sends the caller's)
    if body.represented_by is None:
        record.represented_by.pop(ctx.actor, None)
        return
    if ctx.actor in record.diplomatic_missions:
        raise Refusal(
            f"{ctx.actor} keeps a diplomatic mission of its own in the other State", "VCCR 17(1)", str(record.state)
        )
    if body.represented_by in record.states:
        raise Refusal("The representing mission is a third State's", "VCCR 17(1)", str(record.state))
    record.represented_by[ctx.actor] = body.represented_by


def _restrict(record: Relations, body: RestrictPrivileges, ctx: Context) -> None:
    assert ctx.actor is not None  # an act of a State (the API sends the caller's)
    if any(r.order == body.order and r.lifted_on is None and r.issued_by == ctx.actor for r in record.restrictions):
        raise Refusal(f"{body.order} is in force already", "VCCR 72(2)(a)", str(record.state))
    record.restrictions.append(
        Restriction(order=body.order, scope=body.scope, issued_by=ctx.actor, effective_date=ctx.effective_date)
    )


def _order_in_force(record: Relations, body: LiftRestriction) -> tuple[str, str] | None:
    """Only an order in force can be lifted, and only by the State that issued it (VCCR 72(2)(a),
    Samoa Act s.16)."""
    if any(r.order == body.order and r.lifted_on is None for r in record.restrictions):
        return None
    return "VCCR 72(2)(a)", f"No order {body.order!r} is in force on these relations"


def _lift(record: Relations, body: LiftRestriction, ctx: Context) -> None:
    mine = [
        r for r in record.restrictions if r.order == body.order and r.lifted_on is None and r.issued_by == ctx.actor
    ]
    if not mine:
        raise Refusal(
            f"{body.order} was not issued by {ctx.actor}: only the State that issued an Order lifts it",
            "VCCR 72(2)(a)",
            str(record.state),
            403,
        )
    for restriction in mine:
        restriction.lifted_on = ctx.effective_date


def _sever(record: Relations, body: ActBody, ctx: Context) -> None:
    record.severed_on = ctx.effective_date


def _sever_diplomatic(record: Relations, body: ActBody, ctx: Context) -> None:
    record.diplomatic_relations = "severed"  # VCCR 2(3): nothing consular changes
    if ctx.actor is not None:  # from then on neither keeps a mission in the other (15(2), 17, 21, 27(2))
        record.diplomatic_missions = []


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
            (Route((), "established"), Route(("severed", "declined"), "established")),
            body=EstablishBody,
            effect=_establish,
            creates=True,
            revisions=("relations-by-proposal",),
        ),
        Act(
            "accept",
            Party.OTHER,
            "VCCR 2(1)",
            "The State the proposal is addressed to consents: consular relations are established.",
            (Route(("proposed",), "established"),),
            effect=_accept,
        ),
        Act(
            "decline",
            Party.OTHER,
            "VCCR 2(1)",
            "The State the proposal is addressed to does not consent: no consular relations.",
            (Route(("proposed",), "declined"),),
            effect=_decline,
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
            "notify-representation",
            Party.EITHER,
            "VCCR 17(1)",
            "A State without a diplomatic mission in the other notifies that a third State's mission "
            "represents it there (or no longer does): its consular officers then perform no diplomatic acts.",
            (Route(("established", "severed")),),
            body=Representation,
            effect=_represented,
        ),
        Act(
            "restrict-privileges",
            Party.EITHER,
            "VCCR 72(2)(a); Samoa Act s.16",
            "A State, as receiving State, restricts by Order the privileges of the other State's posts and "
            "their members in its territory, in reciprocity; every certificate is at most the Order's scope "
            "from its date.",
            (Route(("established", "severed")),),
            body=RestrictPrivileges,
            effect=_restrict,
        ),
        Act(
            "lift-restriction",
            Party.EITHER,
            "VCCR 72(2)(a); Samoa Act s.16",
            "The State that issued a reciprocity Order lifts it from its date.",
            (Route(("established", "severed")),),
            body=LiftRestriction,
            admissible=_order_in_force,
            effect=_lift,
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
