"""Onboard an existing consular corps: every row becomes the acts the API would perform, with
their historic dates, through the same workflows, Updates and rules (docs/import.md).

Idempotent: record ids and update ids derive from each row's natural key, and an act the
register already holds is not sent again, so a re-run after a crash or a fix applies only what
is missing. Each row is first rehearsed against the lifecycle declaration (models/), so a row
the law refuses records nothing; the workflow's validator then checks every act again.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from temporalio.client import Client, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError

from exequatur.core.settings import Settings
from exequatur.models.household import HOUSEHOLD, HouseholdRequest, new_household
from exequatur.models.lifecycle import Case, Lifecycle, Refusal
from exequatur.models.member import MEMBER, AppointmentRequest, Member, appointment_refusal, new_member
from exequatur.models.messages import PAST_ACTS_UPDATE, PastAct, PastActs
from exequatur.models.post import POST, Post
from exequatur.models.profile import Profile
from exequatur.models.relations import RELATIONS, Relations, relations_id
from exequatur.onboarding.rows import HouseholdRow, MemberRow, PostRow, field_errors, parse, read_csv
from exequatur.register import queries
from exequatur.register.db import engine_for
from exequatur.workflows import client as acts
from exequatur.workflows.checks import InvalidInput, refusal_details
from exequatur.workflows.checks import rehearse as rehearse_acts

# Update ids hash the natural keys under this name, not the file's: a renamed or corrected file
# reaches the same records and the same Updates.
KEYS = "import"
# A member's acts in the order the law has them, for acts dated the same day.
MEMBER_ACTS = (
    ("present-instrument", "commission_presented_on"),
    ("admit-provisionally", "provisionally_admitted_on"),
    ("grant-exequatur", "exequatur_on"),
    ("consent-nationality", "nationality_consent_on"),
    ("notify-arrival", "arrived_on"),
    ("enter-duties", "entered_duties_on"),
)
# A household's acts in the order the law has them, for acts dated the same day (24(1)(b)-(c)).
HOUSEHOLD_ACTS = (
    ("notify-arrival", "arrived_on"),
    ("notify-leaving-household", "left_on"),
    ("notify-discharge", "discharged_on"),
    ("notify-departure", "departed_on"),
)
# Where an act's body field comes from in the file.
BODY_COLUMNS = {"presented_on": "commission_presented_on", "arrived_on": "arrived_on"}
HOUSEHOLD_REQUEST_COLUMNS = {
    "person.full_name": "full_name",
    "person.nationalities": "nationalities",
    "person.permanent_resident": "permanent_resident",
    "effective_date": "joined_on",
}
APPOINTMENT_COLUMNS = {
    "person.full_name": "full_name",
    "person.nationalities": "nationalities",
    "person.permanent_resident": "permanent_resident",
    "class_": "class",
    "class": "class",
    "effective_date": "appointed_on",
}

Status = Literal["imported", "unchanged", "failed", "skipped"]


class RowResult(BaseModel):
    """What became of one row; `problem` names the column or the article (VCCR) that refused it."""

    row: int
    record: str
    post: str
    record_id: str | None = None
    status: Status
    acts_sent: int = 0
    acts_already_recorded: int = 0
    problem: dict[str, Any] | None = None


class ImportReport(BaseModel):
    file: str
    rows: list[RowResult]
    relations_established: list[str]
    acts_sent: int
    seconds: float

    @property
    def counts(self) -> dict[str, int]:
        out = {status: 0 for status in ("imported", "unchanged", "failed", "skipped")}
        for row in self.rows:
            out[row.status] += 1
        return out

    @property
    def ok(self) -> bool:
        return all(row.status in ("imported", "unchanged") for row in self.rows)


@dataclass
class Step:
    """One act of a row's plan: the act, its body, the file's column it comes from, its update id."""

    act: str
    body: dict[str, Any]
    column: str
    update_id: str
    creating: bool = False


class Failed(Exception):
    def __init__(self, problem: dict[str, Any]):
        super().__init__(problem.get("detail", ""))
        self.problem = problem


def _refusal(step: Step, refusal: Refusal) -> Failed:
    return Failed(
        {
            "act": step.act,
            "column": step.column,
            "article": refusal.article,
            "state": refusal.state,
            "detail": refusal.detail,
        }
    )


def _from_details(step: Step, message: str, details: dict[str, Any]) -> Failed:
    """A workflow's (or check_dates') refusal, its fields named as the file's columns."""
    problem: dict[str, Any] = {"act": step.act, "column": step.column, "detail": message}
    for name in ("article", "state", "status"):
        if details.get(name) is not None:
            problem[name] = details[name]
    if details.get("errors"):
        problem["errors"] = [
            {
                "field": step.column if e["field"] == "effective_date" else BODY_COLUMNS.get(e["field"], e["field"]),
                "msg": e["msg"],
            }
            for e in details["errors"]
        ]
        problem["column"] = problem["errors"][0]["field"]
    return Failed(problem)


