"""The act routes, generated from the lifecycle declarations: `POST <record>/acts/<act>` for every
act a party performs, so the OpenAPI document lists each with its party, article and body, and
nothing here restates a rule. The third State's custody acts are asked for on the post
(docs/api.md), since a custody record is the service's, not a caller's."""

from __future__ import annotations

import inspect
from typing import Any

from fastapi import APIRouter, Body, Query
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from exequatur.api import openapi, views
from exequatur.api.dependencies import Caller, IdempotencyKey, ServiceDep
from exequatur.api.problems import Problem
from exequatur.models.common import ActBody
from exequatur.models.custody import CUSTODY
from exequatur.models.kinds import KINDS
from exequatur.models.lifecycle import Act, Lifecycle


def act_routes(router: APIRouter, kind_name: str) -> None:
    """Every act a party performs on records of this kind (and, on a post, its custody's)."""
    kind = KINDS[kind_name]
    for act in kind.lifecycle.acts:
        if not act.automatic and not act.creates:
            _act_route(router, kind.name, kind.path(), act)
    if kind.name == "post":  # the third-State handover's acts, asked for on the post
        for act in CUSTODY.acts:
            if not act.automatic:
                _act_route(router, CUSTODY.name, kind.path(), act, via_post=True)
    _unknown_act_route(router, kind.name, kind.path(), kind.lifecycle)


def _act_route(router: APIRouter, kind: str, prefix: str, act: Act, via_post: bool = False) -> None:
    body_model = act.body

    async def endpoint(
        principal: Caller,
        service: ServiceDep,
        record_id: str,
        body: Any = Body(None),
        idempotency_key: IdempotencyKey = None,
        dry_run: bool = Query(
            False,
            description="What the act would do, recording nothing: its answer, notices and deadlines, "
            "and the records it would reach (a severance's posts, their members and households)",
        ),
    ) -> dict[str, Any]:
        try:
            parsed = body if isinstance(body, ActBody) else body_model.model_validate({})
        except ValidationError as exc:
            raise RequestValidationError(exc.errors(include_url=False)) from None
        if not via_post:
            if dry_run:
                return await service.what_if(principal, kind, record_id, act, parsed)
            return await service.act(principal, kind, record_id, act, parsed, idempotency_key)
        post = await service.load(principal, "post", record_id)
        custody = await service.custody_of(post)
        if custody is None:
            raise Problem(
                409,
                "No third State is proposed as custodian of this post",
                article="VCCR 27(1)(b)",
                state=post["state"],
            )
        if dry_run:
            return await service.what_if(principal, "custody", custody["id"], act, parsed)
        await service.act(principal, "custody", custody["id"], act, parsed, idempotency_key)
        await service.settle(post["id"], custody["id"])
        return await service.load_view(principal, "post", record_id)

    # The body's own model, not `| None`: the document then says "optional body of this model"
    # ($ref, required: false) rather than "this model or null", which generated clients send as
    # a JSON null or cannot send at all. An absent body is the act with every default; an act
    # whose model has required fields requires its body, and the document says so.
    required = any(field.is_required() for field in body_model.model_fields.values())
    signature = inspect.signature(endpoint)
    endpoint.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[
            p.replace(annotation=body_model, default=Body(... if required else None)) if p.name == "body" else p
            for p in signature.parameters.values()
        ]
    )
    router.post(
        f"{prefix}/acts/{act.name}",
        tags=[kind],
        name=f"{kind}:{act.name}",
        summary=f"{act.name} — {act.party.value}, {act.article}",
        description=openapi.act_description(kind, act, via_post),
        response_model=views.act_answer("post" if via_post else kind, kind),
        openapi_extra=openapi.act_openapi_extra(act),
        operation_id=f"{'post' if via_post else kind}_{act.name.replace('-', '_')}",
    )(endpoint)


def _unknown_act_route(router: APIRouter, kind: str, prefix: str, lifecycle: Lifecycle[Any]) -> None:
    names = [a.name for a in lifecycle.acts if not a.automatic and not a.creates]

    @router.post(f"{prefix}/acts/{{act}}", include_in_schema=False)
    async def unknown(principal: Caller, record_id: str, act: str) -> None:
        raise Problem(404, f"No act '{act}' on a {kind}; acts: {', '.join(names)}")
