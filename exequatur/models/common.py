"""Vocabulary shared by every lifecycle: States, parties, dates and periods."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, ClassVar

import isodate
import pycountry
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    PlainSerializer,
    StrictBool,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError

# Read once at import: pycountry loads its database lazily with open(), which the workflow
# sandbox forbids, and a set lookup is faster than a search per validation.
ALPHA3 = frozenset(country.alpha_3 for country in pycountry.countries)
STATE_NAMES = {c.alpha_3: getattr(c, "common_name", None) or c.name for c in pycountry.countries}


def _iso_alpha3(code: str) -> str:
    code = code.upper()
    if code not in ALPHA3:
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-3 country code")
    return code


STATE_CODE_FORMAT = "iso3166-alpha3"


def _iso_day(value: Any) -> Any:
    """A date as the caller writes it, `YYYY-MM-DD` (or one already parsed): never a number or
    a timestamp, which pydantic would otherwise read as seconds since 1970."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return value
    raise PydanticCustomError("date_type", "expected a date as YYYY-MM-DD")


Day = Annotated[date, BeforeValidator(_iso_day)]
"""A date in an input: `YYYY-MM-DD` only (the schema's `format: date`)."""

StateCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z]{3}$"),
    AfterValidator(_iso_alpha3),
    # The schema says the shape and names the standard as the string's format rather than listing
    # the 249 codes: an enum that long in every body makes generated clients and fuzzers crawl.
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^[A-Za-z]{3}$",
            "format": STATE_CODE_FORMAT,
            "description": "a State, as its ISO 3166-1 alpha-3 code (any case)",
            "examples": ["FRA"],
        }
    ),
]
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


GIVEN = "given"


@dataclass(frozen=True)
class FieldRule:
    """A rule between the fields of an input, declared once: where every field of `when` has one
    of its values (a field left out counts as its default), `then` must be given (`GIVEN`) or
    hold one of `must`. The model enforces it (`Ruled`) and its JSON Schema states it as
    if/then, so that generated clients and fuzzers know it before they send."""

    when: dict[str, tuple[Any, ...]]
    then: str  # the attribute; its alias, if it has one, is what the schema and the caller see
    must: tuple[Any, ...] | str
    message: str

    def broken(self, model: BaseModel) -> bool:
        if any(getattr(model, name) not in values for name, values in self.when.items()):
            return False
        value = getattr(model, self.then)
        return value is None if self.must == GIVEN else value not in self.must

    def json_schema(self, names: dict[str, str]) -> dict[str, Any]:
        then = names.get(self.then, self.then)
        # No "required" in the condition: a field left out satisfies it as its default would.
        condition = {"properties": {names.get(k, k): {"enum": list(v)} for k, v in self.when.items()}}
        if self.must == GIVEN:
            holds: dict[str, Any] = {"required": [then], "properties": {then: {"not": {"type": "null"}}}}
        else:
            holds = {"properties": {then: {"enum": list(self.must)}}}
        return {"if": condition, "then": holds}


@dataclass(frozen=True)
class OneGiven:
    """At least one of `fields` must be given (the model enforces it, its schema states it)."""

    fields: tuple[str, ...]
    message: str

    def broken(self, model: BaseModel) -> bool:
        return all(getattr(model, name) is None for name in self.fields)

    def json_schema(self, names: dict[str, str]) -> dict[str, Any]:
        return {
            "anyOf": [
                {"required": [names.get(f, f)], "properties": {names.get(f, f): {"not": {"type": "null"}}}}
                for f in self.fields
            ]
        }


class Ruled(Strict):
    """An input whose `RULES` bind its fields together: checked after the fields, stated in the
    JSON Schema. Each refusal is "<field>: <why, with the article>", as the API names it."""

    RULES: ClassVar[tuple[FieldRule | OneGiven, ...]] = ()

    @model_validator(mode="after")
    def _rules(self) -> Any:
        for rule in self.RULES:
            if rule.broken(self):
                raise ValueError(rule.message)
        return self

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        target = handler.resolve_ref_schema(schema)
        names = {name: field.alias or name for name, field in cls.model_fields.items()}
        if cls.RULES:
            target.setdefault("allOf", []).extend(rule.json_schema(names) for rule in cls.RULES)
        return schema


class Person(Strict):
    """Personal data: kept in the register, never in workflow ids, search attributes or logs."""

    full_name: str = Field(min_length=1, max_length=300)
    nationalities: list[StateCode] = Field(min_length=1)
    permanent_resident: StrictBool = False


class ActBody(Strict):
    """Every act body may carry the legal date of the act (docs/api.md "Acts")."""

    effective_date: Day | None = None


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