def _fields(errors: list[dict[str, str]]) -> Failed:
    return Failed(
        {
            "column": errors[0]["field"],
            "errors": errors,
            "detail": "; ".join(f"{e['field']}: {e['msg']}" for e in errors),
        }
    )


def rehearse(
    lifecycle: Lifecycle[Any], record: dict[str, Any], plan: list[Step], today: date, periods: dict[str, Any]
) -> None:
    """Run the row's acts on a copy of the record with the workflow's own checks (party, state
    and conditions, body, dates: workflows/checks.py `rehearse`), so a row the law refuses is
    refused before anything is recorded."""
    steps = [(lifecycle.must_act(step.act), step.body, step.update_id) for step in plan]
    try:
        rehearse_acts(
            Case(lifecycle, lifecycle.record.model_validate(record)),
            steps,
            False,
            today,
            datetime.now(UTC),
            periods,
        )
    except Refusal as refusal:
        raise _step_refused(plan, refusal.detail, acts.as_caller_sees_it(refusal_details(refusal))) from None
    except InvalidInput as invalid:
        raise _step_refused(plan, invalid.message, acts.as_caller_sees_it(refusal_details(invalid))) from None


def _step_refused(plan: list[Step], message: str, details: dict[str, Any]) -> Failed:
    """A refusal of one of the row's acts (the workflow names it), as the file's columns."""
    step = next((step for step in plan if step.act == details.get("act")), plan[0])
    return _from_details(step, message, details)


def _recorded_and_facts(
    engine: Any, kind: str, record: dict[str, Any], update_ids: list[str]
) -> tuple[set[str], dict[str, Any]]:
    """In one trip to the register: which of the plan's acts it holds already, and the facts the
    acts carry (read once per record, as the API reads them once per request)."""
    return queries.recorded_act_ids(engine, update_ids), acts.facts(engine, kind, record)


@dataclass
class PostContext:
    """What a post's members are checked against and carry, read once for its rows: the post
    with its facts, the receiving State's profile, and the facts a member's acts carry."""

    post: Post
    profile: Profile
    member_facts: dict[str, Any]


def _post_context(engine: Any, post_id: str) -> PostContext:
    document = queries.get_record(engine, post_id, "post")
    assert document is not None  # the group imported it, or found it, just before
    return PostContext(
        post=Post.model_validate({**document, **acts.facts(engine, "post", document)}),
        profile=Profile.of(document["receiving_state"], queries.get_profile(engine, document["receiving_state"])),
        member_facts=acts.facts(engine, "member", document),
    )


def _person(row: MemberRow | HouseholdRow) -> dict[str, Any]:
    return {
        "full_name": row.full_name,
        "nationalities": row.nationalities,
        "permanent_resident": row.permanent_resident,
    }


def _household_reads(engine: Any, member_id: str, update_ids: list[str]) -> tuple[dict[str, Any], set[str]]:
    document = queries.get_record(engine, member_id, "member")
    assert document is not None  # the group imported it, or found it, just before
    return document, queries.recorded_act_ids(engine, update_ids)


def _member_reads(engine: Any, update_ids: list[str], post_id: str) -> tuple[set[str], int]:
    """In one trip: which of a member's acts the register holds, and the post's members in
    functions (VCCR 20's ceiling)."""
    return (queries.recorded_act_ids(engine, update_ids), queries.count_members_in_functions(engine, post_id))


