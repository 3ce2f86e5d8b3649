"""The status certificate (Samoa Act s.21): whether a person enjoyed privileges and immunities on
a date, how far (the scope) and on which provisions (the articles).

The window comes from the record's acts (Art. 53: from arrival or entering upon duties until
departure or the end of the reasonable period). The scope comes from who the person is:

| person | scope | articles |
|---|---|---|
| career consular officer | full | VCCR 41(1), 43(1), 53(1) |
| honorary consular officer | official-acts | VCCR 58(2), 43(1) |
| consular employee | official-acts | VCCR 43(1), 53(1) |
| member of the service staff | limited | VCCR 48(1), 49(2) |
| consular officer, national or permanent resident of the receiving State | official-acts | VCCR 71(1) |
| other member, national or permanent resident | what the receiving State grants: none by default | VCCR 71(2) |

The receiving State's law narrows it further: only articles with force of law there count
(Samoa Act s.14(1)), and a reciprocity order narrows every certificate of the other State's
posts from its date (Samoa Act s.16; VCCR 72(2)(a)). Immunity for official acts (43(1), 53(4))
is the consular officers' and employees' only, and only where the scope keeps it.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from exequatur.models.household import Household
from exequatur.models.member import Member
from exequatur.models.profile import Profile

Scope = Literal["full", "official-acts", "limited", "none"]
NARROWEST_FIRST: tuple[Scope, ...] = ("none", "limited", "official-acts", "full")


class Restriction(BaseModel):
    """A reciprocity order of the receiving State (Samoa Act s.16; VCCR 72(2)(a)), kept on the
    relations: from `effective_date` until lifted, certificates of the other State's posts in
    the issuing State are at most `scope`."""

    order: str = Field(min_length=1, max_length=200, description="the Order's reference, e.g. Order 2026/1")
    scope: Literal["official-acts", "none"]
    issued_by: str = Field(description="the State that issued it: the receiving State of the posts it narrows")
    effective_date: date
    lifted_on: date | None = None

    def in_force(self, on: date) -> bool:
        return self.effective_date <= on and (self.lifted_on is None or on < self.lifted_on)


class CertificateEvent(BaseModel):
    on: date
    act: str
    article: str


class StatusCertificate(BaseModel):
    """Samoa Act s.21: whether privileges applied to a person on a date, and on what basis."""

    member_id: str
    household_id: str | None = Field(None, description="for a person of the member's household (53(2))")
    on: date
    privileges: bool = Field(description="the person enjoyed privileges and immunities on the date (scope not none)")
    scope: Scope = Field(description="how far: full, official acts only, limited exemptions, or none")
    articles: list[str] = Field(description="the provisions the scope rests on, each with force of law in the State")
    began: CertificateEvent | None = None
    ended: CertificateEvent | None = None
    official_acts_immunity: bool = Field(
        description="immunity for official acts, which continues without limit of time (VCCR 43(1), 53(4)): "
        "consular officers and consular employees only"
    )
    not_in_force: list[str] = Field(
        default_factory=list, description="provisions the scope would rest on that lack force of law (s.14(1))"
    )
    restricted_by: str | None = Field(None, description="the reciprocity order that narrows the scope on the date")


def _national(member: Member) -> bool:
    return member.receiving_state in member.person.nationalities or member.person.permanent_resident


def entitlement(member: Member, profile: Profile) -> tuple[Scope, list[str]]:
    """The scope and articles the Convention (and the receiving State's choices) give this member."""
    officer = member.role in ("head", "officer")
    if _national(member):
        if officer:
            return "official-acts", ["VCCR 71(1)"]
        if member.role == "employee" and profile.employee_nationals_official_acts and member.category == "career":
            return "official-acts", ["Samoa Act s.15", "VCCR 71(2)"]
        return "none", ["VCCR 71(2)"]
    if officer:
        if member.category == "honorary":
            return "official-acts", ["VCCR 58(2)", "VCCR 43(1)"]
        return "full", ["VCCR 41(1)", "VCCR 43(1)", "VCCR 53(1)"]
    if member.role == "employee":
        return "official-acts", ["VCCR 43(1)", "VCCR 53(1)"]
    return "limited", ["VCCR 48(1)", "VCCR 49(2)"]


def has_force_of_law(article: str, force_of_law: list[str] | None) -> bool:
    """Whether a provision of the Convention has force of law where `force_of_law` lists the
    articles ("43") and paragraphs ("41(1)") that do; provisions of the receiving State's own law
    always have."""
    if force_of_law is None or not article.startswith("VCCR "):
        return True
    match = re.match(r"VCCR (\d+)(\(\d+\))?", article)
    if match is None:
        return True
    number, paragraph = match.group(1), match.group(2) or ""
    return number in force_of_law or (paragraph != "" and f"{number}{paragraph}" in force_of_law)


def narrowed(
    scope: Scope, articles: list[str], receiving_state: str, restrictions: list[Restriction] | None, on: date
) -> tuple[Scope, list[str], str | None]:
    """Samoa Act s.16, VCCR 72(2)(a): the receiving State's reciprocity Order in force on the date
    narrows the scope to its own, and the certificate names it."""
    restricted_by = None
    for order in restrictions or []:
        if order.issued_by == receiving_state and order.in_force(on):
            if NARROWEST_FIRST.index(order.scope) < NARROWEST_FIRST.index(scope):
                scope, restricted_by = order.scope, order.order
                articles = [*articles, "Samoa Act s.16", "VCCR 72(2)(a)"]
    return scope, articles, restricted_by


def certificate(
    member: Member, on: date, profile: Profile | None = None, restrictions: list[Restriction] | None = None
) -> StatusCertificate:
    """Privileges hold from the day they began through the day they ended (53(1), 53(3)), to the
    extent `entitlement` gives, narrowed by the receiving State's law on that day."""
    profile = profile or Profile()
    p = member.privileges
    began = (
        CertificateEvent(on=p.began_on, act=p.began_act or "", article=p.began_article or "") if p.began_on else None
    )
    ended = (
        CertificateEvent(on=p.ended_on, act=p.ended_act or "", article=p.ended_article or "") if p.ended_on else None
    )
    in_window = p.began_on is not None and p.began_on <= on and (p.ended_on is None or on <= p.ended_on)

    scope, articles = entitlement(member, profile)
    not_in_force = [a for a in articles if not has_force_of_law(a, profile.force_of_law)]
    if not_in_force:
        # Only what has force of law in the receiving State (Samoa Act s.14(1)): immunity for
        # official acts where Art. 43(1) still has it, else nothing.
        articles = [a for a in articles if a not in not_in_force]
        keeps_43 = "VCCR 43(1)" in articles and scope in ("full", "official-acts") and member.category == "career"
        scope, articles = ("official-acts", ["VCCR 43(1)"]) if keeps_43 else ("none", [])
    scope, articles, restricted_by = narrowed(scope, articles, member.receiving_state, restrictions, on)
    official_acts = member.role in ("head", "officer", "employee") and scope in ("full", "official-acts")
    return StatusCertificate(
        member_id=member.id,
        on=on,
        privileges=in_window and scope != "none",
        scope=scope if in_window else "none",
        articles=articles,
        began=began if began and began.on <= on else None,
        ended=ended if ended and ended.on <= on else None,
        # Art. 53(4): for official acts, without limit of time, once the person has been a member.
        official_acts_immunity=official_acts and (began is not None and began.on <= on),
        not_in_force=not_in_force,
        restricted_by=restricted_by,
    )


# ---- a person of the member's household (53(2), 53(3), 53(5), 47(2), 48(2), 58(3), 71(2)) -------


def household_entitlement(h: Household, member: Member) -> tuple[Scope, list[str]]:
    if h.receiving_state in h.person.nationalities or h.person.permanent_resident:
        return "none", ["VCCR 71(2)"]  # what the receiving State grants: none by default
    if h.kind == "private-staff":
        return "limited", ["VCCR 47(2)", "VCCR 48(2)"]
    if member.category == "honorary" and member.role in ("head", "officer"):
        return "none", ["VCCR 58(3)"]
    if member.role == "service":
        return "limited", ["VCCR 53(2)", "VCCR 48(1)"]
    return "full", ["VCCR 53(2)", "VCCR 49(1)"]


def household_certificate(
    h: Household,
    member: Member,
    on: date,
    profile: Profile | None = None,
    restrictions: list[Restriction] | None = None,
) -> StatusCertificate:
    """53(2): from the latest of the member's privileges beginning, the person's arrival and his
    joining the household; 53(3): until he leaves the household, departs or is discharged, or the
    member's window ends; 53(5): after the member's death, until the household leaves or the
    receiving State's period from the death runs out."""
    profile = profile or Profile()
    starts = [
        (member.privileges.began_on, member.privileges.began_act or "", "VCCR 53(1), 53(2)"),
        (h.arrived_on, "notify-arrival", "VCCR 53(2)"),
        (h.joined_on, "notify-household", "VCCR 53(2)"),
    ]
    known = [(day, act, article) for day, act, article in starts if day is not None]
    began = None
    if len(known) == len(starts):  # the member's privileges began and the person arrived
        day, act, article = max(known, key=lambda s: s[0])
        began = CertificateEvent(on=day, act=act, article=article)
    ends = []
    if h.privileges.ended_on is not None:
        ends.append((h.privileges.ended_on, h.privileges.ended_act or "", h.privileges.ended_article or "VCCR 53(3)"))
    if h.member_died_on is not None and h.departure_deadline is not None:
        ends.append((h.departure_deadline.date(), "departure-period-expired", "VCCR 53(5)"))
    elif h.member_died_on is None and member.privileges.ended_on is not None:
        ends.append((member.privileges.ended_on, member.privileges.ended_act or "", "VCCR 53(3)"))
    ended = None
    if ends:
        day, act, article = min(ends, key=lambda e: e[0])
        ended = CertificateEvent(on=day, act=act, article=article)
    in_window = began is not None and began.on <= on and (ended is None or on <= ended.on)

    scope, articles = household_entitlement(h, member)
    not_in_force = [a for a in articles if not has_force_of_law(a, profile.force_of_law)]
    if not_in_force:  # s.14(1): what remains with force of law, if anything
        articles = [a for a in articles if a not in not_in_force]
        scope = scope if articles and scope != "none" else "none"
    scope, articles, restricted_by = narrowed(scope, articles, h.receiving_state, restrictions, on)
    return StatusCertificate(
        member_id=member.id,
        household_id=h.id,
        on=on,
        privileges=in_window and scope != "none",
        scope=scope if in_window else "none",
        articles=articles,
        began=began if began and began.on <= on else None,
        ended=ended if ended and ended.on <= on else None,
        official_acts_immunity=False,  # 43(1), 53(4): the officers' and employees' only
        not_in_force=not_in_force,
        restricted_by=restricted_by,
    )
