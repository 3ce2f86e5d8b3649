"""A member's household through the HTTP API: a spouse, a child who is a national of the
receiving State and a private employee, notified (24(1)(b)-(c)), arriving, and their status
certificates before, during and after the member's functions and after his death (53(2)-(5),
47(2), 48(2), 58(3), 71(2))."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from temporalio.testing import WorkflowEnvironment

from tests.helpers import Ministry, days_ago, relations_and_post
from tests.test_api_scenarios import outbox, wait_for
from tests.test_convention_edges import person, serving


async def household(fra: Ministry, member_id: str, kind: str, who: dict[str, Any], relationship: str | None = None,
                    joined: int = 35, arrived: int = 30) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": kind, "person": who, "effective_date": days_ago(joined)}
    if relationship:
        body["relationship"] = relationship
    created = await fra.post(f"/v1/members/{member_id}/household", body, expect=201)
    assert created["state"] == "notified" and created["id"].startswith("H-")
    return await fra.act("household", created["id"], "notify-arrival", {"effective_date": days_ago(arrived)})


async def status(ministry: Ministry, household_id: str, on: str) -> dict[str, Any]:
    return await ministry.get(f"/v1/household/{household_id}/status", on=on)  # type: ignore[no-any-return]


async def test_a_household_from_arrival_to_the_end_of_the_members_window(http):
    """53(2): from the latest of the member's privileges beginning, the person's arrival and his
    joining; 53(3): until the member's window ends; 71(2) and 47(2), 48(2) by person."""
    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    post = await relations_and_post(fra, wsm)
    officer = await serving(fra, wsm, post, "officer", person("Marc Lefèvre", "FRA"), **{"class": "consul"})
    spouse = await household(fra, officer, "family", person("Claire Lefèvre", "FRA"), "spouse")
    child = await household(fra, officer, "family", person("Lina Lefèvre", "WSM"), "child")
    nanny = await household(fra, officer, "private-staff", person("Rosa Diaz", "PHL"))
    assert spouse["state"] == "arrived" and spouse["member_id"] == officer and spouse["post_id"] == post["id"]
    notices = [n for n in outbox(spouse["id"]).values() if n["recipient"] == "foreign-ministry"]
    assert {n["article"] for n in notices} == {"VCCR 24(1)(b)"} and len(notices) == 2  # notified, arrived

    before = await status(wsm, spouse["id"], days_ago(33))  # joined, not yet arrived
    assert (before["privileges"], before["scope"]) == (False, "none")
    during = await status(wsm, spouse["id"], days_ago(20))
    assert (during["privileges"], during["scope"], during["began"]["on"]) == (True, "full", days_ago(30))
    assert during["articles"][0] == "VCCR 53(2)" and during["official_acts_immunity"] is False
    assert (during["member_id"], during["household_id"]) == (officer, spouse["id"])
    found = await status(wsm, child["id"], days_ago(20))
    assert (found["privileges"], found["scope"], found["articles"]) == (False, "none", ["VCCR 71(2)"])
    found = await status(wsm, nanny["id"], days_ago(20))
    assert (found["privileges"], found["scope"], found["articles"]) == (True, "limited", ["VCCR 48(2)"])
    assert found["not_in_force"] == ["VCCR 47(2)"]  # Samoa Act s.14(1) gives Art. 47 no force of law

    # The member's functions end: each person of the household is told and runs its window (53(3)).
    await fra.act("members", officer, "notify-termination", {"effective_date": days_ago(10)})
    told = await wait_for(lambda h: h["member_functions_ended_on"], lambda: wsm.get(f"/v1/household/{spouse['id']}"))
    assert told["member_end_ground"] == "VCCR 25(a)" and told["departure_deadline"]
    assert told["acts"][-1]["act"] == "member-functions-ended"
    assert (await status(wsm, spouse["id"], days_ago(0)))["privileges"] is True  # the member's period runs
    await fra.act("members", officer, "notify-departure", {"effective_date": days_ago(5)})
    after = await status(wsm, spouse["id"], days_ago(3))
    assert (after["privileges"], after["ended"]["on"], after["ended"]["article"]) == (False, days_ago(5), "VCCR 53(3)")
    # The nanny's discharge ends hers the day it is notified (24(1)(c)).
    nanny = await fra.act("household", nanny["id"], "notify-discharge", {"effective_date": days_ago(2)})
    assert nanny["state"] == "left-household" and nanny["discharged_on"] == days_ago(2)


