"""Consular relations between two States (VCCR Art. 2): established, read, and their acts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from exequatur.api.acts import act_routes
from exequatur.api.auth import can_read
from exequatur.api.dependencies import Caller, IdempotencyKey, ServiceDep
from exequatur.api.problems import Problem
from exequatur.api.service import derived_id
from exequatur.api.views import LISTS, VIEWS
from exequatur.models.common import Party
from exequatur.models.lifecycle import Case
from exequatur.models.relations import RELATIONS, EstablishBody, Relations, missions_are_of_the_pair, relations_id
from exequatur.register import queries

router = APIRouter()


@router.post(
    "/v1/relations",
    status_code=201,
    tags=["relations"],
    response_model=VIEWS["relations"],
)
async def establish_relations(
    request: Request,
    principal: Caller,
    service: ServiceDep,
    body: EstablishBody,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Consular relations by mutual consent (VCCR 2(1)), or implied by diplomatic relations (2(2))."""
    if principal.state is None:
        raise Problem(403, "Only a State establishes consular relations (VCCR 2(1))", article="VCCR 2(1)")
    if body.with_state == principal.state:
        raise Problem(
            409,
            "Invalid input: with_state",
            errors=[{"field": "with_state", "msg": "a State has no relations with itself", "type": "value_error"}],
        )
    first, second = sorted((principal.state, body.with_state))
    pair = (first, second)
    strangers = missions_are_of_the_pair(body, pair)
    if strangers:
        raise Problem(
            409,
            "Invalid input: diplomatic_missions",
            errors=[
                {"field": "diplomatic_missions", "msg": f"{strangers} are not of this pair", "type": "value_error"}
            ],
        )
    rid = relations_id(*pair)
    update_id = derived_id(principal, "relations", request.headers.get("idempotency-key"))
    prior = await service.db(queries.act_by_id, update_id) if idempotency_key else None
    if prior:
        return await service.view(principal, "relations", prior["document"])
    existing = await service.db(queries.get_record, rid, "relations")
    record = existing or Relations(id=rid, states=pair).model_dump(mode="json")
    if existing:
        case = Case(RELATIONS, Relations.model_validate(existing))
        if not case.may("establish"):
            r = case.refusal("establish")
            raise Problem(
                409,
                f"Consular relations between these States are {r.state}"
                + (f"; the proposal awaits {existing['proposed_to']}'s answer" if existing.get("proposed_to") else ""),
                article="VCCR 2(1)",
                state=r.state,
                allowed_acts=case.allowed({Party.EITHER}),
            )
    return await service.create(principal, "relations", record, body, Party.EITHER, update_id, created=bool(existing))


@router.get("/v1/relations", tags=["relations"], response_model=LISTS["relations"])
async def list_relations(principal: Caller, service: ServiceDep) -> list[dict[str, Any]]:
    rows = await service.db(queries.list_records, "relations")
    return [r for r in rows if can_read(principal, r)]


act_routes(router, "relations")
