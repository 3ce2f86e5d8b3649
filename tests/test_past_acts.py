"""`record-past-acts`: a record's acts performed before this register kept them (the import,
onboarding/), each by its own party and with every check an Update makes, in one Update and one
register transaction. Its histories are in the replay corpus."""

from __future__ import annotations

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError

from exequatur.register.db import register_engine
from exequatur.models.common import Party
from exequatur.onboarding import example_corps, import_corps
from exequatur.onboarding.importer import MEMBER_ACTS
from exequatur.register import queries
from tests.test_api_scenarios import wait_for
from exequatur.workflows import client as acts
from exequatur.models.messages import PAST_ACTS_UPDATE, PastAct, PastActs


async def _acts(record_id: str) -> list[dict]:  # type: ignore[type-arg]
    return queries.acts_of(register_engine(), record_id)


def _acts_and_updates(history) -> list[str]:  # type: ignore[no-untyped-def]
    return [event for event in _events(history) if not event.startswith("WORKFLOW_TASK_")]


def _events(history) -> list[str]:  # type: ignore[no-untyped-def]
    return [EventType.Name(event.event_type).removeprefix("EVENT_TYPE_") for event in history.events]


async def test_an_imported_row_is_one_update_and_each_act_its_own_register_entry(env, worker, settings):
    """VCCR 10-13 (head: commission, provisional admission, exequatur), 24(1)(a) (arrival,
    duties): a head's row of the file is one Update, and the register keeps each act apart with
    its article, date and party, numbered in order, its notices queued as the API's would be."""
    rows = example_corps(1, 2, receiving_state="TON", tag="past-acts")  # post 0: head admitted provisionally first
    report = await import_corps(settings=settings, client=env.client, source=rows, concurrency=1)
    assert report.counts == {"imported": 3, "unchanged": 0, "failed": 0, "skipped": 0}, report.rows
    head_row = rows[1]
    head = next(r for r in report.rows if r.row == 3)
    planned = ["appoint"] + [act for act, column in MEMBER_ACTS if head_row.get(column)]
    assert head.acts_sent == len(planned) == 6

    # The relay then delivers the Art. 14 notice to the district authorities, which the
    # workflow records as its own act: after the six.
    entries = await wait_for(lambda found: len(found) == 7, lambda: _acts(head.record_id))
    assert [e["act"] for e in entries] == [*planned, "district-authorities-notified"]  # numbered in the file's order
    entries = entries[:6]
    assert [e["article"] for e in entries] == ["VCCR 10(1), 19(1)", "VCCR 11(2)", "VCCR 13", "VCCR 12(1)",
                                               "VCCR 24(1)(a)", "VCCR 12(3)"]
    assert [e["party"] for e in entries] == ["SS", "SS", "RS", "RS", "SS", "SS"]
    assert {e["principal"] for e in entries} == {"import:rows"}
    assert str(entries[2]["effective_date"]) == head_row["provisionally_admitted_on"]
    assert [e["state_code"] for e in entries] == ["appointed", "awaiting-exequatur", "provisionally-admitted",
                                                  "admitted", "admitted", "admitted"]

    handle = env.client.get_workflow_handle(f"member-{head.record_id}")
    assert await handle.query("record") == queries.get_record(register_engine(), head.record_id)  # one truth
    events = _events(await handle.fetch_history())
    assert events.count("WORKFLOW_EXECUTION_UPDATE_ACCEPTED") == 1
    assert events.count("WORKFLOW_EXECUTION_UPDATE_COMPLETED") == 1


@pytest.fixture
async def imported_staff(env, worker, settings) -> str:  # type: ignore[no-untyped-def]
    """A staff member in functions (VCCR 19(2), 24(1)(a)), imported."""
    report = await import_corps(env.client, settings, example_corps(1, 2, receiving_state="TUV", tag="past-refused"))
    assert report.ok, report.rows
    return next(r.record_id for r in report.rows if r.row == 4)  # type: ignore[return-value]


async def _send(env, member_id: str, *steps: tuple[str, dict]) -> None:  # type: ignore[no-untyped-def]
    request = PastActs(principal="import:test", acts=[
        PastAct(act=act, body=body, act_id=f"{member_id}-past-{i}") for i, (act, body) in enumerate(steps)])
    await acts.perform(env.client, "member", member_id, PAST_ACTS_UPDATE, request,
                       acts.derived_id("test", member_id, repr(steps)))


async def test_a_refused_act_among_past_acts_names_its_article_and_records_none(env, imported_staff):
    """VCCR 25(a) then 12: after the sending State notifies the end of functions, an exequatur
    cannot be granted; the first act is not recorded either, and the Update leaves no trace."""
    member_id = imported_staff
    before = queries.acts_of(register_engine(), member_id)
    handle = env.client.get_workflow_handle(f"member-{member_id}")
    history_before = await handle.fetch_history()

    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await _send(env, member_id, ("notify-termination", {"effective_date": "2024-01-10"}),
                    ("grant-exequatur", {"effective_date": "2024-01-11"}))
    details = acts.refusal_details(refused.value.cause)
    assert details is not None and details["act"] == "grant-exequatur"
    assert details["state"] == "terminated" and details["status"] in (403, 409)

    with pytest.raises(WorkflowUpdateFailedError) as automatic:  # the service's own act, not a party's
        await _send(env, member_id, ("functions-ended", {"effective_date": "2024-01-10"}))
    details = acts.refusal_details(automatic.value.cause)
    assert details is not None and details["status"] == 404

    with pytest.raises(WorkflowUpdateFailedError) as dated:  # docs/api.md: never before the record's last act
        await _send(env, member_id, ("notify-termination", {"effective_date": "2015-01-01"}))
    details = acts.refusal_details(dated.value.cause)
    assert details is not None and details["act"] == "notify-termination"
    assert details["errors"][0]["field"] == "effective_date"

    assert queries.acts_of(register_engine(), member_id) == before
    assert (await handle.query("record"))["state"] == "admitted"
    # Rejected by the validator: no act, no Update in the history (at most a workflow task).
    assert _acts_and_updates(await handle.fetch_history()) == _acts_and_updates(history_before)


async def test_past_acts_are_each_performed_by_their_own_party(env, imported_staff):
    """No act from a party the Convention does not give it to: the request names no party; the
    workflow records each act as its declared party's (25(a) is the sending State's)."""
    member_id = imported_staff
    await _send(env, member_id, ("notify-termination", {"effective_date": "2024-01-10"}))
    recorded = {e["act"]: (e["party"], e["article"]) for e in queries.acts_of(register_engine(), member_id)}
    assert recorded["notify-termination"] == (Party.SS.value, "VCCR 25(a)")
    # Its departure period (53(3)) began on that date and has run out: the service's own act.
    assert recorded["departure-period-expired"] == (Party.RS.value, "VCCR 53(3)")
