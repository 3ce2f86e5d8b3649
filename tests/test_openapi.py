"""The OpenAPI document as integrators get it over HTTP: every act of every lifecycle with its
party, article, body and problem+json answers; examples that the API accepts; and the webhook
schema published in docs/webhooks.md kept equal to the model."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from exequatur.models.kinds import KINDS, LIFECYCLES
from exequatur.api.openapi import EXAMPLES, WHEN
from exequatur.models.custody import CUSTODY
from exequatur.models.member import MEMBER
from exequatur.models.post import POST
from exequatur.models.relations import RELATIONS
from tests.helpers import Ministry, relations_and_post

ROOT = Path(__file__).resolve().parent.parent
# Where each kind's acts are asked for (a custody's on its post) and its record created.
ROUTES = {kind.name: "posts" if kind.name == CUSTODY.name else kind.collection for kind in KINDS.values()}
CREATING = {kind.lifecycle.creation.name: kind.creation_route for kind in KINDS.values() if kind.creation_route}


@pytest.fixture(scope="module")
async def document(http) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = await http.get("/openapi.json")
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def problem_schema(document: dict[str, Any]) -> jsonschema_rs.Validator:
    """The declared Problem schema, resolved against the whole document (OpenAPI 3.1 schemas are
    JSON Schema 2020-12)."""
    return jsonschema_rs.validator_for({**document, "$ref": "#/components/schemas/Problem"})


async def test_every_act_of_every_lifecycle_is_documented_with_its_article(document):
    tags = {tag["name"]: tag["description"] for tag in document["tags"]}
    seen = 0
    for lifecycle in LIFECYCLES:
        for act in lifecycle.acts:
            # Each lifecycle's tag lists all its acts, the service's own (timers, deliveries) too.
            assert f"| `{act.name}` | {act.party.value} | {act.article} |" in tags[lifecycle.name], act.name
            if act.automatic:
                continue
            if act.creates:
                operation = document["paths"][CREATING[act.name]]["post"]
                statuses = {"401", "403", "409", "422", "503"}
            else:
                path = f"/v1/{ROUTES[lifecycle.name]}/{{record_id}}/acts/{act.name}"
                operation = document["paths"][path]["post"]
                assert operation["x-article"] == act.article and operation["x-party"] == act.party.value
                assert act.article in operation["summary"] and act.article in operation["description"]
                assert operation["x-act"] == act.name
                body = operation["requestBody"]["content"]["application/json"]
                # The act's own model (not "model or null": generated clients send that), required
                # exactly when the model has a required field: an absent body is the act's defaults.
                assert body["schema"]["$ref"].endswith(f"/{act.body.__name__}"), act.name
                needs_body = any(field.is_required() for field in act.body.model_fields.values())
                assert bool(operation["requestBody"].get("required")) == needs_body, act.name
                if act.name in EXAMPLES:
                    assert body["example"] == EXAMPLES[act.name]
                statuses = {"401", "403", "404", "409", "422", "503"}
            seen += 1
            assert statuses <= operation["responses"].keys(), (act.name, operation["responses"].keys())
            for status in statuses:
                content = operation["responses"][status]["content"]
                assert list(content) == ["application/problem+json"], (act.name, status)
                assert content["application/problem+json"]["schema"]["$ref"] == "#/components/schemas/Problem"
                assert operation["responses"][status]["description"] == WHEN[int(status)]
    assert seen == sum(1 for lc in LIFECYCLES for a in lc.acts if not a.automatic)


async def test_each_record_read_and_act_is_linked_from_the_operation_that_creates_it(document):
    """OpenAPI links: from each creating operation's 201 to every operation on the created
    record (its read, its acts, what is created under it), the id taken from the answer; and
    every answer is declared by its model (the view of a record with its acts)."""
    paths = document["paths"]
    for kind in KINDS.values():
        if not kind.creation_route:
            continue
        created = paths[kind.creation_route]["post"]["responses"]["201"]
        assert created["content"]["application/json"]["schema"]["$ref"].endswith(f"/{kind.lifecycle.record.__name__}View")
        linked = {link["operationId"] for link in created["links"].values()}
        reachable = {op["operationId"] for path, ops in paths.items() if path.startswith(f"/v1/{kind.collection}/{{")
                     for op in ops.values()}
        assert linked == reachable and reachable, kind.name
        for act in kind.lifecycle.acts:
            if not act.automatic and not act.creates:
                assert f"{kind.name}_{act.name.replace('-', '_')}" in linked, act.name
    for path, operations in paths.items():
        for method, operation in operations.items():
            answer = next(r for status, r in operation["responses"].items() if status.startswith("2"))
            assert answer["content"], (method, path)  # a declared body, not "any"
            schema = next(iter(answer["content"].values())).get("schema", {})
            assert schema not in ({}, {"type": "object"}, {"additionalProperties": True, "type": "object"}) or path in (
                "/v1/notices/schema",), (method, path, schema)


def test_every_example_is_a_valid_body_of_its_act():
    acts = {a.name: a for lc in LIFECYCLES for a in lc.acts if not a.automatic}
    assert EXAMPLES
    for name, example in EXAMPLES.items():
        acts[name].body.model_validate(example)  # raises on a stale example


async def test_examples_are_accepted_and_refusals_match_the_declared_problem(http, document):
    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    post = await relations_and_post(fra, wsm)
    problem = problem_schema(document)
    # As the document shows them: no body where none is needed, the example where one is.
    changed = await fra.act("posts", post["id"], "request-change", EXAMPLES["request-change"])
    assert changed["pending_change"]["seat"] == EXAMPLES["request-change"]["seat"]
    refused = await fra.act("posts", post["id"], "consent-change", expect=403)  # RS's act
    problem.validate(refused)
    assert refused["article"] == "VCCR 4(3)"
    closed = await fra.act("posts", post["id"], "close", EXAMPLES["close"])
    assert closed["state"] == "closed-temporarily"
    refused = await fra.act("posts", post["id"], "close", EXAMPLES["close"], expect=409)
    problem.validate(refused)
    assert refused["state"] == "closed-temporarily" and refused["article"]
    invalid = await fra.act("posts", post["id"], "close", {"kind": "forever"}, expect=422)
    problem.validate(invalid)
    assert invalid["errors"][0]["field"] == "kind"
    with pytest.raises(jsonschema_rs.ValidationError):  # the schema does check: a problem has a status
        problem.validate({"type": "x", "title": "t", "detail": "d"})


def test_the_webhook_schema_in_the_docs_is_the_model():
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        import webhook_schema
    finally:
        sys.path.remove(str(ROOT / "docs"))
    published = webhook_schema.documented((ROOT / "docs" / "webhooks.md").read_text())
    assert json.loads(published) == json.loads(webhook_schema.rendered()), \
        "docs/webhooks.md is stale: run .venv/bin/python docs/webhook_schema.py"
