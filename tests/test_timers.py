"""The reasonable periods as durable timers, on the dev server's own time skipping
(30-day periods pass in about a second): VCCR 23(2) recall, 26 and 53(3) departure."""

from __future__ import annotations

from datetime import date, timedelta

from temporalio.testing import WorkflowEnvironment

from tests.helpers import Ministry, head, relations_and_post


async def admitted_head(fra: Ministry, wsm: Ministry, **person: object) -> dict:
    post = await relations_and_post(fra, wsm)
    member = await fra.post(f"/v1/posts/{post['id']}/members", head(**person), expect=201)
    await fra.act("members", member["id"], "present-instrument")
    await wsm.act("members", member["id"], "grant-exequatur")
    await fra.act("members", member["id"], "notify-arrival")
    return await fra.act("members", member["id"], "enter-duties")


async def fast_forward(env: WorkflowEnvironment, member_id: str, days: float) -> bool:
    """Move one member workflow's clock; False when the workflow completed on the way."""
    return await env.fast_forward(env.client.get_workflow_handle(f"member-{member_id}"), timedelta(days=days))


async def test_recall_period_running_out_opens_23_2(http, env):
    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    member = await admitted_head(fra, wsm)
    member = await wsm.act("members", member["id"], "declare-non-grata")
    assert member["state"] == "recall-requested" and member["recall_deadline"]
    # VCCR 23(2): before the period runs out and while SS has not refused, RS must wait.
    refused = await wsm.act("members", member["id"], "withdraw-exequatur", expect=409)
    assert refused["article"] == "VCCR 23(2)" and refused["state"] == "recall-requested"
    assert "withdraw-exequatur" not in refused["allowed_acts"]

    assert await fast_forward(env, member["id"], 31)
    member = await wsm.get(f"/v1/members/{member['id']}")
    assert member["recall_period_expired"] is True
    assert "withdraw-exequatur" in member["allowed_acts"] and "cease-to-consider" in member["allowed_acts"]
    assert [a["act"] for a in member["acts"]][-1] == "recall-period-expired"
    member = await wsm.act("members", member["id"], "withdraw-exequatur")
    assert member["state"] == "terminated" and member["end_ground"] == "VCCR 23(2), 25(b)"
    assert member["departure_deadline"]


async def test_departure_window_expiring_ends_privileges_on_its_last_day(http, env):
    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    member = await admitted_head(fra, wsm)
    member = await fra.act("members", member["id"], "notify-termination")
    assert member["state"] == "terminated" and member["privileges"]["ended_on"] is None
    deadline = member["departure_deadline"]
    assert not await fast_forward(env, member["id"], 30.5)  # the lifecycle ends on the way
    member = await fra.get(f"/v1/members/{member['id']}")
    assert member["state"] == "period-expired"
    assert member["privileges"]["ended_on"] == deadline[:10]
    assert member["privileges"]["end_basis"] == "VCCR 53(3): reasonable period expired"
    ended_on = date.fromisoformat(deadline[:10])
    status = await fra.get(f"/v1/members/{member['id']}/status", on=ended_on.isoformat())
    assert status["privileges"] is True and status["ended"]["act"] == "departure-period-expired"
    status = await fra.get(f"/v1/members/{member['id']}/status", on=(ended_on + timedelta(days=1)).isoformat())
    assert status["privileges"] is False and status["official_acts_immunity"] is True  # 53(4)
    # The workflow is closed; the register still answers and refuses further acts.
    late = await fra.act("members", member["id"], "notify-departure", {}, expect=409)
    assert late["state"] == "period-expired"


async def test_departure_before_expiry_ends_privileges_on_departure_date(http, env):
    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    member = await admitted_head(fra, wsm)
    member = await fra.act("members", member["id"], "notify-termination")
    assert await fast_forward(env, member["id"], 10)
    member = await fra.get(f"/v1/members/{member['id']}")
    assert member["state"] == "terminated"  # the window still runs after 10 of 30 days
    member = await fra.act("members", member["id"], "notify-departure")
    assert member["state"] == "departed"
    assert member["privileges"]["ended_on"] == member["departed_on"]
    assert member["privileges"]["ended_on"] < member["departure_deadline"][:10]
    assert member["privileges"]["end_basis"] == "VCCR 53(3): departure"
