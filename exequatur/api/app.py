"""The FastAPI application: acts become Temporal Updates, reads come from the register.

Every act route is generated from the lifecycle declarations, so the OpenAPI document at
/docs lists each act with its party, article and body, and nothing restates a rule.
"""

import asyncio
import contextvars
import functools
import json
from concurrent.futures import ThreadPoolExecutor
import gc
import threading
from collections.abc import Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, Callable

import structlog
from pydantic import ValidationError
from sqlalchemy.exc import InterfaceError, OperationalError
from fastapi import Body, Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool
from temporalio.client import Client, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError, RPCStatusCode

from exequatur.api import codec_server, consular_list, metrics, openapi, problems
from exequatur.api.auth import Principal, caller, can_read, load_tokens, parties_of
from exequatur.api.problems import Problem
from exequatur.models.common import ActBody, Party, StateCode
from exequatur.models.lifecycle import Act, Case, Lifecycle, mermaid
from exequatur.models.member import (FUNCTIONS_ENDED, MEMBER, Appointment, Member, StatusCertificate, appointment_refusal,
                           certificate, new_member)
from exequatur.models.precedence import Entry, MemberFacts, PostFacts, listed_on, order
from exequatur.models.post import (CHILD_CLASSIFICATIONS, PARENT_CLASSIFICATIONS, POST, ActingHead, OfficerOrder,
                         OfficerPrecedence, Post, PostRequest)
from exequatur.models.profile import Profile
from exequatur.models.relations import RELATIONS, EstablishBody, MissionsBody, Relations, missions_are_of_the_pair, relations_id
from exequatur.register import queries
from exequatur.register.db import engine_for, migrate
from exequatur.core.settings import Settings, get_settings
from exequatur.models.custody import CUSTODY
from exequatur.workflows.lifecycles import CustodyWorkflow, MemberWorkflow, PostWorkflow, RelationsWorkflow
from exequatur.workflows import client as acts_client
from exequatur.workflows.client import workflow_id
from exequatur.workflows.messages import ActOutcome, ActRequest

log = structlog.get_logger("exequatur.api")
Caller = Annotated[Principal, Depends(caller)]  # resolved before the body: 401 comes first

KINDS: dict[str, tuple[Lifecycle[Any], Any, str]] = {
    "relations": (RELATIONS, RelationsWorkflow, "/v1/relations/{record_id}"),
    "post": (POST, PostWorkflow, "/v1/posts/{record_id}"),
    "member": (MEMBER, MemberWorkflow, "/v1/members/{record_id}"),
    "custody": (CUSTODY, CustodyWorkflow, "/v1/custody/{record_id}"),
}


def derived_id(principal: Principal, scope: str, key: str | None) -> str:
    """An Idempotency-Key maps onto one update id (and one record id) per caller and route."""
    return acts_client.derived_id(principal.name, scope, key)