async def test_after_the_members_death_the_household_keeps_its_privileges_until_it_leaves(http):
    """53(5): the family keeps its privileges until it leaves or the receiving State's period
    from the death runs out, whichever is sooner."""
    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    post = await relations_and_post(fra, wsm)
    officer = await serving(fra, wsm, post, "employee", person("Henri Blanc", "FRA"))
    spouse = await household(fra, officer, "family", person("Anne Blanc", "FRA"), "spouse")
    member = await fra.act("members", officer, "notify-death", {"effective_date": days_ago(8)})
    assert (member["state"], member["end_ground"], member["privileges"]["ended_on"]) == ("terminated", "death", days_ago(8))
    told = await wait_for(lambda h: h["member_died_on"], lambda: wsm.get(f"/v1/household/{spouse['id']}"))
    assert told["departure_deadline"][:10] == (date.today() - timedelta(days=8) + timedelta(days=30)).isoformat()
    assert (await status(wsm, spouse["id"], days_ago(1)))["privileges"] is True  # after the death: 53(5)
    spouse = await fra.act("household", spouse["id"], "notify-departure", {"effective_date": days_ago(0)})
    assert spouse["state"] == "departed"
    gone = await status(wsm, spouse["id"], days_ago(0))
    assert gone["privileges"] is True and gone["ended"]["act"] == "notify-departure"  # through the day of departure


async def test_the_period_after_a_death_runs_out_by_itself(http, env: WorkflowEnvironment):
    """53(5) as a durable timer in the household's own workflow: a month later, with no act, the
    household's period has expired and its privileges ended on the period's last day."""
    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    post = await relations_and_post(fra, wsm)
    officer = await serving(fra, wsm, post, "officer", person("Paul Martin", "FRA"), **{"class": "vice-consul"})
    spouse = await household(fra, officer, "family", person("Marie Martin", "FRA"), "spouse")
    await fra.act("members", officer, "notify-death")
    told = await wait_for(lambda h: h["member_died_on"], lambda: wsm.get(f"/v1/household/{spouse['id']}"))
    handle = env.client.get_workflow_handle(f"household-{spouse['id']}")
    assert not await env.fast_forward(handle, timedelta(days=30.5))  # the lifecycle ends on the way
    expired = await wsm.get(f"/v1/household/{spouse['id']}")
    assert expired["state"] == "period-expired"
    assert expired["privileges"]["ended_on"] == told["departure_deadline"][:10]
    assert expired["privileges"]["end_basis"] == "VCCR 53(5): reasonable period after the member's death"


async def test_bad_household_notices_record_nothing(http):
    """A member the caller may not see: 404; a member whose functions ended: 409; an unknown kind
    or a relationship for private staff: 422 naming the field; discharge is for private staff."""
    fra, wsm, nzl = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm"), Ministry(http, "tok-nzl")
    post = await relations_and_post(fra, wsm)
    officer = await serving(fra, wsm, post, "officer", person("Yves Roux", "FRA"), **{"class": "consul"})
    spouse = {"kind": "family", "relationship": "spouse", "person": person("Eve Roux", "FRA")}
    await nzl.post(f"/v1/members/{officer}/household", spouse, expect=404)
    assert (await wsm.post(f"/v1/members/{officer}/household", spouse, expect=403))["article"] == "VCCR 24(1)(b)"
    bad = await fra.post(f"/v1/members/{officer}/household", {**spouse, "kind": "cousin"}, expect=422)
    assert [e["field"] for e in bad["errors"]] == ["kind"]
    bad = await fra.post(f"/v1/members/{officer}/household", {**spouse, "kind": "private-staff"}, expect=422)
    assert "relationship" in bad["errors"][0]["msg"]
    created = await fra.post(f"/v1/members/{officer}/household", spouse, expect=201)
    refused = await fra.act("household", created["id"], "notify-discharge", expect=409)
    assert refused["article"] == "VCCR 24(1)(c)"
    left = await fra.act("household", created["id"], "notify-leaving-household")
    assert (left["state"], left["left_on"], left["privileges"]["ended_article"]) == (
        "left-household", days_ago(0), "VCCR 53(3): ceased to form part of the household")
    await fra.act("members", officer, "notify-termination")
    ended = await fra.post(f"/v1/members/{officer}/household", spouse, expect=409)
    assert ended["article"] == "VCCR 53(3)"
    assert len(await fra.get(f"/v1/members/{officer}/household")) == 1


async def test_the_operators_commands_show_a_household_and_print_its_certificate(http, tmp_path):
    """`exequatur show household H-...` and `exequatur certificate H-... --on`: the register's
    record and the same finding as the API's, with the person's particulars and basis."""
    import asyncio
    import os
    import sys

    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    post = await relations_and_post(fra, wsm)
    officer = await serving(fra, wsm, post, "officer", person("Luc Bernard", "FRA"), **{"class": "consul"})
    spouse = await household(fra, officer, "family", person("Julie Bernard", "FRA"), "spouse")

    async def cli(*args: str) -> tuple[int, str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "exequatur.cli", *args, env={**os.environ, "COLUMNS": "200"},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(process.communicate(), timeout=120)
        return process.returncode or 0, out.decode() + err.decode()

    code, out = await cli("show", "household", spouse["id"])
    assert code == 0 and "Julie Bernard" in out and "spouse" in out and "notify-arrival" in out
    page = tmp_path / "certificate.html"
    code, out = await cli("certificate", spouse["id"], "--on", days_ago(20), "--out", str(page))
    assert code == 0, out
    html = page.read_text()
    assert "data-privileges='true'" in html and "Julie Bernard" in html and "Household of" in html
    assert "VCCR 53(2)" in html
