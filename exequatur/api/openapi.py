"""What the OpenAPI document tells integrators beyond the routes: the problem+json answers an
act may give, an example body for each act that takes one, and per lifecycle every act with
its party and article, the service's own acts included. All of it read from the declarations.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from exequatur.models.kinds import KINDS
from exequatur.models.lifecycle import PARTY_NAMES, Act, Lifecycle


class FieldError(BaseModel):
    field: str = Field(description="the input field, dotted (`person.full_name`), or `body`")
    msg: str
    type: str


class Problem(BaseModel):
    """An error as `application/problem+json` (RFC 9457), naming the field or the article."""

    type: str = Field(examples=["https://exequatur.example/problems/409"])
    title: str = Field(examples=["Act not allowed now"])
    status: int = Field(examples=[409])
    detail: str = Field(examples=["A head of post may not enter upon duties before admission (VCCR 12(3))."])
    article: str | None = Field(None, description="the rule that refused the act", examples=["VCCR 12(3)"])
    state: str | None = Field(None, description="the record's current state", examples=["appointed"])
    allowed_acts: list[str] | None = Field(None, description="what this caller may do instead")
    errors: list[FieldError] | None = Field(None, description="422: every bad field")


WHEN = {
    400: "The body could not be read as JSON. Nothing is recorded.",
    401: "No token, or an unknown one.",
    403: "The caller is not the party the Convention gives this act to (`article` names it).",
    404: "No such record, or it is not visible to the caller (no hint that it exists).",
    409: "The act is not allowed now: `article` cites the rule, `state` is the current state, "
    "`allowed_acts` what the caller may do instead; or the input conflicts with the record or the "
    "day (a date before the record's last act or in the future, an id that is not of this record): "
    "`errors` names the field. Nothing is recorded.",
    413: "The body is larger than CONSULAR_API_MAX_BODY_BYTES. Nothing is read.",
    422: "Malformed input: `errors` names every bad field. Nothing is recorded.",
    503: "The register or Temporal is unavailable, or the act is not confirmed yet: retry after "
    "`Retry-After` seconds with the same `Idempotency-Key`; it is applied once.",
}


def problems_of(path: str, method: str, operation: dict[str, Any]) -> list[int]:
    """The problems an operation can answer, by its shape: who may call it, whether it names a
    record, whether it acts, whether it takes a body or parameters. One place decides them for
    every route, so no route can forget one (tests/test_schemathesis.py sends each)."""
    statuses = []
    secured = bool(operation.get("security"))
    if secured:
        statuses += [401, 403]
    if secured and ("_id}" in path or "requestBody" in operation):  # a record named in the path or the body
        statuses.append(404)
    if method in ("post", "put") and secured:
        statuses.append(409)
    if "requestBody" in operation:
        statuses += [400, 413]
    if "requestBody" in operation or operation.get("parameters"):
        statuses.append(422)
    if secured:
        statuses.append(503)
    return statuses


# A working body for each act that needs one (tests/test_openapi.py validates each against the
# act's model and performs some against the API). Optional dates are left out: they default to
# the day of the act, which is what works on a fresh `make run`.
EXAMPLES: dict[str, dict[str, Any]] = {
    "update-missions": {"diplomatic_missions": ["FRA"]},
    "request-change": {"seat": "Salelologa"},
    "designate-acting-head": {
        "person": {"full_name": "Anne Leroy", "nationalities": ["FRA"]},
        "from": date.today().isoformat(),
        "notified_by": "diplomatic-mission",
        "is_consular_officer": True,
    },
    "close": {"kind": "temporary"},
    "propose-custodian": {"custodian": {"kind": "third-state", "state": "NZL"}},
    "propose-protecting-state": {"state": "NZL"},
    "report-measures": {"summary": "Two suspects arrested and charged."},
    "report-offender-state": {"summary": "The alleged offender is held pending extradition."},
    "report-prevention": {"summary": "A police post now guards the consulate."},
    "report-outcome": {"summary": "Both convicted on 2026-11-30."},
    "notify-representation": {"represented_by": "NZL"},
    "restrict-privileges": {"order": "Order 2026/1", "scope": "official-acts"},
    "lift-restriction": {"order": "Order 2026/1"},
    "notify-officer-precedence": {"order": ["M-0123456789AB"], "notified_by": "head-of-post"},
    "notify-igo-representation": {"organization": "Pacific Islands Forum"},
    "hand-over": {"inventory": {"premises": ["Chancery, Apia"], "property": ["vehicles"], "archives_sealed_units": 12}},
}


def act_description(kind: str, act: Act, via_post: bool = False) -> str:
    """The operation's text: what the act does, whose it is, its article, a call that works
    against `make run` (tokens in var/tokens.toml)."""
    who = (
        "the sending State"
        if act.party.value == "SS"
        else "the receiving State"
        if act.party.value == "RS"
        else PARTY_NAMES[act.party]
    )
    path = f"/v1/{KINDS['post' if via_post else kind].collection}/$ID/acts/{act.name}"
    body = EXAMPLES.get(act.name)
    data = f" -H 'content-type: application/json' -d '{_json(body)}'" if body else ""
    return (
        f"{act.summary}\n\n**Party:** {who} ({act.party.value}). **Article:** {act.article}.\n\n"
        f'```sh\ncurl -X POST $API{path} -H "Authorization: Bearer $TOKEN"{data}\n```'
    )


def act_openapi_extra(act: Act) -> dict[str, Any]:
    """The article as a field integrators can read without parsing text, and the example body."""
    extra: dict[str, Any] = {"x-act": act.name, "x-party": act.party.value, "x-article": act.article}
    if act.name in EXAMPLES:  # merged into the body FastAPI generates from the act's model
        extra["requestBody"] = {"content": {"application/json": {"example": EXAMPLES[act.name]}}}
    return extra


def lifecycle_tags(lifecycles: dict[str, Lifecycle[Any]]) -> list[dict[str, str]]:
    """One tag per lifecycle whose text lists every act, the creating act and the service's own
    acts (timers, deliveries, fan-outs) included, with party and article."""
    tags = []
    for tag, lifecycle in lifecycles.items():
        rows = ["| act | party | article | how |", "|---|---|---|---|"]
        for act in lifecycle.acts:
            how = (
                "performed by the service"
                if act.automatic
                else "creates the record"
                if act.creates
                else f"`POST .../acts/{act.name}`"
            )
            rows.append(f"| `{act.name}` | {act.party.value} | {act.article} | {how} |")
        tags.append({"name": tag, "description": f"{lifecycle.title}.\n\n" + "\n".join(rows)})
    return tags


def _json(body: dict[str, Any]) -> str:
    import json

    return json.dumps(body, separators=(", ", ": "))


def _link_created_records(schema: dict[str, Any]) -> None:
    """OpenAPI links from each operation that creates a record (its 201) to every operation on
    that record, the id taken from the answer: a generated client or a stateful fuzzer follows
    them from a created post to its acts, its members and their households."""
    paths = schema.get("paths", {})
    for kind in KINDS.values():
        created = paths.get(kind.creation_route or "", {}).get("post", {}).get("responses", {}).get("201")
        if created is None:
            continue
        prefix = f"/v1/{kind.collection}/{{"
        links = created.setdefault("links", {})
        for path, operations in paths.items():
            if not path.startswith(prefix):
                continue
            parameter = path[len(prefix) : path.index("}", len(prefix))]
            for operation in operations.values():
                links[operation["operationId"]] = {
                    "operationId": operation["operationId"],
                    "parameters": {f"path.{parameter}": "$response.body#/id"},
                }


def install(app: Any) -> None:
    """Every operation's problems documented as `application/problem+json` (api/problems.py) in
    place of FastAPI's default 422, read from its shape (`problems_of`)."""
    generate = app.openapi

    def document() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema  # type: ignore[no-any-return]
        schema: dict[str, Any] = generate()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(problem.pop("$defs", {}))
        components["Problem"] = problem
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                for status in problems_of(path, method, operation):
                    responses[str(status)] = {
                        "description": WHEN[status],
                        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
                    }
        _link_created_records(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = document
