"""The lifecycle engine alone, in the SDK's style: a worker on a task queue of its own, with a
stub of the register's `record-act` activity, acts sent with `execute_update`. No HTTP, no SQL:
what is tested is the workflow's part of the law (workflows/engine.py and workflows/checks.py)
on the real dev server: who may act (403), when (409, VCCR 4), with what body (422), the record
the act leaves, and that a refusal records nothing."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from temporalio import activity
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from exequatur.activities.register import REGISTER_REFUSED
from exequatur.models.common import Party
from exequatur.models.kinds import KINDS
from exequatur.models.messages import ActEntry, ActOutcome, ActRequest, RelatedIds, RelatedQuery, StartInput
from exequatur.models.post import POST, Post
from exequatur.models.profile import Profile
from exequatur.worker.runner import WORKFLOW_RUNNER
from exequatur.workflows.lifecycles import WORKFLOWS


class StubRegister:
    """The activities a lifecycle workflow calls, in memory: what was recorded, in order, and a
    switch to make the register refuse the next write as the real one may (VCCR 20)."""

    def __init__(self) -> None:
        self.entries: list[ActEntry] = []
        self.refuse_next: str | None = None

    def activities(self) -> list[Any]:
        @activity.defn(name="record-act")
        def record_act(entry: ActEntry) -> bool:
            if self.refuse_next:
                article, self.refuse_next = self.refuse_next, None
                raise ApplicationError(
                    "The post's staff is at its ceiling",
                    {"status": 409, "article": article, "state": entry.document["state"]},
                    type=REGISTER_REFUSED,
                    non_retryable=True,
                )
            self.entries.append(entry)
            return True

        @activity.defn(name="record-acts")
        def record_acts(entries: list[ActEntry]) -> int:
            self.entries.extend(entries)
            return len(entries)

        @activity.defn(name="read-profile")
        def read_profile(receiving_state: str) -> Profile:
            return Profile()

        @activity.defn(name="related-records")
        def related_records(query: RelatedQuery) -> RelatedIds:
            return RelatedIds(ids=[])

        return [record_act, record_acts, read_profile, related_records]


@pytest.fixture
async def engine(env: WorkflowEnvironment) -> AsyncIterator[tuple[Client, str, StubRegister]]:
    register = StubRegister()
    task_queue = f"engine-{uuid.uuid4().hex[:8]}"
    async with Worker(
        env.client,
        task_queue=task_queue,
        workflows=list(WORKFLOWS.values()),
        activities=register.activities(),
        workflow_runner=WORKFLOW_RUNNER,
        activity_executor=ThreadPoolExecutor(4),
        max_cached_workflows=0,  # every task replays its history: nondeterminism fails here
    ):
        yield env.client, task_queue, register


async def requested_post(client: Client, task_queue: str) -> tuple[WorkflowHandle[Any, Any], ActOutcome]:
    """A consulate of France in Apia, requested by France (VCCR 4(1)): the creating act."""
    post = Post(
        id=f"FRA-WSM-{uuid.uuid4().hex[:12].upper()}",
        sending_state="FRA",
        receiving_state="WSM",
        seat="Apia",
        classification="consulate",
        district="Samoa",
        headed_by="career",
    )
    kind = KINDS["post"]
    handle = await client.start_workflow(
        kind.workflow,
        StartInput(record=post.model_dump(mode="json")),
        id=kind.workflow_id(post.id),
        task_queue=task_queue,
    )
    body = {"receiving_state": "WSM", "seat": "Apia", "classification": "consulate", "district": "Samoa",
            "headed_by": "career"}
    outcome = await handle.execute_update(
        "request-establishment", ActRequest(party=Party.SS, principal="FRA", body=body), result_type=ActOutcome
    )
    return handle, outcome


def refusal(error: pytest.ExceptionInfo[WorkflowUpdateFailedError]) -> tuple[str | None, dict[str, Any]]:
    cause = error.value.cause
    assert isinstance(cause, ApplicationError)
    return cause.type, cause.details[0]


async def test_an_act_is_recorded_before_it_answers_with_its_article(engine) -> None:
    client, task_queue, register = engine
    handle, requested = await requested_post(client, task_queue)
    assert requested.state == "awaiting-consent"
    consented = await handle.execute_update(
        "consent", ActRequest(party=Party.RS, principal="WSM"), result_type=ActOutcome
    )
    assert (consented.state, consented.record_seq) == ("open", 2)
    # The answer is the register's entry: written by the stub before the update answered.
    assert [(e.act, e.party, e.article) for e in register.entries] == [
        ("request-establishment", "SS", POST.must_act("request-establishment").article),
        ("consent", "RS", POST.must_act("consent").article),
    ]
    assert register.entries[-1].document == await handle.query("record") == consented.document
    assert consented.document["established_on"] == date.today().isoformat()


async def test_the_other_partys_act_is_refused_by_the_validator_and_never_recorded(engine) -> None:
    client, task_queue, register = engine
    handle, _ = await requested_post(client, task_queue)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update("consent", ActRequest(party=Party.SS, principal="FRA"))
    kind, details = refusal(refused)
    assert kind == "ActRefused" and details["status"] == 403 and details["article"] == POST.must_act("consent").article
    assert len(register.entries) == 1  # the request only
    # A validator's refusal never reaches the history: no update was accepted for it.
    history = await handle.fetch_history()
    accepted = [e for e in history.events if e.HasField("workflow_execution_update_accepted_event_attributes")]
    assert len(accepted) == 1


async def test_an_act_out_of_its_state_is_refused_with_the_acts_that_may_follow(engine) -> None:
    client, task_queue, register = engine
    handle, _ = await requested_post(client, task_queue)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update("close", ActRequest(party=Party.SS, principal="FRA", body={"kind": "permanent"}))
    kind, details = refusal(refused)
    assert (kind, details["status"], details["state"]) == ("ActRefused", 409, "awaiting-consent")
    assert details["allowed_acts"] == []  # nothing is the sending State's move before consent
    assert len(register.entries) == 1


async def test_a_bad_body_names_its_field_and_records_nothing(engine) -> None:
    client, task_queue, register = engine
    handle, _ = await requested_post(client, task_queue)
    tomorrow = date.fromordinal(date.today().toordinal() + 1).isoformat()
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update("consent", ActRequest(party=Party.RS, principal="WSM",
                                                          body={"effective_date": tomorrow}))
    kind, details = refusal(refused)
    assert kind == "InvalidInput" and details["status"] == 409  # well formed, ruled out by the day
    assert [(e["loc"], e["type"]) for e in details["errors"]] == [(["effective_date"], "date_in_future")]
    assert len(register.entries) == 1


async def test_a_refusal_of_the_register_leaves_the_record_as_it_was(engine) -> None:
    """VCCR 20 as the register checks it, met while the workflow replays (no cache): still a 409."""
    client, task_queue, register = engine
    handle, _ = await requested_post(client, task_queue)
    register.refuse_next = "VCCR 20"
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update("consent", ActRequest(party=Party.RS, principal="WSM"))
    kind, details = refusal(refused)
    assert (kind, details["status"], details["article"]) == ("ActRefused", 409, "VCCR 20")
    record = await handle.query("record")
    assert (record["state"], record["acts_count"]) == ("awaiting-consent", 1)
    # The same act goes through once the register takes it: nothing was half-applied.
    consented = await handle.execute_update("consent", ActRequest(party=Party.RS, principal="WSM"),
                                            result_type=ActOutcome)
    assert (consented.state, consented.record_seq) == ("open", 2)
