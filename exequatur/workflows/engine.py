"""The one engine every lifecycle workflow shares: acts as Updates with validators,
register writes before answering, durable deadlines and outbound notifications."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import date, timedelta
from typing import Any, ClassVar

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from pydantic import ValidationError

    from exequatur.activities.notifications import deliver_notifications
    from exequatur.activities.register import REGISTER_REFUSED, read_profile, record_act, record_acts, related_records
    from exequatur.models.common import ActBody, Party
    from exequatur.models.kinds import KINDS
    from exequatur.models.lifecycle import PARTY_NAMES, Act, Case, Context, Lifecycle, Refusal, Start, Tell
    from exequatur.models.member import Delivery
    from exequatur.models.messages import (
        INVALID,
        PAST_ACTS_UPDATE,
        REFUSED,
        REGISTER_UNAVAILABLE,
        ActEntry,
        ActOutcome,
        ActRequest,
        AutomaticAct,
        DeliveryResult,
        ListedAct,
        PastActs,
        RelatedIds,
        RelatedQuery,
        StartInput,
    )
    from exequatur.models.profile import Profile
    from exequatur.workflows import search
    from exequatur.workflows.checks import (
        InvalidInput,
        apply_act,
        check_act,
        naming,
        refusal_details,
        refuse,
        rehearse,
        with_facts,
    )

# A Tell whose `when` was narrowed (models/lifecycle.py `Tell.formerly`): asked for only where the
# two conditions differ. Histories recorded before `engine-2026-12` ask for it on its own.
TELL_NARROWED = "tell-narrowed"

# Every workflow this build starts takes the new branch of each patch in the first engine's list:
# it asks for them all with one patch, so its history holds one marker (and one TemporalChangeVersion
# upsert) instead of one per patch. A history recorded under an older engine id replays with that
# engine's list; one recorded before any still asks for each patch where it did.
# Each list is closed: a new patch is asked for on its own (`workflow.patched`), and folding it in
# takes a new engine id, first here, whose list extends the one before it.
#
# When an old branch may go: every `_patched(...)` below keeps workflows started by an older
# build replaying. Its old branch may be deleted once (1) no workflow started before the patch is
# still open in any deployment (`exequatur histories export --query 'ExecutionStatus="Running"'`,
# then look for the engine marker) and (2) the recorded histories that take it are re-recorded
# (`make histories`). tests/test_replay.py `test_each_patch_is_replayed_both_ways` counts, for
# each patch, the recorded histories that take each branch.
ENGINE_2026_11 = frozenset(
    {
        "bounded-creation-wait",
        "ui-post-and-role-attributes",
        "search-attributes-on-change",
        "tell-related-records",
        "notices-by-relay",
        "deliveries-beside-deadlines",
    }
)
# The revisions of the law of 2026-12-03 (models/lifecycle.py `REVISIONS`), folded in.
REVISIONS_2026_12_03 = frozenset(
    {"recall-period-from-declaration", "relations-by-proposal", "post-changes-reach-members", "household-windows"}
)
ENGINES: tuple[tuple[str, frozenset[str]], ...] = (
    ("engine-2026-12-03", ENGINE_2026_11 | {TELL_NARROWED} | REVISIONS_2026_12_03),
    ("engine-2026-12", ENGINE_2026_11 | {TELL_NARROWED}),
    ("engine-2026-11", ENGINE_2026_11),
)
ENGINE = ENGINES[0][0]

# The parties whose moves the Web UI's status lists, in its order.
STATUS_PARTIES = (Party.SS, Party.RS, Party.TS, Party.OTHER)
# What a validator rehearses past acts with, having no register to read the profile from.
DEFAULT_PERIODS = Profile().periods()
# An act waits for the register however long it is away: failing the update would fix its
# outcome for that update id, so a client's retry with the same Idempotency-Key could never
# succeed. The API answers 503 after its own timeout; the retry re-attaches to the update.
REGISTER_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=30))
DELIVERY_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=5))


def invalid(errors: list[dict[str, Any]]) -> ApplicationError:
    return application_error(InvalidInput(errors))


def application_error(refusal: Refusal | InvalidInput) -> ApplicationError:
    """The workflow's edge: a refusal of the law (workflows/checks.py) as the update's failure,
    which the API maps onto its HTTP status. An update that raised anything else would fail the
    workflow task and leave the workflow stuck, so every check's refusal passes through here."""
    details = refusal_details(refusal)
    if isinstance(refusal, InvalidInput):
        return ApplicationError(refusal.message, details, type=INVALID, non_retryable=True)
    return ApplicationError(refusal.detail, details, type=REFUSED, non_retryable=True)


