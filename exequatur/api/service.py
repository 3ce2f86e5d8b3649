"""What the routes share: the register (its reads off the event loop), the Temporal client,
and the steps of every act: the reads before it, the refusals the API can make without the
workflow (403 first), the Update, and the answer. The rules are the declarations' (models/);
this module only asks them."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

import structlog
from prometheus_client import Histogram
from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from temporalio.client import Client, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from exequatur.api import metrics, what_if
from exequatur.api.auth import Principal, can_read, parties_of
from exequatur.api.problems import Problem
from exequatur.core.settings import Settings
from exequatur.models.common import ActBody, Party
from exequatur.models.custody import CUSTODY
from exequatur.models.kinds import KINDS
from exequatur.models.lifecycle import Act, Case, Refusal
from exequatur.models.member import FUNCTIONS_ENDED
from exequatur.models.messages import ActOutcome, ActRequest
from exequatur.models.post import OfficerPrecedence
from exequatur.models.profile import Profile
from exequatur.models.relations import MissionsBody, missions_are_of_the_pair
from exequatur.register import queries
from exequatur.register.db import engine_for
from exequatur.workflows import client as acts_client
from exequatur.workflows.checks import InvalidInput, check_act, refusal_details
from exequatur.workflows.client import workflow_id

log = structlog.get_logger("exequatur.api")
P = ParamSpec("P")
T = TypeVar("T")


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
        # other ready task.
        self.pool = ThreadPoolExecutor(max_workers=40, thread_name_prefix="register")
        self.act_phases: Histogram | None = None  # api/metrics.py, set by create_app

    @contextmanager
    def timed(self, kind: str, phase: str) -> Iterator[None]:
        """Time one phase of an act (`register`, `workflow`) into the API's metrics and the
        answer's Server-Timing header (api/metrics.py)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            seconds = time.perf_counter() - started
            if self.act_phases is not None:
                self.act_phases.labels(kind, phase).observe(seconds)
            request = metrics.REQUEST_PHASES.get()
            if request is not None:
                request[phase] = request.get(phase, 0.0) + seconds

    @property
    def temporal(self) -> Client:
        """The Temporal client, connected by the app's lifespan before any request."""
        if self.client is None:
            raise Problem(503, "The workflow service is not connected yet; retry")
        return self.client

    async def db(self, fn: Callable[Concatenate[Engine, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
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
        return await self.db(acts_client.facts, kind, record)

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

    def answer(
        self,
        principal: Principal,
        kind: str,
        record: dict[str, Any],
        acts: list[dict[str, Any]],
        members: list[dict[str, Any]] | None,
        custody: dict[str, Any] | None,
    ) -> dict[str, Any]:
        """A record as the API shows it: its acts and the acts the caller may perform next."""
        lifecycle = KINDS[kind].lifecycle
        case = Case(lifecycle, lifecycle.record.model_validate(record))
        out = dict(record)
        out["acts"] = acts
        out["allowed_acts"] = case.allowed(parties_of(principal, record))
        if kind == "post":
            heads = [m for m in members or [] if m["role"] == "head" and m["state"] not in FUNCTIONS_ENDED]
            out["head"] = (
                {"member_id": heads[-1]["id"], "class": heads[-1].get("class"), "state": heads[-1]["state"]}
                if heads
                else None
            )
            if custody:  # the handover's acts are asked for on the post (docs/api.md)
                out["allowed_acts"] += Case(CUSTODY, CUSTODY.record.model_validate(custody)).allowed(
                    parties_of(principal, custody)
                )
        return out

    async def before_act(
        self, principal: Principal, kind: str, record_id: str, act: Act, update_id: str | None
    ) -> BeforeAct:
        """What an act (or its dry run) reads and decides first: one register trip for every read
        (the record, its lifecycle's facts, a retry's first answer, the acts its answer lists;
        each trip costs more than the read), 404 unless the caller may see the record, 403
        unless the caller holds the act's party. Other refusals are returned for the caller."""
        lifecycle = KINDS[kind].lifecycle
        with self.timed(kind, "register"):
            record, facts, profile, prior, listed = await self.db(
                _act_reads, principal, kind, record_id, bool(act.periods), update_id
            )
        record = self.visible(principal, kind, record_id, record)
        parties = parties_of(principal, record)
        case = Case(lifecycle, lifecycle.record.model_validate({**record, **facts}))
        refusal = case.decide(act.name, parties)
        if refusal is not None and refusal.status == 403:
            raise Problem(403, refusal.detail, article=refusal.article)
        return BeforeAct(record, facts, profile, prior, listed, parties, case, refusal)

    async def act(
        self, principal: Principal, kind: str, record_id: str, act: Act, body: ActBody, key: str | None
    ) -> dict[str, Any]:
        update_id = derived_id(principal, f"{kind}/{record_id}/{act.name}", key)
        seen = await self.before_act(principal, kind, record_id, act, update_id if key else None)
        record, facts, profile, prior, listed = seen.record, seen.facts, seen.profile, seen.prior, seen.listed
        case, parties, refusal = seen.case, seen.parties, seen.refusal
        if prior:  # a retry: the first answer, nothing applied twice
            return await self.view(principal, kind, prior["document"])
        refusal = refusal or case.body_refusal(act.name, body)
        if refusal is not None:
            raise Problem(
                refusal.status,
                refusal.detail,
                article=refusal.article,
                state=refusal.state,
                allowed_acts=case.allowed(parties),
            )
        await self.check_references(kind, record, body)
        request = ActRequest(
            party=act.party,
            principal=principal.name,
            state=principal.state,
            facts=facts,
            profile=profile,
            body=body.model_dump(mode="json", exclude_none=True, by_alias=True),
        )
        try:
            outcome = await self.in_time(
                kind,
                acts_client.perform(
                    self.temporal,
                    kind,
                    record_id,
                    act.name,
                    request,
                    update_id,
                ),
            )
        except WorkflowUpdateFailedError as exc:
            raise from_failure(exc.cause) from None
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                raise Problem(
                    409,
                    f"The {kind}'s lifecycle has ended; the register keeps its record",
                    state=record["state"],
                    allowed_acts=[],
                ) from None
            raise Problem(
                503, f"The workflow service did not answer ({exc.status.name}); retry with the same Idempotency-Key"
            ) from None
        log.info("act accepted", workflow_id=workflow_id(kind, record_id), act=act.name, article=act.article)
        return await self.answer_after(principal, kind, record_id, listed, outcome)

    async def what_if(self, principal: Principal, kind: str, record_id: str, act: Act, body: ActBody) -> dict[str, Any]:
        """`?dry_run=true`: decided as `act` decides (the same refusals), then applied to copies
        (api/what_if.py): the answer, notices, deadlines and the records it would reach. Nothing
        is recorded, no workflow is started or told."""
        lifecycle = KINDS[kind].lifecycle
        seen = await self.before_act(principal, kind, record_id, act, None)
        record, profile, case = seen.record, seen.profile, seen.case
        await self.check_references(kind, record, body)
        periods = profile.periods() if profile else {}
        sent = body.model_dump(mode="json", exclude_none=True, by_alias=True)
        try:  # the workflow's own checks (check_act: state, rules, body, dates), then the act on copies
            parsed = check_act(case, act, act.party, sent, True, datetime.now(UTC).date())
            outcome = await self.db(
                what_if.rehearse, lifecycle, case, act, parsed, periods, datetime.now(UTC), principal.state
            )
        except (Refusal, InvalidInput) as refused:
            details = acts_client.as_caller_sees_it(refusal_details(refused))
            raise Problem(
                details.pop("status"),
                refused.message if isinstance(refused, InvalidInput) else refused.detail,
                **details,
            ) from None
        return {
            "dry_run": True,
            "act": act.name,
            "article": act.article,
            "answer": await self.view(principal, kind, outcome.pop("record")),
            **outcome,
        }

    async def answer_after(
        self, principal: Principal, kind: str, record_id: str, listed: list[dict[str, Any]], outcome: ActOutcome
    ) -> dict[str, Any]:
        """The record as the caller's act left it, with its acts. From the update's answer where
        that is everything the answer shows: the record's acts read before the update (`listed`)
        and this one after them, no other act between (the record's count says so); a post's answer
        also shows its members and custody. Else read back from the register: one trip more."""
        if (
            kind != "post"
            and outcome.document is not None
            and outcome.act is not None
            and outcome.record_seq == len(listed) + 1
        ):
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
                return custody
            await asyncio.sleep(0.05)
        raise Problem(503, "The proposed custody is still being recorded; retry (with the same Idempotency-Key)")

    async def in_time(self, kind: str, call: Any) -> Any:
        """An act still waiting for the register after the timeout answers 503; the update goes on,
        and a retry with the same Idempotency-Key attaches to it or returns its first answer."""
        try:
            with self.timed(kind, "workflow"):
                return await asyncio.wait_for(call, timeout=self.settings.act_timeout_seconds)
        # The SDK reports its own cancelled long poll (our timeout, or no worker admitting the
        # update, e.g. after a worker crash) as WorkflowUpdateRPCTimeoutOrCancelledError.
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            raise Problem(
                503,
                "The act is accepted but the register has not confirmed it yet; retry with the same Idempotency-Key",
            ) from None

    async def check_references(self, kind: str, record: dict[str, Any], body: ActBody) -> None:
        """Ids a body names must be records the act may name (422 otherwise)."""
        if isinstance(body, MissionsBody):
            strangers = missions_are_of_the_pair(body, tuple(record["states"]))
            if strangers:  # as on establishment: a 422, not a silent drop
                raise Problem(
                    409,
                    "Invalid input: diplomatic_missions",
                    errors=[
                        {
                            "field": "diplomatic_missions",
                            "type": "value_error",
                            "msg": f"{strangers} are not of this pair",
                        }
                    ],
                )
        if isinstance(body, OfficerPrecedence):
            members = {m["id"]: m for m in await self.db(queries.list_records, "member", post_id=record["id"])}
            strangers = [i for i in body.order if i not in members or members[i]["role"] not in ("head", "officer")]
            if strangers or len(set(body.order)) != len(body.order):
                raise Problem(
                    409,
                    "Invalid input: order",
                    errors=[
                        {
                            "field": "order",
                            "type": "value_error",
                            "msg": f"name each consular officer of this post once (VCCR 21); not: {strangers}",
                        }
                    ],
                )

    async def create(
        self,
        principal: Principal,
        kind: str,
        record: dict[str, Any],
        body: ActBody,
        party: Party,
        update_id: str,
        created: bool = False,
        facts: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """`facts`: the new record's lifecycle facts where the caller read them with its own reads."""
        lifecycle = KINDS[kind].lifecycle
        act = lifecycle.creation
        record = {**record, **(facts if facts is not None else await self.facts(kind, record))}
        request = ActRequest(
            party=party,
            principal=principal.name,
            state=principal.state,
            body=body.model_dump(mode="json", exclude_none=True, by_alias=True),
        )
        try:
            outcome = await self.in_time(
                kind,
                acts_client.create(
                    self.temporal,
                    self.settings.task_queue,
                    kind,
                    record,
                    act.name,
                    request,
                    update_id,
                    created=created,
                ),
            )
        except WorkflowUpdateFailedError as exc:
            raise from_failure(exc.cause) from None
        except RPCError as exc:
            raise Problem(
                503, f"The workflow service did not answer ({exc.status.name}); retry with the same Idempotency-Key"
            ) from None
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
            post,
            queries.act_by_id(conn, update_id) if update_id else None,
            acts_client.facts(conn, "post", post),
            queries.get_profile(conn, post["receiving_state"]),
            queries.count_members_in_functions(conn, post_id),
            acts_client.facts(
                conn, "member", {"sending_state": post["sending_state"], "receiving_state": post["receiving_state"]}
            ),
        )


@dataclass
class BeforeAct:
    record: dict[str, Any]
    facts: dict[str, Any]
    profile: Profile | None
    prior: dict[str, Any] | None
    listed: list[dict[str, Any]]
    parties: set[Party]
    case: Case
    refusal: Refusal | None


def _act_reads(
    engine: Any, principal: Principal, kind: str, record_id: str, with_profile: bool, update_id: str | None
) -> tuple[dict[str, Any] | None, dict[str, Any], Profile | None, dict[str, Any] | None, list[dict[str, Any]]]:
    """Before an act: the record, the facts its lifecycle reads (if the caller may see it), the
    receiving State's profile where the act's effect needs its periods, the first answer to a
    retried Idempotency-Key, and the record's acts (its answer lists them, with the new one)."""
    with engine.connect() as conn:  # one checkout for the trip's reads
        record = queries.get_record(conn, record_id, kind)
        if record is None or not can_read(principal, record):
            return None, {}, None, None, []
        facts = acts_client.facts(conn, kind, record)
        profile = (
            Profile.of(record["receiving_state"], queries.get_profile(conn, record["receiving_state"]))
            if with_profile
            else None
        )
        return (
            record,
            facts,
            profile,
            queries.act_by_id(conn, update_id) if update_id else None,
            queries.acts_of(conn, record_id) if kind != "post" else [],
        )


def _view_reads(
    engine: Any, kind: str, record: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None, dict[str, Any] | None]:
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
        if record is None:
            return None, [], None, None
        return (record, *_view_reads(conn, kind, record))


def from_failure(cause: BaseException | None) -> Problem:
    """Map a workflow's ApplicationError onto the HTTP status it names."""
    details = acts_client.refusal_details(cause)
    if details is not None and isinstance(cause, ApplicationError):
        status = details.pop("status")
        return Problem(status, cause.message, **details)
    log.error("act failed in the workflow", cause=repr(cause))
    return Problem(503, "The act could not be completed now; retry with the same Idempotency-Key")


def not_before(body: ActBody, earliest: date | None, what: str) -> None:
    """A creating act cannot be dated before the record it depends on (docs/api.md "Dates")."""
    if body.effective_date and earliest and body.effective_date < earliest:
        raise Problem(
            409,
            "Invalid input: effective_date",
            errors=[
                {
                    "field": "effective_date",
                    "type": "date_before_last_act",
                    "msg": f"{body.effective_date} is before {what} ({earliest})",
                }
            ],
        )
