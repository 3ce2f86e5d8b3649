"""The import file's rows (docs/import.md): one post or one member per row, validated by
pydantic so an error names the column as the file spells it."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from exequatur.models.common import StateCode
from exequatur.models.member import Category, HeadClass, Role
from exequatur.models.post import Classification, HeadedBy


def _split(value: Any) -> Any:
    """`WSM DEU` or `WSM;DEU`: several nationalities in one cell."""
    if isinstance(value, str):
        return [v for v in value.replace(";", " ").replace(",", " ").split() if v]
    return value


class Row(BaseModel):
    """What every row has: which record it describes and the post it belongs to."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)

    record: Literal["post", "member", "household"]
    post: str = Field(min_length=1, max_length=100, description="the file's key for the post")

    @model_validator(mode="before")
    @classmethod
    def _empty_cells_are_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if k is not None and not (isinstance(v, str) and not v.strip())}
        return data


class PostRow(Row):
    """A post of the sending State in the receiving State (VCCR 4) and, if the register has none
    yet, the consular relations it needs (VCCR 2(1))."""

    record: Literal["post"]
    sending_state: StateCode
    receiving_state: StateCode
    seat: str = Field(min_length=1, max_length=200)
    classification: Classification
    district: str = Field(min_length=1, max_length=500)
    headed_by: HeadedBy
    requested_on: date
    consented_on: date | None = None
    relations_since: date | None = None
    ss_diplomatic_mission: bool = False

    @model_validator(mode="after")
    def _dates_in_order(self) -> PostRow:
        if self.consented_on and self.consented_on < self.requested_on:
            raise ValueError("consented_on: the consent cannot precede the request (VCCR 4(1))")
        if self.relations_since and self.relations_since > self.requested_on:
            raise ValueError(
                "relations_since: a post is requested only between States in consular "
                "relations (VCCR 2(1)); it cannot be after requested_on"
            )
        return self


Nationalities = Annotated[list[StateCode], BeforeValidator(_split), Field(min_length=1)]


class MemberRow(Row):
    """A member of the post (one tenure): head with commission and admission dates, or staff."""

    record: Literal["member"]
    role: Role
    category: Category
    class_: HeadClass | None = Field(None, alias="class")
    full_name: str = Field(min_length=1, max_length=300)
    nationalities: Nationalities
    permanent_resident: bool = False
    appointed_on: date
    instrument: Literal["commission", "notification"] | None = None
    commission_presented_on: date | None = None
    provisionally_admitted_on: date | None = None
    exequatur_on: date | None = None
    nationality_consent_on: date | None = None
    arrived_on: date | None = None
    entered_duties_on: date | None = None


class HouseholdRow(Row):
    """A person of a member's household (VCCR 1(1)(i), 24(1)(b)-(c)): the member is named by his
    full name among the post's member rows."""

    record: Literal["household"]
    member: str = Field(min_length=1, max_length=300, description="the member's full_name in this post's rows")
    kind: Literal["family", "private-staff"]
    relationship: Literal["spouse", "child", "other"] | None = None
    full_name: str = Field(min_length=1, max_length=300)
    nationalities: Nationalities
    permanent_resident: bool = False
    joined_on: date
    arrived_on: date | None = None
    left_on: date | None = None
    discharged_on: date | None = None
    departed_on: date | None = None


COLUMNS = [
    "record",
    "post",
    "sending_state",
    "receiving_state",
    "seat",
    "classification",
    "district",
    "headed_by",
    "requested_on",
    "consented_on",
    "relations_since",
    "ss_diplomatic_mission",
    "role",
    "category",
    "class",
    "full_name",
    "nationalities",
    "permanent_resident",
    "appointed_on",
    "instrument",
    "commission_presented_on",
    "provisionally_admitted_on",
    "exequatur_on",
    "nationality_consent_on",
    "arrived_on",
    "entered_duties_on",
    "member",
    "kind",
    "relationship",
    "joined_on",
    "left_on",
    "discharged_on",
    "departed_on",
]
POST_COLUMNS = set(PostRow.model_fields) | {"record", "post"}
MEMBER_COLUMNS = {"class" if n == "class_" else n for n in MemberRow.model_fields}
HOUSEHOLD_COLUMNS = set(HouseholdRow.model_fields)


def parse(number: int, cells: dict[str, Any]) -> PostRow | MemberRow | HouseholdRow | list[dict[str, str]]:
    """The row as a model, or its errors, each naming the column."""
    kind = (cells.get("record") or "").strip()
    model: type[PostRow] | type[MemberRow] | type[HouseholdRow]
    if kind == "post":
        model, allowed = PostRow, POST_COLUMNS
    elif kind == "member":
        model, allowed = MemberRow, MEMBER_COLUMNS
    elif kind == "household":
        model, allowed = HouseholdRow, HOUSEHOLD_COLUMNS
    else:
        return [{"field": "record", "msg": "record is 'post', 'member' or 'household'"}]
    # A wide file has every column; only this kind's cells may be filled.
    stray = sorted(k for k, v in cells.items() if k and k not in allowed and isinstance(v, str) and v.strip())
    if stray:
        return [{"field": name, "msg": f"not a column of a {kind} row"} for name in stray]
    try:
        return model.model_validate({k: v for k, v in cells.items() if k in allowed})
    except ValidationError as exc:
        return field_errors(exc)


def field_errors(exc: ValidationError, columns: dict[str, str] | None = None) -> list[dict[str, str]]:
    """pydantic's errors as (column, message); a rule over several columns names its column first."""
    out = []
    for error in exc.errors(include_url=False):
        path = ".".join(str(p) for p in error["loc"] if not isinstance(p, int))
        message = str(error["msg"]).removeprefix("Value error, ")
        if isinstance(error.get("input"), str) and error["type"] != "value_error":
            message += f" (the file says {error['input'][:60]!r})"
        field = (columns or {}).get(path, path)
        if not field and ":" in message:
            field, message = (part.strip() for part in message.split(":", 1))
        out.append({"field": field or "row", "msg": message})
    return out


def read_csv(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows numbered as a spreadsheet shows them: the header is row 1."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        yield from enumerate(csv.DictReader(handle), start=2)


def write_csv(rows: Iterable[dict[str, Any]], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