def update_description(act: Act) -> str:
    """What the Web UI shows beside an act's Update: the act, its party and its article."""
    return f"{act.name}: {act.summary} ({PARTY_NAMES[act.party]}, {act.article})"


def act_update(act: Act) -> Any:
    """The Update that performs one act: a method of the lifecycle's workflow class, made once
    per class from the declaration (`LifecycleWorkflow.__init_subclass__`), so each workflow
    instance registers nothing and the Web UI lists every act with its description."""

    # `self` stays unannotated: the SDK takes every annotated parameter of an update handler made
    # outside its class, `self` included, as an argument of the update (temporalio 1.35).
    async def perform(self, request: ActRequest) -> ActOutcome:  # type: ignore[no-untyped-def]
        async with self.lock:
            body = self._check(act, request)  # again: an earlier act may have changed the state
            update = workflow.current_update_info()
            assert update is not None  # an update handler always runs in its update
            act_id = update.id
            outcome: ActOutcome = await self._perform(
                act, body, request.party, request.principal, act_id, request.facts, request.profile, request.state
            )
            return outcome

    def validate(self, request: ActRequest) -> None:  # type: ignore[no-untyped-def]
        self._check(act, request)

    perform.__name__ = perform.__qualname__ = "act_" + act.name.replace("-", "_")
    update = workflow.update(name=act.name, description=update_description(act))(perform)
    update.validator(validate)
    return update


