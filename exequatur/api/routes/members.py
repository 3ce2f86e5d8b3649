"""Members of a consular post (VCCR Arts. 10-26, 53): appointed, read, their acts, and the
status certificate (Samoa Act s.21)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from exequatur.api.acts import act_routes
from exequatur.api.auth import parties_of
from exequatur.api.dependencies import Caller, IdempotencyKey, ServiceDep
from exequatur.api.problems import Problem
from exequatur.api.service import _appointment_reads, derived_id, not_before
from exequatur.api.views import LISTS, VIEWS
from exequatur.models.certificate import StatusCertificate, certificate
from exequatur.models.common import Day, Party
from exequatur.models.member import AppointmentRequest, appointment_refusal, new_member
from exequatur.models.post import Post
from exequatur.models.profile import Profile
from exequatur.register import queries
from exequatur.workflows import client as acts_client

router = APIRouter()


@router.post(
    "/v1/posts/{post_id}/members",
    status_code=201,
    tags=["members"],
    response_model=VIEWS["member"],
)
async def appoint_member(
    principal: Caller,
    service: ServiceDep,
    post_id: str,
    body: AppointmentRequest,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """The sending State appoints a head of post or a member of the staff (VCCR 10, 11, 19)."""
    update_id = derived_id(principal, f"posts/{post_id}/members", idempotency_key)
    with service.timed("member", "register"):
        reads = await service.db(_appointment_reads, principal, post_id, update_id if idempotency_key else None)
    post = service.visible(principal, "post", post_id, reads.post)
    if Party.SS not in parties_of(principal, post):
        raise Problem(
            403, "Members are appointed by the sending State (VCCR 10(1), 19(1))", article="VCCR 10(1), 19(1)"
        )
    if reads.prior:
        return await service.view(principal, "member", reads.prior["document"])
    post_record = Post.model_validate({**post, **reads.post_facts})
    not_before(body, post_record.established_on, "the post's establishment")
    profile = Profile.of(post_record.receiving_state, reads.profile)
    refusal = appointment_refusal(post_record, profile, reads.active, body)
    if refusal:
        raise Problem(409, refusal.detail, article=refusal.article, state=refusal.state)
    member_id = acts_client.new_member_id(update_id)
    record = new_member(member_id, post_record, profile, body)
    return await service.create(
        principal,
        "member",
        record.model_dump(mode="json", by_alias=True),
        body,
        Party.SS,
        update_id,
        facts=reads.member_facts,
    )


@router.get("/v1/posts/{post_id}/members", tags=["members"], response_model=LISTS["member"])
async def list_members(principal: Caller, service: ServiceDep, post_id: str) -> list[dict[str, Any]]:
    """The members of a post, every tenure, as the register holds them."""
    await service.load(principal, "post", post_id)
    return await service.db(queries.list_records, "member", post_id=post_id)


@router.get("/v1/members/{record_id}", tags=["members"], response_model=VIEWS["member"])
async def get_member(principal: Caller, service: ServiceDep, record_id: str) -> dict[str, Any]:
    return await service.load_view(principal, "member", record_id)


@router.get("/v1/members/{record_id}/status", tags=["members"])
async def status_certificate(
    principal: Caller, service: ServiceDep, record_id: str, on: Day = Query(...)
) -> StatusCertificate:
    """The status certificate (Samoa Act s.21): whether privileges applied on a date, from
    which act and article they began and ended (VCCR 53), how far (`scope`: Arts. 43, 58, 71) and
    on which provisions with force of law in the receiving State (Samoa Act ss.14-16)."""
    facts = await service.db(queries.certificate_facts, record_id)
    member_document = facts[0].model_dump(mode="json", by_alias=True) if facts else None
    service.visible(principal, "member", record_id, member_document)
    assert facts is not None  # visible() answered 404 otherwise
    member, profile, restrictions = facts
    return certificate(member, on, profile, restrictions)


act_routes(router, "member")
