"""A member's household (VCCR 1(1)(i), 24(1)(b)-(c), 53(2)-(5)): family members and private
staff notified on a member, read, their acts, and the status certificate of each person."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from exequatur.api.acts import act_routes
from exequatur.api.auth import parties_of
from exequatur.api.dependencies import Caller, IdempotencyKey, ServiceDep
from exequatur.api.problems import Problem
from exequatur.api.service import derived_id
from exequatur.api.views import LISTS, VIEWS
from exequatur.models.certificate import StatusCertificate, household_certificate
from exequatur.models.common import Day, Party
from exequatur.models.household import HouseholdRequest, new_household
from exequatur.models.member import FUNCTIONS_ENDED, Member
from exequatur.register import queries
from exequatur.workflows import client as acts_client

router = APIRouter()


@router.post(
    "/v1/members/{member_id}/household",
    status_code=201,
    tags=["household"],
    response_model=VIEWS["household"],
)
async def notify_household(
    principal: Caller,
    service: ServiceDep,
    member_id: str,
    body: HouseholdRequest,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """The sending State notifies a member of the member's family or private staff (VCCR 24(1)(b)-(c))."""
    member = await service.load(principal, "member", member_id)
    if Party.SS not in parties_of(principal, member):
        raise Problem(403, "A household is notified by the sending State (VCCR 24(1)(b))", article="VCCR 24(1)(b)")
    update_id = derived_id(principal, f"members/{member_id}/household", idempotency_key)
    prior = await service.db(queries.act_by_id, update_id) if idempotency_key else None
    if prior:
        return await service.view(principal, "household", prior["document"])
    if member["state"] in FUNCTIONS_ENDED:
        raise Problem(
            409,
            "The member's functions have ended: no one joins his household (VCCR 53(2), 53(3))",
            article="VCCR 53(3)",
            state=member["state"],
        )
    record = new_household(acts_client.new_household_id(update_id), Member.model_validate(member), body)
    return await service.create(
        principal, "household", record.model_dump(mode="json"), body, Party.SS, update_id, facts={}
    )


@router.get("/v1/members/{member_id}/household", tags=["household"], response_model=LISTS["household"])
async def list_household(principal: Caller, service: ServiceDep, member_id: str) -> list[dict[str, Any]]:
    """The persons of a member's household, every one notified, as the register holds them."""
    await service.load(principal, "member", member_id)
    return await service.db(queries.list_records, "household", member_id=member_id)


@router.get("/v1/household/{record_id}", tags=["household"], response_model=VIEWS["household"])
async def get_household(principal: Caller, service: ServiceDep, record_id: str) -> dict[str, Any]:
    return await service.load_view(principal, "household", record_id)


@router.get("/v1/household/{record_id}/status", tags=["household"])
async def household_status(
    principal: Caller, service: ServiceDep, record_id: str, on: Day = Query(...)
) -> StatusCertificate:
    """The status certificate of a person of a member's household (Samoa Act s.21): whether
    privileges applied on a date (VCCR 53(2)-(5)), how far and on which provisions (47(2), 48(2),
    58(3), 71(2))."""
    facts = await service.db(queries.household_certificate_facts, record_id)
    document = facts[0].model_dump(mode="json") if facts else None
    service.visible(principal, "household", record_id, document)
    assert facts is not None  # visible() answered 404 otherwise
    household, member, profile, restrictions = facts
    return household_certificate(household, member, on, profile, restrictions)


act_routes(router, "household")