class LifecycleWorkflow:
    """Drives one record through its lifecycle declaration (models/)."""

    LIFECYCLE: ClassVar[Lifecycle[Any]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Before @workflow.defn reads the class: one Update per act of the declaration.
        super().__init_subclass__(**kwargs)
        for act in cls.LIFECYCLE.acts:
            if not act.automatic:
                update = act_update(act)
                setattr(cls, update.__name__, update)

    def _setup(self, start: StartInput) -> None:
        self.engine_patches = self._engine()  # first, before any other command of the run
        lifecycle = self.LIFECYCLE
        self.case = Case(lifecycle, lifecycle.record.model_validate(start.record))
        self.created = start.created
        self.open_itself = start.open_itself
        self.lock = asyncio.Lock()
        self.deliveries_due = start.deliveries_due
        self.delivering: asyncio.Task[None] | None = None
        self.wake = False

    @property
    def record(self) -> Any:
        return self.case.record

    @staticmethod
    def _engine() -> frozenset[str]:
        """The patches the run's engine bundles: a new run asks for the newest engine only; a
        replay finds the one its history recorded, if any (`patched` is false without its marker)."""
        for engine, patches in ENGINES:
            if workflow.patched(engine):
                return patches
        return frozenset()

    def _revisions(self, act: Act) -> frozenset[str]:
        """The revisions of the law (models/lifecycle.py `REVISIONS`) this run applies: each is a
        patch, asked for by the acts whose effect reads it, so a history recorded before it
        replays with the old reading. The act names the revisions it reads (`Act.revisions`)."""
        return frozenset(name for name in act.revisions if self._patched(name))

    def _patched(self, patch: str) -> bool:
        """`workflow.patched(patch)`, answered by the run's engine for the patches it bundles."""
        return patch in self.engine_patches or workflow.patched(patch)

    @workflow.query(name="record")
    def record_query(self) -> dict[str, Any]:
        document: dict[str, Any] = self.record.model_dump(mode="json", by_alias=True)
        return document

    # ---- acts -------------------------------------------------------------------------

    def _check(self, act: Act, request: ActRequest) -> ActBody:
        """Everything that decides whether an act may happen now; raises ApplicationError."""
        try:
            return check_act(
                with_facts(self.case, request.facts),
                act,
                request.party,
                request.body,
                self.created,
                workflow.now().date(),
            )
        except (Refusal, InvalidInput) as refusal:
            raise application_error(refusal) from None

    # ---- a record's past acts (the import) -----------------------------------------------

    @workflow.update(
        name=PAST_ACTS_UPDATE,
        description="Acts performed before this register kept them (exequatur import): each by "
        "its own party, in order, recorded in one transaction",
    )
    async def record_past_acts(self, request: PastActs) -> ActOutcome:
        async with self.lock:
            return await self._perform_past(request)

    @record_past_acts.validator
    def validate_past_acts(self, request: PastActs) -> None:
        # The profile is not read here, so its default periods stand in: they set dates, not
        # whether an act may happen; the handler checks each act again with the real ones.
        case = Case(self.LIFECYCLE, with_facts(self.case, request.facts).record.model_copy(deep=True))
        try:
            rehearse(
                case,
                [(act, step.body, step.act_id) for act, step in self._past_steps(request)],
                self.created,
                workflow.now().date(),
                workflow.now(),
                DEFAULT_PERIODS,
            )
        except (Refusal, InvalidInput) as refusal:
            raise application_error(refusal) from None

    def _past_steps(self, request: PastActs) -> list[tuple[Act, Any]]:
        steps = []
        for step in request.acts:
            act = self.LIFECYCLE.act(step.act)
            if act is None or act.automatic:
                raise application_error(
                    Refusal(
                        f"No act '{step.act}' a party performs in the {self.LIFECYCLE.name} lifecycle",
                        "",
                        str(self.record.state),
                        404,
                        allowed_acts=[],
                    )
                )
            steps.append((act, step))
        if len({step.act_id for step in request.acts}) < len(request.acts):
            raise invalid([{"loc": ["acts"], "msg": "two acts share an act_id", "type": "duplicate_act_id"}])
        return steps

    async def _perform_past(self, request: PastActs) -> ActOutcome:
        steps = self._past_steps(request)
        periods = await self._periods(any(act.periods for act, _ in steps), request.profile)
        before, created = self._snapshot(), self.created
        done: list[tuple[Act, ActEntry, Any]] = []
        try:
            for act, step in steps:
                body = check_act(
                    with_facts(self.case, request.facts), act, act.party, step.body, created, workflow.now().date()
                )
                entry = self._apply(
                    act,
                    body,
                    act.party,
                    request.principal,
                    step.act_id,
                    request.facts,
                    periods,
                    creating=act.creates and not created,
                )
                created = True
                done.append((act, entry, self.record.model_copy(deep=True)))
            await workflow.execute_local_activity(
                record_acts,
                [entry for _, entry, _ in done],
                start_to_close_timeout=timedelta(seconds=15),
                retry_policy=REGISTER_RETRY,
                summary=f"Register: {len(done)} past acts (import)",
            )
        except Exception as exc:
            failing = steps[len(done)][0] if len(done) < len(steps) else None  # None: the register write
            if failing is not None and isinstance(exc, (Refusal, InvalidInput)):
                exc = naming(exc, failing)
            raise self._undo(before, exc, failing, failing.party if failing else Party.SS) from None
        self.created = True  # only now: the lifecycle's loop waits for a recorded creation
        for act, entry, after in done:
            await self._after(act, entry, after)
        return self._answer()

    async def _perform(
        self,
        act: Act,
        body: ActBody,
        party: Party,
        principal: str,
        act_id: str,
        facts: dict[str, Any] | None = None,
        profile: Profile | None = None,
        actor: str | None = None,
    ) -> ActOutcome:
        periods = await self._periods(bool(act.periods), profile)
        before = self._snapshot()
        try:
            entry = self._apply(
                act,
                body,
                party,
                principal,
                act_id,
                facts or {},
                periods,
                creating=act.creates and not self.created,
                actor=actor,
            )
            await workflow.execute_local_activity(
                record_act,
                entry,
                start_to_close_timeout=timedelta(seconds=15),
                retry_policy=REGISTER_RETRY,
                summary=f"Register: {act.name} ({act.article})",
            )
        except Exception as exc:
            raise self._undo(before, exc, act, party) from None
        self.created = True
        await self._after(act, entry, self.record)
        return self._answer(entry)

    async def _periods(self, needed: bool, profile: Profile | None) -> dict[str, timedelta]:
        """The receiving State's periods, for acts whose effect sets a deadline: from the profile
        the caller read with the facts, else (the service's own acts) read now."""
        if not needed:
            return {}
        if profile is not None:
            return profile.periods()
        try:
            current: Profile = await workflow.execute_local_activity(
                read_profile,
                self.record.receiving_state,
                start_to_close_timeout=timedelta(seconds=10),
                retry_policy=REGISTER_RETRY,
                summary="Read the receiving State's profile",
            )
        except ActivityError:
            raise ApplicationError(
                "The register is unavailable; retry with the same Idempotency-Key",
                {"status": 503},
                type=REGISTER_UNAVAILABLE,
            ) from None
        return current.periods()

    def _apply(
        self,
        act: Act,
        body: ActBody,
        party: Party,
        principal: str,
        act_id: str,
        facts: dict[str, Any],
        periods: dict[str, timedelta],
        creating: bool,
        actor: str | None = None,
    ) -> ActEntry:
        """Apply the act to the record in memory: the register's entry to write. Raises Refusal."""
        record = self.record
        effective = body.effective_date or workflow.now().date()
        for name, value in facts.items():
            if name in self.LIFECYCLE.facts:
                setattr(record, name, value)
        ctx = Context(
            act.name, effective, workflow.now(), periods, act_id=act_id, actor=actor, revisions=self._revisions(act)
        )
        notices = apply_act(self.case, act, body, ctx, creating=creating)
        return ActEntry(
            act_id=act_id,
            kind=self.LIFECYCLE.name,
            record_id=record.id,
            act=act.name,
            party=party.value,
            principal=principal,
            article=act.article,
            effective_date=effective,
            recorded_at=workflow.now(),
            body=body.model_dump(mode="json", exclude_none=True),
            document=record.model_dump(mode="json", by_alias=True),
            notices=notices,
        )

    def _snapshot(self) -> dict[str, Any]:
        """The record before an act, to put back if the act is refused: its document, as the
        register keeps it. Dumping it is done by pydantic's core; a deep copy of the model walks
        it in Python, through the sandbox's checks, for every act (bench/RESULTS.md)."""
        document: dict[str, Any] = self.record.model_dump(mode="json", by_alias=True)
        return document

    def _undo(self, before: dict[str, Any], exc: Exception, act: Act | None, party: Party) -> BaseException:
        """Nothing half-applied: the record as before the act(s), and what to answer instead."""
        self.case.record = self.LIFECYCLE.record.model_validate(before)  # the act is not in the register
        if isinstance(exc, Refusal):
            return application_error(refuse(exc, self.case, party))
        if isinstance(exc, InvalidInput):  # a refusal of one of a record's past acts
            return application_error(exc)
        # The register's own check as it records (VCCR 20). A local activity's failure comes as
        # an ActivityError in the activation that ran it, as its bare cause when the workflow
        # replays the failure's marker (after an eviction).
        cause = exc.cause if isinstance(exc, ActivityError) else exc
        if isinstance(cause, ApplicationError) and cause.type == REGISTER_REFUSED:
            details = cause.details[0]
            return application_error(
                refuse(
                    Refusal(cause.message, details["article"], details["state"], details["status"]), self.case, party
                )
            )
        if isinstance(exc, ApplicationError):  # already the caller's answer
            return exc
        if isinstance(exc, ActivityError):
            return ApplicationError(
                "The register is unavailable; retry with the same Idempotency-Key",
                {"status": 503},
                type=REGISTER_UNAVAILABLE,
            )
        if act is not None and act.automatic:
            return exc  # a defect: the task retries until a fixed build runs it
        # A defect in an act's effect must not leave the workflow stuck (docs/design.md): refuse it.
        workflow.logger.error("act failed", extra={"act": act.name if act else None, "error": repr(exc)})
        return ApplicationError(
            f"The act could not be applied ({type(exc).__name__})",
            {"status": 500},
            type="ActFailed",
            non_retryable=True,
        )

    async def _after(self, act: Act, entry: ActEntry, record: Any) -> None:
        """What follows an act in the register, from the record as the act left it: the records
        it tells or starts, the deliveries and the Web UI's view."""
        # Old branch: histories recorded before acts told other records (15(1), 27) send no signal.
        for tell in act.all_tells:
            if self._tells(tell, record) and self._patched("tell-related-records"):
                await self._tell(tell, entry.effective_date, record)
        if act.starts and act.starts.when(record):
            await self._start(act.starts, record)
        # The notices are queued in the register with the act; the worker's relay delivers them
        # (worker/relay.py). Old branch: histories recorded before the relay deliver by activity.
        if entry.notices and not self._patched("notices-by-relay"):
            self.deliveries_due = True
        self.wake = True
        self._describe()
        workflow.logger.info("act recorded", extra={"act": act.name, "article": act.article, "record_id": record.id})

    def _answer(self, entry: ActEntry | None = None) -> ActOutcome:
        """What the caller learns: with the act's entry, the record as the register now holds it
        and the act as it is listed, so the API need not read them back."""
        return ActOutcome(
            record_id=self.record.id,
            state=str(self.record.state),
            record_seq=self.record.acts_count,
            document=entry.document if entry else None,
            act=ListedAct.of(entry) if entry else None,
        )

    def _tells(self, tell: Tell, record: Any) -> bool:
        # A tell added after histories of its act were recorded is sent under its revision only.
        if tell.since is not None and not (tell.when(record) and self._patched(tell.since)):
            return False
        if tell.when(record):
            return True
        # Old branch: histories recorded before `when` was narrowed told on the former condition.
        return tell.formerly is not None and tell.formerly(record) and not self._patched(TELL_NARROWED)

    async def _tell(self, tell: Tell, effective: date, record: Any) -> None:
        """Durable signals to the records that answer to this act (15(1), 27): sent from the
        history, so a crash midway resumes with the rest and sends nothing twice."""
        if tell.related is not None:
            found: RelatedIds = await workflow.execute_activity(
                related_records,
                RelatedQuery(kind=tell.kind, filters=tell.related(record)),
                start_to_close_timeout=timedelta(seconds=60),
                retry_policy=REGISTER_RETRY,
                summary=f"Records that answer to {tell.act}",
            )
            ids = found.ids
        else:
            ids = [getattr(record, tell.field or "id")]
        message = AutomaticAct(act=tell.act, body={**tell.body(record), "effective_date": effective.isoformat()})

        async def signal(target: str) -> None:
            try:
                await workflow.get_external_workflow_handle(target).signal("automatic-act", message)
            except Exception:  # the act stands; a closed lifecycle has nothing left to change
                workflow.logger.warning("could not tell a related record", extra={"target": target})

        await asyncio.gather(*(signal(f"{tell.kind}-{record_id}") for record_id in ids))

    async def _start(self, start: Start, record: Any) -> None:
        """Start a new record's lifecycle (e.g. a custody handover, 27(1)(b)); it records its
        own creation and outlives this workflow."""
        child = start.record(record).model_dump(mode="json", by_alias=True)
        kind = KINDS[start.kind]
        await workflow.start_child_workflow(
            kind.workflow,
            StartInput(record=child, open_itself=True),
            id=kind.workflow_id(child["id"]),
            parent_close_policy=ParentClosePolicy.ABANDON,
            static_summary=kind.summary(child),
        )

    @workflow.signal(name="automatic-act")
    async def _on_automatic_act(self, request: AutomaticAct) -> None:
        act = self.LIFECYCLE.act(request.act)
        if act is None or not act.automatic:
            workflow.logger.warning("unknown automatic act ignored", extra={"act": request.act})
            return
        try:
            body = act.body.model_validate(request.body)
        except ValidationError:
            workflow.logger.warning("automatic act with a bad body ignored", extra={"act": request.act})
            return
        await self._automatic(act.name, body)

    async def _automatic(self, name: str, body: ActBody | None = None, event: str | None = None) -> None:
        act = self.LIFECYCLE.act(name)
        assert act is not None and act.automatic
        async with self.lock:
            if self.case.may(name):
                body = body or act.body()
                # The event names the act: the same deadline or delivery is one act, however often
                # a crash makes the workflow try it again.
                event = hashlib.sha256((event or body.model_dump_json()).encode()).hexdigest()[:12]
                await self._perform(act, body, Party.RS, "service", f"{self.record.id}:{name}:{event}")

    # ---- the record's life ---------------------------------------------------------

    def _next_deadline(self) -> tuple[Any, Any]:
        pending = [
            (getattr(self.record, t.field), t)
            for t in self.LIFECYCLE.timers
            if getattr(self.record, t.field) is not None and self.case.may(t.act)
        ]
        return min(pending, key=lambda p: p[0]) if pending else (None, None)

    async def _live(self) -> None:
        if self.open_itself and not self.created:
            creation = self.LIFECYCLE.creation
            async with self.lock:
                await self._perform(
                    creation, creation.body(), creation.party, "service", f"{self.record.id}:{creation.name}"
                )
        # Old branch: histories recorded before the wait for the creating act was bounded.
        if self._patched("bounded-creation-wait"):
            try:
                # A creation refused by its validator leaves nothing to wait for.
                await workflow.wait_condition(
                    lambda: self.created, timeout=timedelta(minutes=10), timeout_summary="Waiting for the creating act"
                )
            except TimeoutError:
                return
        else:
            await workflow.wait_condition(lambda: self.created)
        self._describe()
        while True:
            deadline, timer = self._next_deadline()
            if deadline is not None and deadline > workflow.now():
                try:
                    await workflow.wait_condition(
                        lambda: self.wake or self._delivery_ready(),
                        timeout=deadline - workflow.now(),
                        timeout_summary=f"{timer.label}, {timer.article}, ends {deadline:%Y-%m-%d %H:%M} UTC",
                    )
                except TimeoutError:
                    pass
            elif deadline is None:
                await workflow.wait_condition(lambda: self.wake or self._delivery_ready())
            self.wake = False
            if self._delivery_ready():
                # Old branch: histories recorded before deliveries ran beside the deadlines.
                if self._patched("deliveries-beside-deadlines"):
                    # Deliveries run beside the deadlines: a webhook that is down delays no period.
                    self.delivering = asyncio.create_task(self._deliver_beside())
                else:
                    await self._deliver()
            deadline, timer = self._next_deadline()
            if deadline is not None and deadline <= workflow.now():
                await self._automatic(timer.act, ActBody(effective_date=deadline.date()), event=deadline.isoformat())
            if self.LIFECYCLE.final(self.record) and self._quiet():
                await workflow.wait_condition(lambda: workflow.all_handlers_finished() and self._quiet())
                if self.LIFECYCLE.final(self.record):
                    return
            if workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(lambda: workflow.all_handlers_finished() and self._quiet())
                workflow.continue_as_new(
                    StartInput(record=self.record_query(), created=True, deliveries_due=self.deliveries_due)
                )

    def _delivery_ready(self) -> bool:
        return self.deliveries_due and (self.delivering is None or self.delivering.done())

    def _quiet(self) -> bool:
        return not self.deliveries_due and (self.delivering is None or self.delivering.done())

    async def _deliver(self) -> None:
        self.deliveries_due = False
        result: DeliveryResult = await workflow.execute_activity(
            deliver_notifications,
            self.record.id,
            start_to_close_timeout=timedelta(seconds=60),
            # A short heartbeat timeout: after a worker dies mid-delivery, another retries within
            # seconds (the activity heartbeats while a receiver holds the call).
            heartbeat_timeout=timedelta(seconds=4),
            retry_policy=DELIVERY_RETRY,
            summary="Deliver notifications (VCCR 14, 24)",
        )
        reports = dict(self.LIFECYCLE.reports)
        for delivered in result.delivered:
            if delivered.recipient in reports:
                await self._automatic(reports[delivered.recipient], Delivery(delivered_at=delivered.delivered_at))

    async def _deliver_beside(self) -> None:
        await self._deliver()
        self.wake = True  # the loop looks again: the lifecycle may now be final

    def _describe(self) -> None:
        """Keep the Web UI's view current: search attributes and a short Markdown status."""
        deadline, timer = self._next_deadline()
        record = self.record
        sending, receiving = (
            record.states if hasattr(record, "states") else (record.sending_state, record.receiving_state)
        )
        updates: list[SearchAttributeUpdate[Any]] = [
            search.SENDING_STATE.value_set(sending),
            search.RECEIVING_STATE.value_set(receiving),
            search.LIFECYCLE_STATE.value_set(str(record.state)),
            search.NEXT_DEADLINE.value_set(deadline) if deadline is not None else search.NEXT_DEADLINE.value_unset(),
        ]
        # Old branch: histories recorded before these attributes upserted the four above.
        if self._patched("ui-post-and-role-attributes"):
            updates += self._post_attributes()
        # Only what changed: most attributes never do (the States, the post, the role), and each
        # upsert is a command and an event the server keeps. Old branch: histories recorded
        # before upserted every attribute after every act.
        if self._patched("search-attributes-on-change"):
            current = workflow.info().typed_search_attributes
            updates = [u for u in updates if current.get(u.key) != u.value]
        if updates:
            workflow.upsert_search_attributes(updates)
        workflow.set_current_details(self._status(deadline, timer))

    def _post_attributes(self) -> list[SearchAttributeUpdate[Any]]:
        """The kind's own attributes (models/kinds.py): which post, its classification, a member's role."""
        return [
            search.KEYWORDS[name].value_set(str(getattr(self.record, field)))
            for name, field in KINDS[self.LIFECYCLE.name].attributes
        ]

    def _status(self, deadline: Any, timer: Any) -> str:
        """The Markdown the Web UI shows as current details: the state, whose move it is and
        the next deadline with its article. Ids and acts only, no names."""
        lines = [f"**{self.LIFECYCLE.title}** `{self.record.id}`", f"State: **{self.record.state}**"]
        # The machine is asked once for every party's acts (each act's conditions checked once),
        # then they are grouped by the party that performs them.
        allowed = [self.LIFECYCLE.must_act(a) for a in self.case.allowed(STATUS_PARTIES)]
        moves = []
        for party in STATUS_PARTIES:
            acts = [a.name for a in allowed if a.party is party]
            if acts:
                shown = ", ".join(f"`{a}`" for a in acts[:4]) + (f" (+{len(acts) - 4})" if len(acts) > 4 else "")
                moves.append(f"{PARTY_NAMES[party]}: {shown}")
        either = [a.name for a in allowed if a.party is Party.EITHER]
        if either:
            moves.append(f"either State: {', '.join(f'`{a}`' for a in either)}")
        idle = "nobody's (the lifecycle has ended)" if self.LIFECYCLE.final(self.record) else "nobody's for now"
        lines.append("Whose move: " + ("; ".join(moves) if moves else idle))
        if deadline is not None:
            lines.append(f"Next deadline: {timer.label} ({timer.article}) ends {deadline:%Y-%m-%d %H:%M} UTC")
        return "\n\n".join(lines)
