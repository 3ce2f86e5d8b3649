"""Consular posts (VCCR Arts. 4, 27): requested, read, their acts, and the third State's custody
of a closed post (27(1)(b)), whose acts are asked for on the post."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter

from exequatur.api.acts import act_routes
from exequatur.api.auth import can_read
from exequatur.api.dependencies import Caller, IdempotencyKey, ServiceDep
from exequatur.api.problems import Problem
from exequatur.api.service import derived_id, not_before
from exequatur.api.views import LISTS, VIEWS
from exequatur.models.common import Party
from exequatur.models.post import CHILD_CLASSIFICATIONS, PARENT_CLASSIFICATIONS, Post, PostRequest
from exequatur.models.relations import relations_id
from exequatur.register import queries
from exequatur.workflows import client as acts_client

router = APIRouter()


@router.post(
    "/v1/posts",
    status_code=201,
    tags=["posts"],
    response_model=VIEWS["post"],
)
async def request_post(
    principal: Caller, service: ServiceDep, body: PostRequest, idempotency_key: IdempotencyKey = None
) -> dict[str, Any]:
    """The sending State asks the receiving State's consent to a post (VCCR 4(1)-(2), 4(4))."""
    if principal.state is None:
        raise Problem(403, "Only the sending State requests a post (VCCR 4(1))", article="VCCR 4(1)")
    ss, rs = principal.state, body.receiving_state
    if ss == rs:
        raise Problem(
            409,
            "Invalid input: receiving_state",
            errors=[{"field": "receiving_state", "msg": "a post is in another State", "type": "value_error"}],
        )
    update_id = derived_id(principal, "posts", idempotency_key)
    prior = await service.db(queries.act_by_id, update_id) if idempotency_key else None
    if prior:
        return await service.view(principal, "post", prior["document"])
    relations = await service.db(queries.get_record, relations_id(ss, rs), "relations")
    if not relations or relations["state"] != "established":
        raise Problem(
            409,
            f"{ss} and {rs} have no established consular relations; a post can be "
            "requested only between States that have them",
            article="VCCR 2(1)",
            state=relations["state"] if relations else "none",
        )
    if body.parent_post_id:
        parent = await service.db(queries.get_record, body.parent_post_id, "post")
        if not parent or not can_read(principal, parent):
            raise Problem(
                409,
                "Invalid input: parent_post_id",
                errors=[{"field": "parent_post_id", "msg": "no such post", "type": "value_error"}],
            )
        if (
            (parent["sending_state"], parent["receiving_state"]) != (ss, rs)
            or parent["state"] != "open"
            or parent["classification"] not in PARENT_CLASSIFICATIONS
            or body.classification not in CHILD_CLASSIFICATIONS
        ):
            raise Problem(
                409,
                "A vice-consulate or consular agency may be opened by an open consulate-general "
                "or consulate of the same sending State in the same receiving State",
                article="VCCR 4(4)",
                state=parent["state"],
            )
    not_before(
        body,
        date.fromisoformat(relations["established_on"]) if relations.get("established_on") else None,
        "the establishment of consular relations",
    )
    post_id = acts_client.new_post_id(ss, rs, update_id)
    record = Post(
        id=post_id,
        sending_state=ss,
        receiving_state=rs,
        seat=body.seat,
        classification=body.classification,
        district=body.district,
        headed_by=body.headed_by,
        parent_post_id=body.parent_post_id,
    )
    return await service.create(principal, "post", record.model_dump(mode="json"), body, Party.SS, update_id)


@router.get("/v1/posts", tags=["posts"], response_model=LISTS["post"])
async def list_posts(
    principal: Caller,
    service: ServiceDep,
    sending_state: str | None = None,
    receiving_state: str | None = None,
    state: str | None = None,
) -> list[dict[str, Any]]:
    """Posts visible to the caller, filtered by sending State, receiving State and state."""
    rows = await service.db(
        queries.list_records, "post", sending_state=sending_state, receiving_state=receiving_state, state=state
    )
    return [r for r in rows if can_read(principal, r)]


@router.get("/v1/posts/{record_id}", tags=["posts"], response_model=VIEWS["post"])
async def get_post(principal: Caller, service: ServiceDep, record_id: str) -> dict[str, Any]:
    return await service.load_view(principal, "post", record_id)


@router.get("/v1/custody/{record_id}", tags=["posts"], response_model=VIEWS["custody"])
async def get_custody(principal: Caller, service: ServiceDep, record_id: str) -> dict[str, Any]:
    """A third State's custody of a closed post (VCCR 27(1)(b)): its moves and reminders."""
    return await service.load_view(principal, "custody", record_id)


act_routes(router, "post")
