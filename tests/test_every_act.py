"""Every act that no other scenario performs, performed lawfully through the API, so that the
replay corpus (tests/histories, test_replay.py) holds every path of every workflow.

Kenya keeps posts in Tanzania (15(4), 17, 21 and the record of diplomatic missions, 2);
Uganda closes its only post in Rwanda (27(1)(b)-(c)), Tanzania and Kenya being third States.
Each act: its answer and state, the act recorded with its party and article, the wrong party
refused (403), the act out of order refused (409) with the article that refuses it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.helpers import Ministry, establish
from tests.test_api_scenarios import wait_for

TODAY = date.today().isoformat()
YEAR_AGO = (date.today() - timedelta(days=365)).isoformat()


def last_act(record: dict[str, Any]) -> tuple[str, str, str]:
    act = record["acts"][-1]
    return act["act"], act["party"], act["article"]


async def consented_post(ss: Ministry, rs: Ministry, receiving_state: str, seat: str) -> dict[str, Any]:
    post = await ss.post("/v1/posts", {"receiving_state": receiving_state, "seat": seat, "classification": "consulate",
                                       "district": seat, "headed_by": "career", "effective_date": YEAR_AGO}, expect=201)
    return await rs.act("posts", post["id"], "consent", {"effective_date": YEAR_AGO})


async def test_acting_head_officers_missions_and_diplomatic_acts(http):
    """15(4) objection to an acting head's diplomatic privileges; 21 the officers' order; 2 the
    record of diplomatic missions, which decides 17(1) and 21; 17(1) diplomatic acts authorized
    and consented; 17(2) representation to an intergovernmental organization."""
    ken, tza, audit = Ministry(http, "tok-ken"), Ministry(http, "tok-tza"), Ministry(http, "tok-audit")
    await establish(ken, tza, "TZA", diplomatic_missions=["KEN"], effective_date="2000-01-01")
    post = await ken.post("/v1/posts", {"receiving_state": "TZA", "seat": "Arusha", "classification": "consulate",
                                        "district": "Arusha", "headed_by": "career", "effective_date": YEAR_AGO},
                          expect=201)
    pid = post["id"]
    # 21: a post not yet consented to has no officers whose order could be notified.
    early = await ken.act("posts", pid, "notify-officer-precedence",
                          {"order": ["M-NOBODY"], "notified_by": "diplomatic-mission"}, expect=409)
    assert early["article"] == "VCCR 21" and early["state"] == "awaiting-consent"
    await tza.act("posts", pid, "consent", {"effective_date": YEAR_AGO})

    # 15(4): the vacant post's acting head is a member of Kenya's embassy, who keeps diplomatic
    # privileges unless Tanzania objects.
    post = await ken.act("posts", pid, "designate-acting-head", {
        "person": {"full_name": "Amani Otieno", "nationalities": ["KEN"]}, "from": TODAY,
        "notified_by": "diplomatic-mission", "is_diplomatic_agent": True})
    assert post["acting_head"]["diplomatic_privileges"] is True and post["acting_head"]["consent_required"] is False
    assert "object-to-diplomatic-privileges" in (await tza.get(f"/v1/posts/{pid}"))["allowed_acts"]
    wrong = await ken.act("posts", pid, "object-to-diplomatic-privileges", expect=403)
    assert wrong["article"] == "VCCR 15(4)"
    post = await tza.act("posts", pid, "object-to-diplomatic-privileges")
    assert post["state"] == "open" and post["acting_head"]["diplomatic_privileges"] is False
    assert post["acting_head"]["ended_on"] is None  # the objection ends the privileges, not the acting period
    assert last_act(post) == ("object-to-diplomatic-privileges", "RS", "VCCR 15(4)")
    again = await tza.act("posts", pid, "object-to-diplomatic-privileges", expect=409)
    assert again["article"] == "VCCR 15(4)" and again["state"] == "open"

    # A head admitted by exequatur ends the acting period (15(1)); an officer and an employee.
    head = await ken.post(f"/v1/posts/{pid}/members", {
        "role": "head", "category": "career", "class": "consul",
        "person": {"full_name": "Wanjiru Kamau", "nationalities": ["KEN"]}}, expect=201)
    await ken.act("members", head["id"], "present-instrument")
    await tza.act("members", head["id"], "grant-exequatur")
    head = await ken.act("members", head["id"], "notify-arrival")
    post = await wait_for(lambda p: p["acting_head"] is None, lambda: ken.get(f"/v1/posts/{pid}"))
    assert post["past_acting_heads"][-1]["diplomatic_privileges"] is False
    officer = await ken.post(f"/v1/posts/{pid}/members", {
        "role": "officer", "category": "career", "class": "vice-consul", "person": {"full_name": "Baraka Mwangi", "nationalities": ["KEN"]}},
        expect=201)
    officer = await ken.act("members", officer["id"], "enter-duties")
    assert officer["state"] == "admitted"
    employee = await ken.post(f"/v1/posts/{pid}/members", {
        "role": "employee", "category": "career", "person": {"full_name": "Neema Juma", "nationalities": ["KEN"]}},
        expect=201)

    # 21: Kenya keeps an embassy in Tanzania, so the embassy notifies the officers' order.
    order = {"order": [head["id"], officer["id"]], "notified_by": "diplomatic-mission"}
    wrong = await tza.act("posts", pid, "notify-officer-precedence", order, expect=403)
    assert wrong["article"] == "VCCR 21"
    refused = await ken.act("posts", pid, "notify-officer-precedence", {**order, "notified_by": "head-of-post"},
                            expect=409)
    assert refused["article"] == "VCCR 21"
    post = await ken.act("posts", pid, "notify-officer-precedence", order)
    assert post["officer_order"] == [{**order, "on": TODAY}]
    assert last_act(post) == ("notify-officer-precedence", "SS", "VCCR 21")

    # 17(1): while Kenya keeps its embassy, diplomatic acts are the embassy's.
    refused = await ken.act("members", head["id"], "authorize-diplomatic-acts", expect=409)
    assert refused["article"] == "VCCR 17(1)"

    # 2: Kenya closes its embassy in Tanzania; Kenya records it (its own entry), an auditor may not.
    wrong = await audit.act("relations", "KEN-TZA", "update-missions", {"diplomatic_missions": []}, expect=403)
    assert wrong["article"] == "VCCR 2"
    stranger = await tza.act("relations", "KEN-TZA", "update-missions", {"diplomatic_missions": ["UGA"]}, expect=409)
    assert stranger["errors"][0]["field"] == "diplomatic_missions"  # a State outside the pair: named, not dropped
    relations = await ken.act("relations", "KEN-TZA", "update-missions", {"diplomatic_missions": []})
    assert relations["state"] == "established" and relations["diplomatic_missions"] == []
    assert last_act(relations) == ("update-missions", "either", "VCCR 2")
    # The posts read the new fact with their next act: the embassy can no longer notify (21).
    refused = await ken.act("posts", pid, "notify-officer-precedence", order, expect=409)
    assert refused["article"] == "VCCR 21" and "keeps no diplomatic mission" in refused["detail"]

    # 17(1): now without a mission, Kenya authorizes its head of post, Tanzania consents.
    wrong = await tza.act("members", head["id"], "authorize-diplomatic-acts", expect=403)
    assert wrong["article"] == "VCCR 17(1)"
    early = await tza.act("members", head["id"], "consent-diplomatic-acts", expect=409)
    assert early["article"] == "VCCR 17(1)" and early["state"] == "admitted"  # nothing authorized yet
    member = await ken.act("members", head["id"], "authorize-diplomatic-acts")
    assert member["state"] == "admitted" and member["diplomatic_acts"] == "authorized"
    assert last_act(member) == ("authorize-diplomatic-acts", "SS", "VCCR 17(1)")
    assert (await ken.act("members", head["id"], "authorize-diplomatic-acts", expect=409))["article"] == "VCCR 17(1)"
    wrong = await ken.act("members", head["id"], "consent-diplomatic-acts", expect=403)
    assert wrong["article"] == "VCCR 17(1)"
    member = await tza.act("members", head["id"], "consent-diplomatic-acts")
    assert member["state"] == "admitted" and member["diplomatic_acts"] == "consented"
    assert last_act(member) == ("consent-diplomatic-acts", "RS", "VCCR 17(1)")

    # 17(2): a consular officer represents Kenya to an intergovernmental organization.
    igo = {"organization": "East African Community"}
    wrong = await tza.act("members", officer["id"], "notify-igo-representation", igo, expect=403)
    assert wrong["article"] == "VCCR 17(2)"
    refused = await ken.act("members", employee["id"], "notify-igo-representation", igo, expect=409)
    assert refused["article"] == "VCCR 17(2)"  # an employee is no consular officer
    member = await ken.act("members", officer["id"], "notify-igo-representation", igo)
    assert member["state"] == "admitted"
    assert member["igo_representation"] == [{"organization": "East African Community", "on": TODAY}]
    assert last_act(member) == ("notify-igo-representation", "SS", "VCCR 17(2)")


async def test_protecting_state_rejected_and_third_state_custody_declined(http):
    """27(1)(c): Rwanda does not accept Kenya as protecting State of Uganda's interests, then
    accepts Tanzania; 27(1)(b), 27(2): Uganda keeps neither mission nor other post in Rwanda, so
    a third State, Tanzania, is proposed as custodian: Rwanda accepts it, Tanzania declines."""
    uga, rwa, tza, ken = (Ministry(http, t) for t in ("tok-uga", "tok-rwa", "tok-tza", "tok-ken"))
    await establish(uga, rwa, "RWA", diplomatic_missions=[], effective_date="2000-01-01")
    post = await consented_post(uga, rwa, "RWA", "Gisenyi")
    pid = post["id"]
    # 27(1)(c): nothing to protect while the post is open, nor anything proposed.
    early = await rwa.act("posts", pid, "reject-protecting-state", expect=409)
    assert early["article"] == "VCCR 27(1)(c)" and early["state"] == "open"
    post = await uga.act("posts", pid, "close", {"kind": "permanent"})
    assert post["state"] == "closed" and post["protected_by_receiving_state"] is True  # 27(1)(a)

    await uga.act("posts", pid, "propose-protecting-state", {"state": "KEN"})
    wrong = await uga.act("posts", pid, "reject-protecting-state", expect=403)
    assert wrong["article"] == "VCCR 27(1)(c)"
    post = await rwa.act("posts", pid, "reject-protecting-state")
    assert post["state"] == "closed"
    assert post["protection"] == {"state": "KEN", "status": "rejected", "on": TODAY, "answered_on": TODAY}
    assert last_act(post) == ("reject-protecting-state", "RS", "VCCR 27(1)(c)")
    again = await rwa.act("posts", pid, "reject-protecting-state", expect=409)
    assert again["article"] == "VCCR 27(1)(c)" and again["state"] == "closed"  # nothing awaits an answer
    # The sending State may propose another (27(1)(c)).
    await uga.act("posts", pid, "propose-protecting-state", {"state": "TZA"})
    post = await rwa.act("posts", pid, "accept-protecting-state")
    assert post["protection"]["state"] == "TZA" and post["protection"]["status"] == "accepted"

    # 27(2)(b), 27(1)(b): a third State as custodian, its own workflow.
    post = await uga.act("posts", pid, "propose-custodian", {"custodian": {"kind": "third-state", "state": "TZA"}})
    post = await wait_for(lambda p: (p["custody"] or {}).get("state") == "proposed",
                          lambda: uga.get(f"/v1/posts/{pid}"))
    custody_id = post["custody"]["id"]
    early = await tza.act("posts", pid, "decline-custody", expect=409)  # the receiving State answers first
    assert early["article"] == "VCCR 27(1)(b)" and early["state"] == "proposed"
    post = await rwa.act("posts", pid, "accept-custodian")
    assert post["custody"]["state"] == "accepted-by-receiving-state"
    assert "decline-custody" in (await tza.get(f"/v1/posts/{pid}"))["allowed_acts"]
    wrong = await uga.act("posts", pid, "decline-custody", expect=403)
    assert wrong["article"] == "VCCR 27(1)(b)"
    post = await tza.act("posts", pid, "decline-custody")
    assert post["state"] == "closed" and post["custody"]["state"] == "declined"
    custody = await tza.get(f"/v1/custody/{custody_id}")
    assert custody["state"] == "declined" and custody["reminder_at"] is None  # no reply is awaited any more
    assert last_act(custody) == ("decline-custody", "TS", "VCCR 27(1)(b)")
    again = await tza.act("posts", pid, "decline-custody", expect=409)
    assert again["article"] == "VCCR 27(1)(b)" and again["state"] == "declined"
    # Uganda may propose another custodian (27(2)(b)).
    assert "propose-custodian" in (await uga.get(f"/v1/posts/{pid}"))["allowed_acts"]
