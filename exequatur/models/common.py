"""Vocabulary shared by every lifecycle: States, parties, dates and periods."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated, Any

import isodate
import pycountry
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

# Read once at import: pycountry loads its database lazily with open(), which the workflow
# sandbox forbids, and a set lookup is faster than a search per validation.
ALPHA3 = frozenset(country.alpha_3 for country in pycountry.countries)
STATE_NAMES = {c.alpha_3: getattr(c, "common_name", None) or c.name for c in pycountry.countries}


def _iso_alpha3(code: str) -> str:
    code = code.strip().upper()
    if code not in ALPHA3:
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-3 country code")
    return code


StateCode = Annotated[str, AfterValidator(_iso_alpha3)]
"""A State, as its ISO 3166-1 alpha-3 code (``FRA``, ``WSM``)."""


def _parse_duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        raise ValueError("expected an ISO 8601 duration such as P30D or PT3S")
    try:
        parsed = isodate.parse_duration(value)
    except (isodate.ISO8601Error, ValueError) as exc:
        raise ValueError(f"{value!r} is not an ISO 8601 duration (P30D, PT3S)") from exc
    if not isinstance(parsed, timedelta):  # years and months have no fixed length
        raise ValueError("use days, hours, minutes or seconds (P30D), not years or months")
    if parsed <= timedelta(0):
        raise ValueError("a period must be longer than zero")
    return parsed


Period = Annotated[
    timedelta,
    BeforeValidator(_parse_duration),
    PlainSerializer(lambda d: isodate.duration_isoformat(d), return_type=str),
]
"""A reasonable period, read and written as an ISO 8601 duration (``P30D``)."""


class Party(StrEnum):
    """Who performs an act (docs/domain.md): sending, receiving or a third State."""

    SS = "SS"
    RS = "RS"
    TS = "TS"
    EITHER = "either"  # consular relations (Art. 2): either of the two States
    OTHER = "other"  # consular relations (Art. 2(1)): the State a proposal is addressed to
    ANY = "any"  # UNGA res. 61/31 para. 10: any State may report a violation


class Strict(BaseModel):
    """Input models refuse unknown fields, so a misspelt field is named, not ignored."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Person(Strict):
    """Personal data: kept in the register, never in workflow ids, search attributes or logs."""

    full_name: str = Field(min_length=1, max_length=300)
    nationalities: list[StateCode] = Field(min_length=1)
    permanent_resident: bool = False


class ActBody(Strict):
    """Every act body may carry the legal date of the act (docs/api.md "Acts")."""

    effective_date: date | None = None


class Notice(BaseModel):
    """An outbound notification the register queues with the act that causes it."""

    id: str
    recipient: str  # "district-authorities" (Art. 14) or "foreign-ministry" (Art. 24)
    article: str
    record_id: str
    act: str
    state: str
    receiving_state: str
    subject: dict[str, Any]
