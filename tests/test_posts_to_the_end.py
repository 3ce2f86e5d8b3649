"""Posts to the end (VCCR 2(3), 27): closure and reopening, custody by another post, a
third State's custody through the whole handover, severance of a pair and of diplomatic
relations only. Tonga receives posts of Korea, Canada and India."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from exequatur.core.settings import get_settings
from tests.helpers import Ministry, establish
from tests.test_api_scenarios import wait_for

YEAR_AGO = (date.today() - timedelta(days=365)).isoformat()


async def relations(ss: Ministry, code: str, missions: list[str]) -> None:
    ton = Ministry(ss.http, "tok-ton")
    await establish(ss, ton, "TON", expect=None, diplomatic_missions=missions, effective_date="2000-01-01")


async def open_post(ss: Ministry, ton: Ministry, seat: str, classification: str = "consulate") -> dict:
    post = await ss.post("/v1/posts", {"receiving_state": "TON", "seat": seat, "classification": classification,
                                       "district": seat, "headed_by": "career", "effective_date": YEAR_AGO},
                         expect=201)
    return await ton.act("posts", post["id"], "consent", {"effective_date": YEAR_AGO})


async def admitted_head(ss: Ministry, ton: Ministry, post: dict, state: str, name: str) -> dict:
    member = await ss.post(f"/v1/posts/{post['id']}/members", {
        "role": "head", "category": "career", "class": "consul",
        "person": {"full_name": name, "nationalities": [state]}}, expect=201)
    await ss.act("members", member["id"], "present-instrument")
    await ton.act("members", member["id"], "grant-exequatur")
    await ss.act("members", member["id"], "notify-arrival")
    return await ss.act("members", member["id"], "enter-duties")


async def test_temporary_closure_and_reopening(http):
    kor, ton = Ministry(http, "tok-kor"), Ministry(http, "tok-ton")
    await relations(kor, "KOR", [])
    post = await open_post(kor, ton, "Neiafu")
    head = await admitted_head(kor, ton, post, "KOR", "Kim")
    await ton.act("posts", post["id"], "close", {"kind": "temporary"}, expect=403)
    bad = await kor.act("posts", post["id"], "close", {"kind": "forever"}, expect=422)
    assert bad["errors"][0]["field"] == "kind"
    post = await kor.act("posts", post["id"], "close", {"kind": "temporary"})
    assert post["state"] == "closed-temporarily" and post["protected_by_receiving_state"] is True  # 27(1)(a)
    member = await wait_for(lambda m: m["state"] == "terminated", lambda: kor.get(f"/v1/members/{head['id']}"))
    assert member["end_ground"] == "VCCR 27(2), 25" and member["departure_deadline"]  # the window runs
    assert "Kim" not in [e["full_name"] for e in (await ton.get("/v1/precedence/TON"))["entries"]]
    await kor.act("posts", post["id"], "reopen", expect=403)
    post = await ton.act("posts", post["id"], "reopen")
    assert post["state"] == "open" and post["protected_by_receiving_state"] is False


async def test_permanent_closure_with_custody_by_another_post(http):
    """27(2)(a): SS without a mission in RS but with another post there: that post takes custody."""
    kor, ton = Ministry(http, "tok-kor"), Ministry(http, "tok-ton")
    await relations(kor, "KOR", [])
    keeper = await open_post(kor, ton, "Nuku'alofa", "consulate-general")
    closing = await open_post(kor, ton, "Pangai")
    post = await kor.act("posts", closing["id"], "close", {"kind": "permanent"})
    assert post["state"] == "closed" and "reopen" not in post["allowed_acts"]
    refused = await kor.act("posts", closing["id"], "propose-custodian",
                            {"custodian": {"kind": "third-state", "state": "NZL"}}, expect=409)
    assert refused["article"] == "VCCR 27(2)" and "consular-post" in refused["detail"]
    post = await kor.act("posts", closing["id"], "propose-custodian",
                         {"custodian": {"kind": "consular-post", "post_id": keeper["id"]}})
    assert post["custody"]["state"] == "active" and post["custody"]["custodian"]["post_id"] == keeper["id"]
    assert post["custody"]["district_functions_consented"] is False
    post = await ton.act("posts", closing["id"], "consent-district-functions")
    assert post["custody"]["district_functions_consented"] is True


async def test_third_state_custody_through_the_whole_handover(http, env: WorkflowEnvironment):
    """27(2)(b), 27(1)(b), 33: a rejection, a second proposal, a reminder, acceptance, handover."""
    ind, ton, nzl, aus, usa = (Ministry(http, t) for t in ("tok-ind", "tok-ton", "tok-nzl", "tok-aus", "tok-usa"))
    await relations(ind, "IND", [])
    post = await open_post(ind, ton, "Vava'u")
    await ind.act("posts", post["id"], "close", {"kind": "permanent"})
    await nzl.get(f"/v1/posts/{post['id']}", expect=404)  # a stranger, before the proposal
    refused = await ind.act("posts", post["id"], "propose-custodian",
                            {"custodian": {"kind": "diplomatic-mission"}}, expect=409)
    assert refused["article"] == "VCCR 27(2)"
    post = await ind.act("posts", post["id"], "propose-custodian", {"custodian": {"kind": "third-state", "state": "NZL"}})
    post = await wait_for(lambda p: p["custody"]["state"] == "proposed", lambda: ind.get(f"/v1/posts/{post['id']}"))
    assert (await nzl.get(f"/v1/posts/{post['id']}"))["custody"]["custodian"]["state"] == "NZL"  # may read now
    await usa.get(f"/v1/posts/{post['id']}", expect=404)  # no other stranger
    await nzl.act("posts", post["id"], "accept-custody", expect=409)  # RS first
    post = await ton.act("posts", post["id"], "reject-custodian")
    assert post["custody"]["state"] == "rejected" and "propose-custodian" in (await ind.get(f"/v1/posts/{post['id']}"))["allowed_acts"]

    post = await ind.act("posts", post["id"], "propose-custodian", {"custodian": {"kind": "third-state", "state": "AUS"}})
    await nzl.get(f"/v1/posts/{post['id']}", expect=404)  # the rejected custodian no longer reads it
    post = await wait_for(lambda p: p["custody"]["state"] == "proposed", lambda: aus.get(f"/v1/posts/{post['id']}"))
    post = await ton.act("posts", post["id"], "accept-custodian")
    assert post["custody"]["state"] == "accepted-by-receiving-state"
    assert "accept-custody" in (await aus.get(f"/v1/posts/{post['id']}"))["allowed_acts"]

    # Australia is slow to answer: after the profile's 14 days it is reminded, and the wait goes on.
    custody_id = post["custody"]["id"]
    assert await env.fast_forward(env.client.get_workflow_handle(f"custody-{custody_id}"), timedelta(days=15))
    custody = await wait_for(lambda c: c["reminders"] == 1, lambda: aus.get(f"/v1/custody/{custody_id}"))
    assert custody["state"] == "accepted-by-receiving-state" and custody["acts"][-1]["act"] == "remind"
    async def reminders() -> list[object]:  # delivered by the worker's relay, beside the workflow
        return list(get_settings().outbox_dir.glob(f"{custody_id}-*-third-state-reminder.json"))

    assert len(await wait_for(lambda found: found, reminders)) == 1
    post = await aus.act("posts", post["id"], "accept-custody")
    assert post["custody"]["state"] == "accepted-by-third-state"
    bad = await ind.act("posts", post["id"], "hand-over", {"inventory": {
        "premises": ["Consulate, Neiafu"], "archives_sealed_units": 3, "archives_content": ["file"]}}, expect=422)
    assert bad["errors"][0]["field"] == "inventory.archives_content"  # Art. 33: never listed by content
    post = await ind.act("posts", post["id"], "hand-over", {"inventory": {
        "premises": ["Consulate, Neiafu"], "property": ["2 vehicles"], "archives_sealed_units": 3}})
    assert post["custody"]["state"] == "active"
    assert post["custody"]["inventory"]["archives_sealed_units"] == 3
    assert post["protected_by_receiving_state"] is True


async def test_severance_of_a_pair_ends_every_post_and_member(http, env: WorkflowEnvironment):
    """27(1): from either State, every post of each in the other, every member; the list empties;
    the departure windows run and expire; no new post until relations are established again."""
    can, ton = Ministry(http, "tok-can"), Ministry(http, "tok-ton")
    await relations(can, "CAN", ["CAN"])
    posts = [await open_post(can, ton, seat) for seat in ("Lifuka", "'Eua", "Niuafo'ou")]
    heads = [await admitted_head(can, ton, p, "CAN", f"Head {i}") for i, p in enumerate(posts)]
    staff = await can.post(f"/v1/posts/{posts[0]['id']}/members", {
        "role": "employee", "category": "career", "person": {"full_name": "Clerk", "nationalities": ["CAN"]}},
        expect=201)
    listed = [e["full_name"] for e in (await ton.get("/v1/precedence/TON"))["entries"]]
    assert {"Head 0", "Head 1", "Head 2"} <= set(listed)

    relations_record = await ton.act("relations", "CAN-TON", "sever")  # either State may sever
    assert relations_record["state"] == "severed"
    for post in posts:
        severed = await wait_for(lambda p: p["state"] == "severed", lambda p=post: can.get(f"/v1/posts/{p['id']}"))
        assert severed["protected_by_receiving_state"] is True
    members = [*heads, staff]
    for member in members:
        ended = await wait_for(lambda m: m["state"] == "terminated", lambda m=member: can.get(f"/v1/members/{m['id']}"))
        assert ended["end_ground"] == "VCCR 27(1), 25"
    assert (await can.get(f"/v1/members/{heads[0]['id']}"))["departure_deadline"]
    assert not {"Head 0", "Head 1", "Head 2"} & {e["full_name"] for e in (await ton.get("/v1/precedence/TON"))["entries"]}
    # Custody and protection proposals are open: Canada keeps an embassy, which takes custody.
    post = await can.act("posts", posts[1]["id"], "propose-custodian", {"custodian": {"kind": "diplomatic-mission"}})
    assert post["custody"]["state"] == "active"
    # 27(1)(c): the protection of Canada's interests by a third State acceptable to Tonga.
    assert (await can.act("posts", posts[1]["id"], "propose-protecting-state", {"state": "TON"}, expect=409))[
        "article"] == "VCCR 27(1)(c)"
    await can.act("posts", posts[1]["id"], "propose-protecting-state", {"state": "AUS"})
    post = await ton.act("posts", posts[1]["id"], "accept-protecting-state")
    assert post["protection"]["state"] == "AUS" and post["protection"]["status"] == "accepted"
    assert (await can.post("/v1/posts", {"receiving_state": "TON", "seat": "X", "classification": "consulate",
                                          "district": "X", "headed_by": "career"}, expect=409))["article"] == "VCCR 2(1)"
    # The departure window runs out for the head who does not leave (53(3)).
    handle = env.client.get_workflow_handle(f"member-{heads[2]['id']}")
    await env.fast_forward(handle, timedelta(days=31))
    expired = await wait_for(lambda m: m["state"] == "period-expired", lambda: can.get(f"/v1/members/{heads[2]['id']}"))
    assert expired["privileges"]["end_basis"] == "VCCR 53(3): reasonable period expired"


async def test_diplomatic_severance_leaves_everything_open(http):
    """2(3): recorded, no consular record changes."""
    usa, ton = Ministry(http, "tok-usa"), Ministry(http, "tok-ton")
    await usa.post("/v1/relations", {"with_state": "TON", "basis": "diplomatic-relations",
                                     "diplomatic_missions": ["USA"], "effective_date": "2000-01-01"}, expect=201)
    post = await open_post(usa, ton, "Ha'apai")
    head = await admitted_head(usa, ton, post, "USA", "Smith")
    relations_record = await ton.act("relations", "TON-USA", "sever-diplomatic")
    assert relations_record["state"] == "established" and relations_record["diplomatic_relations"] == "severed"
    assert (await usa.get(f"/v1/posts/{post['id']}"))["state"] == "open"
    assert (await usa.get(f"/v1/members/{head['id']}"))["state"] == "admitted"
    assert "Smith" in [e["full_name"] for e in (await ton.get("/v1/precedence/TON"))["entries"]]


@pytest.mark.bulk  # its eighty histories repeat one path: not exported to the replay corpus
async def test_severance_fans_out_durably_to_many_posts_with_bounded_history(http, env: WorkflowEnvironment):
    """27(1) for a large corps: each record told once, the pair's history grows by a few events a post."""
    jpn, ton = Ministry(http, "tok-jpn"), Ministry(http, "tok-ton")
    await establish(jpn, ton, "TON", effective_date="2000-01-01")
    posts, members = [], []
    for i in range(40):
        post = await open_post(jpn, ton, f"Seat {i}")
        member = await jpn.post(f"/v1/posts/{post['id']}/members", {
            "role": "employee", "category": "career", "person": {"full_name": f"E{i}", "nationalities": ["JPN"]}},
            expect=201)
        posts.append(post)
        members.append(member)
    handle = env.client.get_workflow_handle("relations-JPN-TON")
    before = len((await handle.fetch_history()).events)
    await jpn.act("relations", "JPN-TON", "sever")
    for member in members:
        await wait_for(lambda m: m["state"] == "terminated", lambda m=member: jpn.get(f"/v1/members/{m['id']}"))
    for post in posts:
        severed = await ton.get(f"/v1/posts/{post['id']}")
        assert severed["state"] == "severed"
        assert [a["act"] for a in severed["acts"]].count("relations-severed") == 1  # nothing twice
    events = (await handle.fetch_history()).events[before:]
    # A signal (two events) a post, and the act itself. The workflow tasks that take in the
    # signals' confirmations depend on timing (one for many, or one each under load): at most
    # one task (three events) a post.
    tasks = [e for e in events if EventType.Name(e.event_type).startswith("EVENT_TYPE_WORKFLOW_TASK_")]
    assert len(events) - len(tasks) <= 2 * len(posts) + 20, len(events) - len(tasks)
    assert len(tasks) <= 3 * len(posts) + 20, len(tasks)