class Importer:
    def __init__(
        self,
        client: Client,
        settings: Settings,
        file_name: str,
        concurrency: int,
        progress: Callable[[RowResult], None] | None,
    ):
        self.client, self.settings = client, settings
        self.engine = engine_for(settings.effective_database_url)
        self.principal = f"import:{file_name}"[:64]  # recorded with every act: who imported, never a token
        self.slots = asyncio.Semaphore(concurrency)
        self.progress = progress
        self.today = date.today()
        self.acts_sent = 0
        # A generous bound: an act waits for the register; with no worker it would wait forever.
        self.timeout = max(60.0, settings.act_timeout_seconds * 2)

    async def db(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(fn, self.engine, *args)

    def done(self, result: RowResult) -> RowResult:
        if self.progress:
            self.progress(result)
        return result

    # ---- sending ---------------------------------------------------------------------

    async def send(
        self,
        kind: str,
        record: dict[str, Any],
        plan: list[Step],
        recorded: set[str],
        facts: dict[str, Any],
        profile: Profile | None = None,
    ) -> tuple[int, int]:
        """Perform the plan's acts the register does not hold yet (`recorded`), in order, as one
        Update (`record-past-acts`: one register transaction for the row, VCCR articles checked
        act by act)."""
        missing = [step for step in plan if step.update_id not in recorded]
        if not missing:
            return 0, len(plan)
        request = PastActs(
            principal=self.principal,
            facts=facts,
            profile=profile,
            acts=[PastAct(act=step.act, body=step.body, act_id=step.update_id) for step in missing],
        )
        # The same missing acts make the same Update: a re-run attaches to an attempt in flight.
        update_id = acts.derived_id(KEYS, "past-acts", "|".join(step.update_id for step in missing))
        if missing[0].creating:
            call = acts.create(
                self.client, self.settings.task_queue, kind, {**record, **facts}, PAST_ACTS_UPDATE, request, update_id
            )
        else:
            call = acts.perform(self.client, kind, record["id"], PAST_ACTS_UPDATE, request, update_id)
        try:
            await asyncio.wait_for(call, timeout=self.timeout)
        except WorkflowUpdateFailedError as error:
            details = acts.refusal_details(error.cause)
            if details is None:
                raise Failed(
                    {
                        "act": missing[0].act,
                        "column": missing[0].column,
                        "detail": f"the acts could not be completed ({error.cause!r}); run the import again",
                    }
                ) from None
            raise _step_refused(missing, str(error.cause), details) from None
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError, RPCError) as error:
            raise Failed(
                {
                    "act": missing[0].act,
                    "column": missing[0].column,
                    "detail": f"Temporal or the worker did not answer ({type(error).__name__}); run "
                    "the import again: nothing is applied twice",
                }
            ) from None
        self.acts_sent += len(missing)
        return len(missing), len(plan) - len(missing)

    # ---- relations, posts, members ---------------------------------------------------

    async def relations(self, pair_rows: list[PostRow]) -> tuple[str, dict[str, Any] | None, bool]:
        """Consular relations for the pair, established by mutual consent (VCCR 2(1)) on the earliest
        date the file gives, unless the register has them already."""
        first = pair_rows[0]
        rid = relations_id(first.sending_state, first.receiving_state)
        existing = await self.db(queries.get_record, rid, "relations")
        if existing and existing["state"] == "established":
            return rid, None, False
        if existing:
            return (
                rid,
                {
                    "article": "VCCR 2(1)",
                    "state": existing["state"],
                    "detail": f"Consular relations {rid} are severed; the import does not re-establish them",
                },
                False,
            )
        since = min(r.relations_since or r.requested_on for r in pair_rows)
        missions = sorted({r.sending_state for r in pair_rows if r.ss_diplomatic_mission})
        other = first.receiving_state
        step = Step(
            RELATIONS.creation.name,
            {
                "with_state": other,
                "basis": "mutual-consent",
                "diplomatic_missions": missions,
                "effective_date": since.isoformat(),
            },
            "relations_since",
            acts.derived_id(KEYS, "relations", rid),
            creating=True,
        )
        record = Relations(id=rid, states=tuple(sorted((first.sending_state, other)))).model_dump(mode="json")
        try:
            rehearse(RELATIONS, record, [step], self.today, {})
            recorded, facts = await self.db(_recorded_and_facts, "relations", record, [step.update_id])
            sent, _ = await self.send("relations", record, [step], recorded, facts)
        except Failed as failed:
            return rid, failed.problem, False
        return rid, None, bool(sent)

    async def post(self, number: int, row: PostRow, relations_problem: dict[str, Any] | None) -> RowResult:
        ss, rs = row.sending_state, row.receiving_state
        update_id = acts.derived_id(KEYS, "posts", f"{ss}|{rs}|{row.post}")
        post_id = acts.new_post_id(ss, rs, update_id)
        result = RowResult(row=number, record="post", post=row.post, record_id=post_id, status="failed")
        try:
            if relations_problem:
                raise Failed({**relations_problem, "column": "relations_since"})
            relations = await self.db(queries.get_record, relations_id(ss, rs), "relations")
            established = relations.get("established_on") if relations else None
            if established and row.requested_on < date.fromisoformat(established):
                raise Failed(
                    {
                        "column": "requested_on",
                        "article": "VCCR 2(1)",
                        "detail": f"{row.requested_on} is before the establishment of consular relations "
                        f"({established})",
                    }
                )
            record = Post(
                id=post_id,
                sending_state=ss,
                receiving_state=rs,
                seat=row.seat,
                classification=row.classification,
                district=row.district,
                headed_by=row.headed_by,
            ).model_dump(mode="json")
            plan = [
                Step(
                    POST.creation.name,
                    {
                        "receiving_state": rs,
                        "seat": row.seat,
                        "classification": row.classification,
                        "district": row.district,
                        "headed_by": row.headed_by,
                        "effective_date": row.requested_on.isoformat(),
                    },
                    "requested_on",
                    update_id,
                    creating=True,
                )
            ]
            if row.consented_on:
                plan.append(
                    Step(
                        "consent",
                        {"effective_date": row.consented_on.isoformat()},
                        "consented_on",
                        acts.derived_id(KEYS, f"post/{post_id}/consent", row.post),
                    )
                )
            recorded, facts = await self.db(_recorded_and_facts, "post", record, [step.update_id for step in plan])
            record.update(facts)
            rehearse(POST, record, plan, self.today, {})
            result.acts_sent, result.acts_already_recorded = await self.send("post", record, plan, recorded, facts)
        except Failed as failed:
            result.problem = failed.problem
            return result
        result.status = "imported" if result.acts_sent else "unchanged"
        return result

    async def member(self, number: int, row: MemberRow, context: PostContext) -> RowResult:
        post, profile = context.post, context.profile
        update_id = acts.derived_id(KEYS, f"posts/{post.id}/members", f"{row.role}|{row.full_name}|{row.appointed_on}")
        member_id = acts.new_member_id(update_id)
        result = RowResult(row=number, record="member", post=row.post, record_id=member_id, status="failed")
        try:
            try:
                appointment = AppointmentRequest.model_validate(
                    {
                        "role": row.role,
                        "category": row.category,
                        "class": row.class_,
                        "instrument": row.instrument,
                        "person": _person(row),
                        "effective_date": row.appointed_on,
                    }
                )
            except ValidationError as error:
                raise _fields(field_errors(error, APPOINTMENT_COLUMNS)) from None
            plan = [
                Step(
                    MEMBER.creation.name,
                    appointment.model_dump(mode="json", by_alias=True, exclude_none=True),
                    "appointed_on",
                    update_id,
                    creating=True,
                )
            ]
            dated = [
                (getattr(row, column), position, act, column)
                for position, (act, column) in enumerate(MEMBER_ACTS)
                if getattr(row, column)
            ]
            for on, _, act, column in sorted(dated):
                body: dict[str, Any] = {"effective_date": on.isoformat()}
                if act == "present-instrument":
                    body["presented_on"] = on.isoformat()
                if act == "notify-arrival":
                    body["arrived_on"] = on.isoformat()
                plan.append(Step(act, body, column, acts.derived_id(KEYS, f"member/{member_id}/{act}", row.post)))
            recorded, active = await self.db(_member_reads, [step.update_id for step in plan], post.id)
            if update_id not in recorded:  # an imported member counts itself
                if post.established_on and row.appointed_on < post.established_on:
                    raise Failed(
                        {
                            "column": "appointed_on",
                            "article": "VCCR 4(1)",
                            "detail": f"{row.appointed_on} is before the post's establishment ({post.established_on})",
                        }
                    )
                refusal = appointment_refusal(post, profile, active, appointment)
                if refusal is not None:
                    raise Failed(
                        {
                            "act": "appoint",
                            "column": "role",
                            "article": refusal.article,
                            "state": refusal.state,
                            "detail": refusal.detail,
                        }
                    )
            record = new_member(member_id, post, profile, appointment).model_dump(mode="json", by_alias=True)
            record.update(context.member_facts)
            rehearse(MEMBER, record, plan, self.today, profile.periods())
            result.acts_sent, result.acts_already_recorded = await self.send(
                "member", record, plan, recorded, context.member_facts, profile
            )
        except Failed as failed:
            result.problem = failed.problem
            return result
        result.status = "imported" if result.acts_sent else "unchanged"
        return result

    async def household(self, number: int, row: HouseholdRow, member_id: str, context: PostContext) -> RowResult:
        update_id = acts.derived_id(
            KEYS, f"members/{member_id}/household", f"{row.kind}|{row.full_name}|{row.joined_on}"
        )
        household_id = acts.new_household_id(update_id)
        result = RowResult(row=number, record="household", post=row.post, record_id=household_id, status="failed")
        try:
            try:
                request = HouseholdRequest.model_validate(
                    {
                        "kind": row.kind,
                        "relationship": row.relationship,
                        "person": _person(row),
                        "effective_date": row.joined_on,
                    }
                )
            except ValidationError as error:
                raise _fields(field_errors(error, HOUSEHOLD_REQUEST_COLUMNS)) from None
            body = request.model_dump(mode="json", exclude_none=True)
            plan = [Step(HOUSEHOLD.creation.name, body, "joined_on", update_id, creating=True)]
            dated = [
                (getattr(row, column), position, act, column)
                for position, (act, column) in enumerate(HOUSEHOLD_ACTS)
                if getattr(row, column)
            ]
            for on, _, act, column in sorted(dated):
                step_body: dict[str, Any] = {"effective_date": on.isoformat()}
                if act in ("notify-arrival", "notify-departure"):
                    step_body[column] = on.isoformat()
                plan.append(
                    Step(act, step_body, column, acts.derived_id(KEYS, f"household/{household_id}/{act}", row.post))
                )
            document, recorded = await self.db(_household_reads, member_id, [step.update_id for step in plan])
            member = Member.model_validate(document)
            if row.joined_on < (member.appointed_on or row.joined_on):
                raise Failed(
                    {
                        "column": "joined_on",
                        "article": "VCCR 24(1)(b)",
                        "detail": f"{row.joined_on} is before the member's appointment ({member.appointed_on})",
                    }
                )
            record = new_household(household_id, member, request).model_dump(mode="json")
            rehearse(HOUSEHOLD, record, plan, self.today, context.profile.periods())
            result.acts_sent, result.acts_already_recorded = await self.send(
                "household", record, plan, recorded, {}, context.profile
            )
        except Failed as failed:
            result.problem = failed.problem
            return result
        result.status = "imported" if result.acts_sent else "unchanged"
        return result

    async def group(
        self,
        post: tuple[int, PostRow] | None,
        members: list[tuple[int, MemberRow]],
        relations: dict[str, dict[str, Any] | None],
        post_failed: dict[str, Any] | None,
        households: list[tuple[int, HouseholdRow]] | None = None,
    ) -> list[RowResult]:
        """One post and its members, in the file's order: a member needs its post open."""
        async with self.slots:
            results = []
            post_id = None
            context: PostContext | None = None
            member_ids: dict[str, str] = {}
            if post is not None and post_failed is None:
                number, row = post
                outcome = await self.post(
                    number, row, relations.get(relations_id(row.sending_state, row.receiving_state))
                )
                results.append(self.done(outcome))
                if outcome.status in ("imported", "unchanged"):
                    post_id = outcome.record_id
                else:
                    post_failed = {"detail": f"its post '{row.post}' (row {number}) was not imported"}
            for number, member in members:
                if post_id is None:
                    reason = post_failed or {"column": "post", "detail": f"no post row defines '{member.post}'"}
                    status: Status = "skipped" if post_failed else "failed"
                    results.append(
                        self.done(
                            RowResult(row=number, record="member", post=member.post, status=status, problem=reason)
                        )
                    )
                    continue
                if context is None:  # read once for the post's rows
                    context = await self.db(_post_context, post_id)
                imported = self.done(await self.member(number, member, context))
                results.append(imported)
                if imported.status in ("imported", "unchanged") and imported.record_id:
                    member_ids[member.full_name] = imported.record_id  # a later tenure wins
            for number, person in households or []:
                member_id = member_ids.get(person.member)
                if member_id is None or post_id is None:
                    results.append(
                        self.done(
                            RowResult(
                                row=number,
                                record="household",
                                post=person.post,
                                status="failed",
                                problem={
                                    "column": "member",
                                    "detail": f"no imported member named {person.member!r} at post '{person.post}'",
                                },
                            )
                        )
                    )
                    continue
                if context is None:
                    context = await self.db(_post_context, post_id)
                results.append(self.done(await self.household(number, person, member_id, context)))
            return results