class Service:
    """What the routes share: the register, the Temporal client and the task queue."""

    def __init__(self, settings: Settings, client: Client | None):
        self.settings = settings
        self.engine = engine_for(settings.effective_database_url)
        self.client = client
        # The register's reads and writes in threads of their own, as many as Starlette's pool
        # allows (40). `run_in_executor` wakes the caller once; Starlette's `run_in_threadpool`
        # (anyio) passes through extra checkpoints of the event loop, each a wait behind every
        # other ready task, which made a 0.3 ms read cost about 2 ms per act (bench item 2).
        self.pool = ThreadPoolExecutor(max_workers=40, thread_name_prefix="register")

    async def db(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        call = functools.partial(contextvars.copy_context().run, fn, self.engine, *args, **kwargs)
        try:
            return await asyncio.get_running_loop().run_in_executor(self.pool, call)
        except (OperationalError, InterfaceError) as exc:  # the register is down, restarting or locked
            log.warning("register unavailable", error=type(exc.orig).__name__ if exc.orig else type(exc).__name__)
            raise Problem(503, "The register is unavailable; retry (an act with the same Idempotency-Key)") from None

    async def load(self, principal: Principal, kind: str, record_id: str) -> dict[str, Any]:
        return self.visible(principal, kind, record_id, await self.db(queries.get_record, record_id, kind))

    @staticmethod
    def visible(principal: Principal, kind: str, record_id: str, record: dict[str, Any] | None) -> dict[str, Any]:
        if record is None or not can_read(principal, record):
            raise Problem(404, f"No {kind} '{record_id}' is visible to you")  # no hint it exists
        return record

    async def facts(self, kind: str, record: dict[str, Any]) -> dict[str, Any]:
        """The register's current facts a lifecycle declares it reads (`Lifecycle.facts`)."""
        return await self.db(acts_client.facts, kind, record)  # type: ignore[no-any-return]

    async def view(self, principal: Principal, kind: str, record: dict[str, Any]) -> dict[str, Any]:
        return self.answer(principal, kind, record, *await self.db(_view_reads, kind, record))

    async def current_view(self, principal: Principal, kind: str, record_id: str) -> dict[str, Any]:
        """The record as the register holds it now, with what its answer shows: one register trip."""
        record, *reads = await self.db(_current_view_reads, kind, record_id)
        return self.answer(principal, kind, record, *reads)

    async def load_view(self, principal: Principal, kind: str, record_id: str) -> dict[str, Any]:
        """`view(load(...))` in one register trip: 404 unless the caller may see the record."""
        record, *reads = await self.db(_current_view_reads, kind, record_id, principal)
        return self.answer(principal, kind, self.visible(principal, kind, record_id, record), *reads)

    def answer(self, principal: Principal, kind: str, record: dict[str, Any], acts: list[dict[str, Any]],
               members: list[dict[str, Any]] | None, custody: dict[str, Any] | None) -> dict[str, Any]:
        """A record as the API shows it: its acts and the acts the caller may perform next."""
        lifecycle = KINDS[kind][0]
        case = Case(lifecycle, lifecycle.record.model_validate(record))
        out = dict(record)
        out["acts"] = acts
        out["allowed_acts"] = case.allowed(parties_of(principal, record))
        if kind == "post":
            heads = [m for m in members or [] if m["role"] == "head" and m["state"] not in FUNCTIONS_ENDED]
            out["head"] = ({"member_id": heads[-1]["id"], "class": heads[-1].get("class"),
                            "state": heads[-1]["state"]} if heads else None)
            if custody:  # the handover's acts are asked for on the post (API.md)
                out["allowed_acts"] += Case(CUSTODY, CUSTODY.record.model_validate(custody)).allowed(
                    parties_of(principal, custody))
        return out

    async def act(self, principal: Principal, kind: str, record_id: str, act: Act, body: ActBody,
                  key: str | None) -> dict[str, Any]:
        lifecycle, _, _ = KINDS[kind]
        update_id = derived_id(principal, f"{kind}/{record_id}/{act.name}", key)
        # One register trip for every read before the update (the record, its lifecycle's facts,
        # a retry's first answer, the acts its answer lists); each trip costs more than the read.
        record, facts, profile, prior, listed = await self.db(_act_reads, principal, kind, record_id,
                                                              bool(act.periods), update_id if key else None)
        record = self.visible(principal, kind, record_id, record)
        parties = parties_of(principal, record)
        case = Case(lifecycle, lifecycle.record.model_validate({**record, **facts}))
        refusal = case.decide(act.name, parties)
        if refusal is not None and refusal.status == 403:
            raise Problem(403, refusal.detail, article=refusal.article)
        if prior:  # a retry: the first answer, nothing applied twice
            return await self.view(principal, kind, prior["document"])
        refusal = refusal or case.body_refusal(act.name, body)
        if refusal is not None:
            raise Problem(refusal.status, refusal.detail, article=refusal.article, state=refusal.state,
                          allowed_acts=case.allowed(parties))
        await self.check_references(kind, record, body)
        request = ActRequest(party=act.party, principal=principal.name, facts=facts, profile=profile,
                             body=body.model_dump(mode="json", exclude_none=True, by_alias=True))
        try:
            outcome = await self.in_time(acts_client.perform(self.client, kind, record_id, act.name, request,  # type: ignore[arg-type]
                                                             update_id))
        except WorkflowUpdateFailedError as exc:
            raise from_failure(exc.cause) from None
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                raise Problem(409, f"The {kind}'s lifecycle has ended; the register keeps its record",
                              state=record["state"], allowed_acts=[]) from None
            raise Problem(503, f"The workflow service did not answer ({exc.status.name}); retry with the "
                          "same Idempotency-Key") from None
        log.info("act accepted", workflow_id=workflow_id(kind, record_id), act=act.name, article=act.article)
        return await self.answer_after(principal, kind, record_id, listed, outcome)

    async def answer_after(self, principal: Principal, kind: str, record_id: str, listed: list[dict[str, Any]],
                           outcome: ActOutcome) -> dict[str, Any]:
        """The record as the caller's act left it, with its acts. From the update's answer where
        that is everything the answer shows: the record's acts read before the update (`listed`)
        and this one after them, no other act between (the record's count says so); a post's answer
        also shows its members and custody. Else read back from the register: one trip more, which
        was a quarter of the API's cost over the workflow's (bench item 2, bench/RESULTS.md)."""
        if (kind != "post" and outcome.document is not None and outcome.act is not None
                and outcome.record_seq == len(listed) + 1):
            return self.answer(principal, kind, outcome.document, [*listed, outcome.act.model_dump()], None, None)
        return await self.current_view(principal, kind, record_id)

    async def settle(self, post_id: str, custody_id: str, attempts: int = 50) -> None:
        """The post mirrors its custody by a durable signal; answer once it has caught up, so the
        caller reads its own write on the post too."""
        for _ in range(attempts):
            post = await self.db(queries.get_record, post_id, "post")
            custody = await self.db(queries.get_record, custody_id, "custody")
            if post and custody and (post.get("custody") or {}).get("state") == custody["state"]:
                return
            await asyncio.sleep(0.05)

    async def custody_of(self, post: dict[str, Any], attempts: int = 100) -> dict[str, Any] | None:
        """The custody the post names. The post names it as soon as a custodian is proposed; the
        custody's own workflow records it a moment later (27(1)(b)): wait for that record rather
        than answer that nothing is proposed, and 503 (retry) if it does not come."""
        custody_id = (post.get("custody") or {}).get("id")
        if not custody_id:
            return None
        for _ in range(attempts):
            custody = await self.db(queries.get_record, custody_id, "custody")
            if custody is not None:
                return custody  # type: ignore[no-any-return]
            await asyncio.sleep(0.05)
        raise Problem(503, "The proposed custody is still being recorded; retry (with the same Idempotency-Key)")

    async def in_time(self, call: Any) -> Any:
        """An act still waiting for the register after the timeout answers 503; the update goes on,
        and a retry with the same Idempotency-Key attaches to it or returns its first answer."""
        try:
            return await asyncio.wait_for(call, timeout=self.settings.act_timeout_seconds)
        # The SDK reports its own cancelled long poll (our timeout, or no worker admitting the
        # update, e.g. after a worker crash) as WorkflowUpdateRPCTimeoutOrCancelledError.
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            raise Problem(503, "The act is accepted but the register has not confirmed it yet; retry with "
                          "the same Idempotency-Key") from None

    async def check_references(self, kind: str, record: dict[str, Any], body: ActBody) -> None:
        """Ids a body names must be records the act may name (422 otherwise)."""
        if isinstance(body, MissionsBody):
            strangers = missions_are_of_the_pair(body, tuple(record["states"]))  # type: ignore[arg-type]
            if strangers:  # as on establishment: a 422, not a silent drop
                raise Problem(422, "Invalid input: diplomatic_missions", errors=[{
                    "field": "diplomatic_missions", "type": "value_error", "msg": f"{strangers} are not of this pair"}])
        if isinstance(body, OfficerPrecedence):
            members = {m["id"]: m for m in await self.db(queries.list_records, "member", post_id=record["id"])}
            strangers = [i for i in body.order if i not in members or members[i]["role"] not in ("head", "officer")]
            if strangers or len(set(body.order)) != len(body.order):
                raise Problem(422, "Invalid input: order", errors=[{
                    "field": "order", "type": "value_error",
                    "msg": f"name each consular officer of this post once (VCCR 21); not: {strangers}"}])

    async def create(self, principal: Principal, kind: str, record: dict[str, Any], body: ActBody,
                     party: Party, update_id: str, created: bool = False,
                     facts: dict[str, Any] | None = None) -> dict[str, Any]:
        """`facts`: the new record's lifecycle facts where the caller read them with its own reads."""
        lifecycle = KINDS[kind][0]
        act = lifecycle.creation
        record = {**record, **(facts if facts is not None else await self.facts(kind, record))}
        request = ActRequest(party=party, principal=principal.name,
                             body=body.model_dump(mode="json", exclude_none=True, by_alias=True))
        try:
            outcome = await self.in_time(acts_client.create(self.client, self.settings.task_queue, kind, record,  # type: ignore[arg-type]
                                                            act.name, request, update_id, created=created))
        except WorkflowUpdateFailedError as exc:
            raise from_failure(exc.cause) from None
        except RPCError as exc:
            raise Problem(503, f"The workflow service did not answer ({exc.status.name}); retry with the "
                          "same Idempotency-Key") from None
        log.info("record created", workflow_id=workflow_id(kind, record["id"]), act=act.name, article=act.article)
        return await self.answer_after(principal, kind, record["id"], [], outcome)


@dataclass
class AppointmentReads:
    post: dict[str, Any] | None  # None where the caller may not see it
    prior: dict[str, Any] | None = None
    post_facts: dict[str, Any] = field(default_factory=dict)
    profile: dict[str, Any] | None = None
    active: int = 0
    member_facts: dict[str, Any] = field(default_factory=dict)


def _appointment_reads(engine: Any, principal: Principal, post_id: str, update_id: str | None) -> AppointmentReads:
    """Before an appointment, in one register trip: the post and its facts, a retry's first answer,
    the receiving State's profile, the members in functions (VCCR 20), and the facts the new
    member's lifecycle reads (its States are the post's)."""
    with engine.connect() as conn:
        post = queries.get_record(conn, post_id, "post")
        if post is None or not can_read(principal, post):
            return AppointmentReads(None)
        return AppointmentReads(
            post, queries.act_by_id(conn, update_id) if update_id else None, acts_client.facts(conn, "post", post),
            queries.get_profile(conn, post["receiving_state"]),
            queries.count_members_in_functions(conn, post_id),
            acts_client.facts(conn, "member", {"sending_state": post["sending_state"],
                                               "receiving_state": post["receiving_state"]}))


def _act_reads(engine: Any, principal: Principal, kind: str, record_id: str, with_profile: bool,
               update_id: str | None) -> tuple[dict[str, Any] | None, dict[str, Any], Profile | None,
                                               dict[str, Any] | None, list[dict[str, Any]]]:
    """Before an act: the record, the facts its lifecycle reads (if the caller may see it), the
    receiving State's profile where the act's effect needs its periods, the first answer to a
    retried Idempotency-Key, and the record's acts (its answer lists them, with the new one)."""
    with engine.connect() as conn:  # one checkout for the trip's reads
        record = queries.get_record(conn, record_id, kind)
        if record is None or not can_read(principal, record):
            return None, {}, None, None, []
        facts = acts_client.facts(conn, kind, record)
        profile = Profile.model_validate(queries.get_profile(conn, record["receiving_state"]) or {}) if with_profile else None
        return (record, facts, profile, queries.act_by_id(conn, update_id) if update_id else None,
                queries.acts_of(conn, record_id) if kind != "post" else [])


def _view_reads(engine: Any, kind: str, record: dict[str, Any]) -> tuple[
        list[dict[str, Any]], list[dict[str, Any]] | None, dict[str, Any] | None]:
    """What a record's answer shows besides the record: its acts; for a post, its members (for the
    head) and its custody."""
    acts = queries.acts_of(engine, record["id"])
    if kind != "post":
        return acts, None, None
    members = queries.list_records(engine, "member", post_id=record["id"])
    custody_id = (record.get("custody") or {}).get("id")
    return acts, members, queries.get_record(engine, custody_id, "custody") if custody_id else None


def _current_view_reads(engine: Any, kind: str, record_id: str, principal: Principal | None = None) -> tuple[Any, ...]:
    """The record by id and `_view_reads`; with a principal, nothing more where it may not see it."""
    with engine.connect() as conn:
        record = queries.get_record(conn, record_id, kind)
        if principal is not None and (record is None or not can_read(principal, record)):
            return None, [], None, None
        return (record, *_view_reads(conn, kind, record))  # type: ignore[arg-type]


def from_failure(cause: BaseException | None) -> Problem:
    """Map a workflow's ApplicationError onto the HTTP status it names."""
    details = acts_client.refusal_details(cause)
    if details is not None:
        status = details.pop("status")
        return Problem(status, str(cause.message), **details)  # type: ignore[union-attr]
    log.error("act failed in the workflow", cause=repr(cause))
    return Problem(503, "The act could not be completed now; retry with the same Idempotency-Key")


def create_app(settings: Settings | None = None, client: Client | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        await run_in_threadpool(migrate, settings.effective_database_url)
        if app.state.service.client is None:
            app.state.service.client = await Client.connect(**settings.client_options())
        yield

    app = FastAPI(
        title="Exequatur",
        version="1",
        summary="The lifecycle of consular posts and their members under the Vienna Convention on "
                "Consular Relations (1963).",
        lifespan=lifespan,
        openapi_tags=openapi.lifecycle_tags({kind: lifecycle for kind, (lifecycle, _, _) in KINDS.items()}),
    )
    app.state.service = Service(settings, client)
    app.state.tokens = load_tokens(settings.tokens_file) if settings.tokens_file else []
    problems.install(app)
    # The Web UI (another origin) calls /codec with the auditor's cookie (api/codec_server.py).
    app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins(), allow_credentials=True,
                       allow_methods=["POST"], allow_headers=["Authorization", "Content-Type", "X-Namespace"])
    codec_server.install(app, settings)
    metrics.install(app, app.state.service.engine)  # GET /metrics for Prometheus
    openapi.install(app)
    _routes(app, settings)
    return app


def _service(request: Request) -> Service:
    return request.app.state.service  # type: ignore[no-any-return]


def _routes(app: FastAPI, settings: Settings) -> None:
    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> JSONResponse:
        service = _service(request)
        try:
            await service.db(queries.get_profile, "FRA")
            await service.client.service_client.check_health()  # type: ignore[union-attr]
        except Exception as exc:  # readiness reports, it does not raise
            return JSONResponse({"status": "unavailable", "reason": type(exc).__name__}, status_code=503)
        return JSONResponse({"status": "ready"})

    @app.get("/v1/lifecycles", tags=["law"])
    async def lifecycles() -> dict[str, Any]:
        """Every lifecycle's states and acts, with party and article, and its Mermaid diagram:
        the same declarations the workflows execute."""
        return {lc.name: describe_lifecycle(lc) for lc, _, _ in KINDS.values()}

    # ---- relations ----------------------------------------------------------------
    @app.post("/v1/relations", status_code=201, tags=["relations"],
              responses=openapi.problem_responses(401, 403, 409, 422, 503))
    async def establish_relations(request: Request, principal: Caller, body: EstablishBody,
                                  idempotency_key: str | None = Header(None)) -> dict[str, Any]:
        """Consular relations by mutual consent (VCCR 2(1)), or implied by diplomatic relations (2(2))."""
        if principal.state is None:
            raise Problem(403, "Only a State establishes consular relations (VCCR 2(1))", article="VCCR 2(1)")
        if body.with_state == principal.state:
            raise Problem(422, "Invalid input: with_state", errors=[{"field": "with_state", "msg": "a State has no relations with itself", "type": "value_error"}])
        pair = tuple(sorted((principal.state, body.with_state)))
        strangers = missions_are_of_the_pair(body, pair)  # type: ignore[arg-type]
        if strangers:
            raise Problem(422, "Invalid input: diplomatic_missions", errors=[{"field": "diplomatic_missions", "msg": f"{strangers} are not of this pair", "type": "value_error"}])
        service = _service(request)
        rid = relations_id(*pair)
        update_id = derived_id(principal, "relations", request.headers.get("idempotency-key"))
        prior = await service.db(queries.act_by_id, update_id) if idempotency_key else None
        if prior:
            return await service.view(principal, "relations", prior["document"])
        existing = await service.db(queries.get_record, rid, "relations")
        record = existing or Relations(id=rid, states=pair).model_dump(mode="json")  # type: ignore[arg-type]
        if existing:
            case = Case(RELATIONS, Relations.model_validate(existing))
            if not case.may("establish"):
                r = case.refusal("establish")
                raise Problem(409, "Consular relations between these States are already established",
                              article="VCCR 2(1)", state=r.state, allowed_acts=case.allowed({Party.EITHER}))
        return await service.create(principal, "relations", record, body, Party.EITHER, update_id, created=bool(existing))

    @app.get("/v1/relations", tags=["relations"])
    async def list_relations(request: Request, principal: Caller) -> list[dict[str, Any]]:
        rows = await _service(request).db(queries.list_records, "relations")
        return [r for r in rows if can_read(principal, r)]

    # ---- posts ----------------------------------------------------------------------
    @app.post("/v1/posts", status_code=201, tags=["posts"],
              responses=openapi.problem_responses(401, 403, 409, 422, 503))
    async def request_post(request: Request, principal: Caller, body: PostRequest,
                           idempotency_key: str | None = Header(None)) -> dict[str, Any]:
        """The sending State asks the receiving State's consent to a post (VCCR 4(1)-(2), 4(4))."""
        service = _service(request)
        if principal.state is None:
            raise Problem(403, "Only the sending State requests a post (VCCR 4(1))", article="VCCR 4(1)")
        ss, rs = principal.state, body.receiving_state
        if ss == rs:
            raise Problem(422, "Invalid input: receiving_state", errors=[{"field": "receiving_state", "msg": "a post is in another State", "type": "value_error"}])
        update_id = derived_id(principal, "posts", idempotency_key)
        prior = await service.db(queries.act_by_id, update_id) if idempotency_key else None
        if prior:
            return await service.view(principal, "post", prior["document"])
        relations = await service.db(queries.get_record, relations_id(ss, rs), "relations")
        if not relations or relations["state"] != "established":
            raise Problem(409, f"{ss} and {rs} have no established consular relations; a post can be "
                          "requested only between States that have them", article="VCCR 2(1)",
                          state=relations["state"] if relations else "none")
        if body.parent_post_id:
            parent = await service.db(queries.get_record, body.parent_post_id, "post")
            if not parent or not can_read(principal, parent):
                raise Problem(422, "Invalid input: parent_post_id", errors=[{"field": "parent_post_id", "msg": "no such post", "type": "value_error"}])
            if (parent["sending_state"], parent["receiving_state"]) != (ss, rs) or parent["state"] != "open" \
                    or parent["classification"] not in PARENT_CLASSIFICATIONS \
                    or body.classification not in CHILD_CLASSIFICATIONS:
                raise Problem(409, "A vice-consulate or consular agency may be opened by an open consulate-general "
                              "or consulate of the same sending State in the same receiving State",
                              article="VCCR 4(4)", state=parent["state"])
        not_before(body, date.fromisoformat(relations["established_on"]) if relations.get("established_on") else None,
                   "the establishment of consular relations")
        post_id = acts_client.new_post_id(ss, rs, update_id)
        record = Post(id=post_id, sending_state=ss, receiving_state=rs, seat=body.seat,
                      classification=body.classification, district=body.district,
                      headed_by=body.headed_by, parent_post_id=body.parent_post_id)
        return await service.create(principal, "post", record.model_dump(mode="json"), body, Party.SS, update_id)

    @app.get("/v1/posts", tags=["posts"])
    async def list_posts(request: Request, principal: Caller, sending_state: str | None = None, receiving_state: str | None = None,
                         state: str | None = None) -> list[dict[str, Any]]:
        """Posts visible to the caller, filtered by sending State, receiving State and state."""
        rows = await _service(request).db(queries.list_records, "post", sending_state=sending_state,
                                          receiving_state=receiving_state, state=state)
        return [r for r in rows if can_read(principal, r)]

    @app.get("/v1/posts/{record_id}", tags=["posts"])
    async def get_post(request: Request, principal: Caller, record_id: str) -> dict[str, Any]:
        service = _service(request)
        return await service.load_view(principal, "post", record_id)

    # ---- members --------------------------------------------------------------------
    @app.post("/v1/posts/{post_id}/members", status_code=201, tags=["members"],
              responses=openapi.problem_responses(401, 403, 404, 409, 422, 503))
    async def appoint_member(request: Request, principal: Caller, post_id: str, body: Appointment,
                             idempotency_key: str | None = Header(None)) -> dict[str, Any]:
        """The sending State appoints a head of post or a member of the staff (VCCR 10, 11, 19)."""
        service = _service(request)
        update_id = derived_id(principal, f"posts/{post_id}/members", idempotency_key)
        reads = await service.db(_appointment_reads, principal, post_id, update_id if idempotency_key else None)
        post = service.visible(principal, "post", post_id, reads.post)
        if Party.SS not in parties_of(principal, post):
            raise Problem(403, "Members are appointed by the sending State (VCCR 10(1), 19(1))",
                          article="VCCR 10(1), 19(1)")
        if reads.prior:
            return await service.view(principal, "member", reads.prior["document"])
        post_record = Post.model_validate({**post, **reads.post_facts})
        not_before(body, post_record.established_on, "the post's establishment")
        profile = Profile.model_validate(reads.profile or {})
        refusal = appointment_refusal(post_record, profile, reads.active, body)
        if refusal:
            raise Problem(409, refusal.detail, article=refusal.article, state=refusal.state)
        member_id = acts_client.new_member_id(update_id)
        record = new_member(member_id, post_record, profile, body)
        return await service.create(principal, "member", record.model_dump(mode="json", by_alias=True), body,
                                    Party.SS, update_id, facts=reads.member_facts)

    @app.get("/v1/posts/{post_id}/members", tags=["members"])
    async def list_members(request: Request, principal: Caller, post_id: str) -> list[dict[str, Any]]:
        """The members of a post, every tenure, as the register holds them."""
        service = _service(request)
        await service.load(principal, "post", post_id)
        return await service.db(queries.list_records, "member", post_id=post_id)  # type: ignore[no-any-return]

    @app.get("/v1/members/{record_id}", tags=["members"])
    async def get_member(request: Request, principal: Caller, record_id: str) -> dict[str, Any]:
        service = _service(request)
        return await service.load_view(principal, "member", record_id)

    @app.get("/v1/members/{record_id}/status", tags=["members"])
    async def status_certificate(request: Request, principal: Caller, record_id: str, on: date = Query(...)) -> StatusCertificate:
        """The status certificate (Samoa Act s.21): whether privileges applied on a date, from
        which act and article they began and ended (VCCR 53)."""
        member = Member.model_validate(await _service(request).load(principal, "member", record_id))
        return certificate(member, on)

    # ---- precedence -----------------------------------------------------------------
    @app.get("/v1/precedence/{receiving_state}", tags=["precedence"],
             responses={200: {"content": {"text/html": {}, "text/csv": {}}}})
    async def precedence(request: Request, principal: Caller, receiving_state: StateCode, on: date | None = None) -> Any:
        """The consular list of a receiving State in order of precedence (VCCR 16), as it stood on
        `on` (default today), read from the register. `Accept: text/html` gives the printable list,
        `text/csv` a spreadsheet."""
        service = _service(request)
        on = on or date.today()
        entries = await service.db(consular_list_entries, receiving_state, on)  # off the event loop
        accept = request.headers.get("accept", "")
        if "text/html" in accept:
            return HTMLResponse(consular_list.as_html(receiving_state, on, entries))
        if "text/csv" in accept:
            return PlainTextResponse(consular_list.as_csv(entries), media_type="text/csv")
        # Rendered as it is: the list is plain JSON values already, FastAPI's encoder would walk it again.
        return JSONResponse(consular_list.as_json(receiving_state, on, entries))

    # ---- profiles -------------------------------------------------------------------
    @app.put("/v1/profiles/{state}", tags=["profiles"])
    async def put_profile(request: Request, principal: Caller, state: StateCode, profile: Profile) -> dict[str, Any]:
        """The receiving State's national law and usage (VCCR 10(2), 20, 22(3), 68); by that State or admin."""
        if principal.state != state and principal.role != "admin":
            raise Problem(403, "A profile is set by its own State or an admin")
        document = profile.model_dump(mode="json")
        await _service(request).db(queries.put_profile, state, document)
        return document

    @app.get("/v1/profiles/{state}", tags=["profiles"])
    async def get_profile(request: Request, principal: Caller, state: StateCode) -> dict[str, Any]:
        stored = await _service(request).db(queries.get_profile, state)
        document = Profile.model_validate(stored or {}).model_dump(mode="json")
        if principal.state != state and not principal.reads_everything:
            # Ceilings are keyed by post id: a stranger must not learn that a post exists.
            posts = {p["id"] for p in await _service(request).db(queries.list_records, "post", receiving_state=state)
                     if can_read(principal, p)}
            document["staff_ceiling"] = {k: v for k, v in document["staff_ceiling"].items() if k in posts}
        return document

    @app.get("/v1/custody/{record_id}", tags=["posts"])
    async def get_custody(request: Request, principal: Caller, record_id: str) -> dict[str, Any]:
        """A third State's custody of a closed post (VCCR 27(1)(b)): its moves and reminders."""
        service = _service(request)
        return await service.load_view(principal, "custody", record_id)

    # ---- acts, generated from the declarations --------------------------------------
    for kind, (lifecycle, _, prefix) in KINDS.items():
        if kind == "custody":
            continue
        for act in lifecycle.acts:
            if not act.automatic and not act.creates:
                _act_route(app, kind, prefix, act)
        if kind == "post":  # the third-State handover's acts, asked for on the post (API.md)
            for act in CUSTODY.acts:
                if not act.automatic:
                    _act_route(app, "custody", prefix, act, via_post=True)
        _unknown_act_route(app, kind, prefix, lifecycle)


def not_before(body: ActBody, earliest: date | None, what: str) -> None:
    """A creating act cannot be dated before the record it depends on (API.md effective_date)."""
    if body.effective_date and earliest and body.effective_date < earliest:
        raise Problem(422, "Invalid input: effective_date", errors=[{
            "field": "effective_date", "type": "date_before_last_act",
            "msg": f"{body.effective_date} is before {what} ({earliest})"}])


def consular_list_entries(engine: Any, receiving_state: str, on: date) -> list[Entry]:
    """The consular list of a receiving State on a date (VCCR 16): the register's reads and the
    order, for the API, `exequatur precedence` and the bench alike."""
    with collection_paused():
        members, posts, profile = consular_list_facts(engine, receiving_state)
        return order(listed_on(members, posts, on), profile.tie_break)


_pause_lock = threading.Lock()
_pauses = 0
_collecting = True


@contextmanager
def collection_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a list is built. A list of 5,000 heads
    allocates some 50,000 objects, none in a cycle (reference counting frees them all), and in a
    process with a small heap (the API alone) they set off full collections that doubled the
    list's time (bench item 5, bench/RESULTS.md). Counted, so overlapping requests in the API's
    threads resume collection only when the last one ends."""
    global _pauses, _collecting
    with _pause_lock:
        if _pauses == 0:
            _collecting = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _collecting:
                gc.enable()


def consular_list_facts(engine: Any, receiving_state: str) -> tuple[list[MemberFacts], list[PostFacts], Profile]:
    """Two queries for the whole list, however large the corps: heads and officers, and posts,
    each only the fields the list reads (no record is decoded or validated whole)."""
    members, posts = queries.consular_list_rows(engine, receiving_state)
    return ([_member_facts(row) for row in members], [_post_facts(row) for row in posts],
            Profile.model_validate(queries.get_profile(engine, receiving_state) or {}))


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _member_facts(row: tuple[Any, ...]) -> MemberFacts:
    (id_, post_id, sending_state, role, seat, full_name, class_, category, diplomatic_acts,
     provisional, exequatur, presented, entered, ended) = row
    return MemberFacts(id_, post_id, sending_state, role, seat, full_name, class_, category, diplomatic_acts,
                       _day(provisional), _day(exequatur), _day(presented), _day(entered), _day(ended))


def _post_facts(row: tuple[Any, ...]) -> PostFacts:
    id_, sending_state, seat, officer_order, acting_head, past_acting_heads = row
    # Most posts have neither an Art. 21 order nor an acting head: nothing to decode, and the
    # empty tuple is shared, not one more object per post for the garbage collector to scan.
    orders = tuple(OfficerOrder.model_validate(o) for o in json.loads(officer_order)) \
        if officer_order not in (None, "[]") else ()
    acting = tuple(ActingHead.model_validate(h) for h in json.loads(past_acting_heads)) \
        if past_acting_heads not in (None, "[]") else ()
    if acting_head is not None:
        acting += (ActingHead.model_validate_json(acting_head),)
    return PostFacts(id_, sending_state, seat, orders, acting)


def _act_route(app: FastAPI, kind: str, prefix: str, act: Act, via_post: bool = False) -> None:
    body_model = act.body

    async def endpoint(request: Request, principal: Caller, record_id: str, body: Any = Body(None),
                       idempotency_key: str | None = Header(None)) -> dict[str, Any]:
        try:
            parsed = body if isinstance(body, ActBody) else body_model.model_validate({})
        except ValidationError as exc:
            raise RequestValidationError(exc.errors(include_url=False)) from None
        service = _service(request)
        if not via_post:
            return await service.act(principal, kind, record_id, act, parsed, idempotency_key)
        post = await service.load(principal, "post", record_id)
        custody = await service.custody_of(post)
        if custody is None:
            raise Problem(409, "No third State is proposed as custodian of this post", article="VCCR 27(1)(b)",
                          state=post["state"])
        await service.act(principal, "custody", custody["id"], act, parsed, idempotency_key)
        await service.settle(post["id"], custody["id"])
        return await service.load_view(principal, "post", record_id)

    endpoint.__annotations__["body"] = body_model | None  # type: ignore[operator]
    app.post(
        f"{prefix}/acts/{act.name}",
        tags=[kind],
        name=f"{kind}:{act.name}",
        summary=f"{act.name} — {act.party.value}, {act.article}",
        description=openapi.act_description(kind, act, via_post),
        responses=openapi.ACT_RESPONSES,
        openapi_extra=openapi.act_openapi_extra(act),
        operation_id=f"{'post' if via_post else kind}_{act.name.replace('-', '_')}",
    )(endpoint)


def _unknown_act_route(app: FastAPI, kind: str, prefix: str, lifecycle: Lifecycle[Any]) -> None:
    names = [a.name for a in lifecycle.acts if not a.automatic and not a.creates]

    @app.post(f"{prefix}/acts/{{act}}", include_in_schema=False)
    async def unknown(request: Request, principal: Caller, record_id: str, act: str) -> None:
        raise Problem(404, f"No act '{act}' on a {kind}; acts: {', '.join(names)}")


def describe_lifecycle(lifecycle: Lifecycle[Any]) -> dict[str, Any]:
    return {
        "title": lifecycle.title,
        "states": [s.value for s in lifecycle.states],
        "acts": [
            {
                "act": a.name, "party": a.party.value, "article": a.article, "summary": a.summary,
                "automatic": a.automatic, "creates": a.creates,
                "routes": [{"from": list(r.sources), "to": r.dest,
                            "conditions": [{"name": c.name, "article": c.article} for c in r.when]}
                           for r in a.routes],
            }
            for a in lifecycle.acts
        ],
        "deadlines": [{"field": t.field, "act": t.act, "article": t.article} for t in lifecycle.timers],
        "mermaid": mermaid(lifecycle),
    }