async def import_corps(
    client: Client,
    settings: Settings,
    source: Path | str | Iterable[dict[str, Any]],
    *,
    concurrency: int = 16,
    progress: Callable[[RowResult], None] | None = None,
    file_name: str | None = None,
) -> ImportReport:
    """Import a CSV (a path) or rows (dicts with the file's columns, e.g. `example_corps(...)`).
    Rows of different posts run in parallel, `concurrency` posts at a time; a post's rows in order."""
    started = time.monotonic()
    if isinstance(source, (str, Path)):
        path = Path(source)
        numbered = list(read_csv(path))
        file_name = file_name or path.name
    else:
        numbered = list(enumerate(({k: "" if v is None else str(v) for k, v in r.items()} for r in source), start=2))
        file_name = file_name or "rows"
    importer = Importer(client, settings, file_name, concurrency, progress)
    results: list[RowResult] = []
    posts: dict[str, tuple[int, PostRow]] = {}
    failed_posts: dict[str, dict[str, Any]] = {}
    members: dict[str, list[tuple[int, MemberRow]]] = defaultdict(list)
    households: dict[str, list[tuple[int, HouseholdRow]]] = defaultdict(list)
    for number, cells in numbered:
        parsed = parse(number, cells)
        key = (cells.get("post") or "").strip()
        if isinstance(parsed, list):
            results.append(
                importer.done(
                    RowResult(
                        row=number,
                        record=(cells.get("record") or "").strip() or "?",
                        post=key,
                        status="failed",
                        problem=_fields(parsed).problem,
                    )
                )
            )
            if (cells.get("record") or "").strip() == "post" and key:
                failed_posts.setdefault(key, {"detail": f"its post '{key}' (row {number}) was not imported"})
        elif isinstance(parsed, PostRow):
            if parsed.post in posts:
                results.append(
                    importer.done(
                        RowResult(
                            row=number,
                            record="post",
                            post=parsed.post,
                            status="failed",
                            problem={
                                "column": "post",
                                "detail": f"post '{parsed.post}' is defined in row {posts[parsed.post][0]}",
                            },
                        )
                    )
                )
            else:
                posts[parsed.post] = (number, parsed)
        elif isinstance(parsed, HouseholdRow):
            households[parsed.post].append((number, parsed))
        else:
            members[parsed.post].append((number, parsed))
    for key in posts:
        failed_posts.pop(key, None)  # a later good row defines the post after all

    by_pair: dict[str, list[PostRow]] = defaultdict(list)
    for _, row in posts.values():
        by_pair[relations_id(row.sending_state, row.receiving_state)].append(row)
    outcomes = await asyncio.gather(*(importer.relations(rows) for rows in by_pair.values()))
    relations = {rid: problem for rid, problem, _ in outcomes}
    established = [rid for rid, problem, sent in outcomes if sent]

    keys = list(dict.fromkeys([*posts, *members, *households]))
    groups = await asyncio.gather(
        *(
            importer.group(
                posts.get(key), members.get(key, []), relations, failed_posts.get(key), households.get(key, [])
            )
            for key in keys
        )
    )
    results += [result for group in groups for result in group]
    return ImportReport(
        file=file_name,
        rows=sorted(results, key=lambda r: r.row),
        relations_established=established,
        acts_sent=importer.acts_sent,
        seconds=round(time.monotonic() - started, 3),
    )
