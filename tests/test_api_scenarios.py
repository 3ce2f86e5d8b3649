"""Whole scenarios through the HTTP API against the dev server, a real worker and the register."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta

from temporalio.client import WorkflowExecutionStatus

from exequatur.core.settings import get_settings
from tests.helpers import Ministry, days_ago, head, relations_and_post


def outbox(record_id: str) -> dict[str, dict]:
    folder = get_settings().outbox_dir
    return {p.stem: json.loads(p.read_text()) for p in folder.glob(f"{record_id}-*.json")}


async def wait_for(predicate, fetch, attempts: int = 100):  # type: ignore[no-untyped-def]
    for _ in range(attempts):
        value = await fetch()
        if predicate(value):
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"condition never held; last value: {value}")


async def test_head_from_commission_to_departure(http, env):
    """VCCR 11(2), 13, 14, 12(1), 16(2), 24(1)(a), 53(1), 12(3), 25(a), 53(3), status certificate."""
    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    post = await relations_and_post(fra, wsm)
    today = date.today()
    d = lambda n: (today - timedelta(days=n)).isoformat()  # noqa: E731 - legal dates in the past

    member = await fra.post(f"/v1/posts/{post['id']}/members", head(effective_date=d(60)), expect=201)
    mid = member["id"]
    assert member["state"] == "appointed" and member["appointed_on"] == d(60)
    refused = await fra.act("members", mid, "enter-duties", expect=409)
    assert refused["article"] == "VCCR 12(3)" and refused["state"] == "appointed"

    member = await fra.act("members", mid, "present-instrument", {"presented_on": d(55), "effective_date": d(55)})
    assert member["state"] == "awaiting-exequatur" and member["instrument_presented_on"] == d(55)
    refused = await fra.act("members", mid, "enter-duties", expect=409)
    assert refused["article"] == "VCCR 12(3)"

    member = await wsm.act("members", mid, "admit-provisionally", {"effective_date": d(50)})
    assert member["state"] == "provisionally-admitted" and member["precedence_date"] == d(50)
    # VCCR 14: the district authorities are told at once, by the service, and when is recorded.
    member = await wait_for(lambda m: m["district_authorities_notified_at"],
                            lambda: wsm.get(f"/v1/members/{mid}"))
    art14 = [n for n in outbox(mid).values() if n["recipient"] == "district-authorities"]
    assert len(art14) == 1 and art14[0]["article"] == "VCCR 14" and art14[0]["act"] == "admit-provisionally"
    assert member["acts"][-1]["act"] == "district-authorities-notified"
    assert member["acts"][-1]["article"] == "VCCR 14"

    member = await fra.act("members", mid, "notify-arrival", {"arrived_on": d(45), "effective_date": d(45)})
    assert member["privileges"]["began_on"] == d(45) and member["privileges"]["began_article"] == "VCCR 53(1)"
    member = await fra.act("members", mid, "enter-duties", {"effective_date": d(44)})
    assert member["entered_duties_on"] == d(44) and member["state"] == "provisionally-admitted"

    member = await wsm.act("members", mid, "grant-exequatur", {"effective_date": d(40)})
    assert member["state"] == "admitted" and member["exequatur_granted_on"] == d(40)
    assert member["precedence_date"] == d(50)  # VCCR 16(2): the provisional date is kept
    assert len([n for n in outbox(mid).values() if n["recipient"] == "district-authorities"]) == 1

    member = await fra.act("members", mid, "notify-termination", {"effective_date": d(10)})
    assert member["state"] == "terminated" and member["end_ground"] == "VCCR 25(a)"
    assert member["departure_deadline"][:10] == d(-20)  # 30 days (the profile's default) from d(10)
    member = await fra.act("members", mid, "notify-departure", {"departed_on": d(5), "effective_date": d(5)})
    assert member["state"] == "departed"
    assert member["privileges"] == {
        "began_on": d(45), "began_act": "notify-arrival", "began_article": "VCCR 53(1)",
        "ended_on": d(5), "ended_act": "notify-departure", "ended_article": "VCCR 53(3): departure",
        "end_basis": "VCCR 53(3): departure",
    }
    assert [(a["act"], a["party"], a["article"]) for a in member["acts"]] == [
        ("appoint", "SS", "VCCR 10(1), 19(1)"),
        ("present-instrument", "SS", "VCCR 11(2)"),
        ("admit-provisionally", "RS", "VCCR 13"),
        ("district-authorities-notified", "RS", "VCCR 14"),
        ("notify-arrival", "SS", "VCCR 24(1)(a)"),
        ("enter-duties", "SS", "VCCR 12(3)"),
        ("grant-exequatur", "RS", "VCCR 12(1)"),
        ("notify-termination", "SS", "VCCR 25(a)"),
        ("notify-departure", "SS", "VCCR 53(3)"),
    ]
    # The status certificate (Samoa Act s.21) before, during and after privileges.
    before = await wsm.get(f"/v1/members/{mid}/status", on=d(46))
    assert before["privileges"] is False and before["began"] is None
    during = await wsm.get(f"/v1/members/{mid}/status", on=d(20))
    assert during["privileges"] is True and during["began"] == {"on": d(45), "act": "notify-arrival", "article": "VCCR 53(1)"}
    after = await wsm.get(f"/v1/members/{mid}/status", on=d(4))
    assert after["privileges"] is False
    assert after["ended"] == {"on": d(5), "act": "notify-departure", "article": "VCCR 53(3): departure"}

    # The workflow is closed; the register answers for the member as before.
    handle = env.client.get_workflow_handle(f"member-{mid}")
    await asyncio.wait_for(handle.result(), timeout=20)
    assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
    # VCCR 24(1): each act of the sending State reaches RS's foreign ministry, once (the worker's
    # relay delivers the register's queued notices beside the workflow, which may close first).
    async def to_ministry() -> list[str]:
        return sorted(n["act"] for n in outbox(mid).values() if n["recipient"] == "foreign-ministry")

    expected = sorted(["appoint", "present-instrument", "notify-arrival", "enter-duties", "notify-termination",
                       "notify-departure"])
    assert await wait_for(lambda acts: acts == expected, to_ministry) == expected

    again = await wsm.get(f"/v1/members/{mid}")
    assert again["acts"] == member["acts"] and again["state"] == "departed"
    assert again["allowed_acts"] == []
    closed = await fra.act("members", mid, "notify-arrival", expect=409)
    assert closed["state"] == "departed"


async def test_exequatur_refused_without_reasons(http):
    """VCCR 12(2): the refusal takes no reason field and needs none."""
    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    post = await relations_and_post(fra, wsm)
    member = await fra.post(f"/v1/posts/{post['id']}/members", head(), expect=201)
    await fra.act("members", member["id"], "present-instrument")
    member = await wsm.act("members", member["id"], "refuse-exequatur")
    assert member["state"] == "refused" and member["end_ground"] == "VCCR 12(2)"
    assert member["acts"][-1]["article"] == "VCCR 12(2)"
    assert member["departure_deadline"] is None  # never arrived: no privileges, no window


async def test_refusal_after_provisional_admission_ends_functions(http):
    """VCCR 13, 25: a refusal after provisional admission ends the functions and starts departure."""
    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    post = await relations_and_post(fra, wsm)
    member = await fra.post(f"/v1/posts/{post['id']}/members", head(), expect=201)
    await fra.act("members", member["id"], "present-instrument")
    await wsm.act("members", member["id"], "admit-provisionally")
    await fra.act("members", member["id"], "notify-arrival")
    member = await wsm.act("members", member["id"], "refuse-exequatur")
    assert member["state"] == "terminated" and member["end_ground"] == "VCCR 12(2), 13, 25"
    assert member["departure_deadline"] is not None


async def test_staff_declared_unacceptable_before_arrival_and_withdrawn(http):
    """VCCR 19(1), 23(3): before arrival RS may declare a staff member unacceptable; SS withdraws."""
    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    post = await relations_and_post(fra, wsm)
    staff = {"role": "officer", "category": "career", "class": "vice-consul",
             "person": {"full_name": "Paul Durand", "nationalities": ["FRA"]}}
    member = await fra.post(f"/v1/posts/{post['id']}/members", staff, expect=201)
    assert "declare-unacceptable" in (await wsm.get(f"/v1/members/{member['id']}"))["allowed_acts"]
    member = await wsm.act("members", member["id"], "declare-unacceptable")
    assert member["state"] == "unacceptable" and member["allowed_acts"] == []
    assert (await fra.get(f"/v1/members/{member['id']}"))["allowed_acts"] == ["withdraw-appointment"]
    member = await fra.act("members", member["id"], "withdraw-appointment")
    assert member["state"] == "withdrawn" and member["end_ground"] == "VCCR 23(3)"

    # Once on duty, 23(3) is closed: only persona non grata (23(1)) remains.
    other = await fra.post(f"/v1/posts/{post['id']}/members", staff, expect=201)
    await fra.act("members", other["id"], "notify-arrival")
    assert "declare-unacceptable" in (await wsm.get(f"/v1/members/{other['id']}"))["allowed_acts"]
    member = await fra.act("members", other["id"], "enter-duties")
    assert member["state"] == "admitted"  # staff enter duties without an exequatur (19(1))
    refused = await wsm.act("members", other["id"], "declare-unacceptable", expect=409)
    assert refused["article"] == "VCCR 23(3)" and "declare-non-grata" in refused["allowed_acts"]


async def test_persona_non_grata_recall_refused_opens_23_2_at_once(http):
    """VCCR 23(1)-(2): SS's refusal to recall lets RS cease to consider the person a member."""
    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    post = await relations_and_post(fra, wsm)
    staff = {"role": "employee", "category": "career", "person": {"full_name": "A B", "nationalities": ["FRA"]}}
    member = await fra.post(f"/v1/posts/{post['id']}/members", staff, expect=201)
    await fra.act("members", member["id"], "notify-arrival")
    await fra.act("members", member["id"], "enter-duties")
    member = await wsm.act("members", member["id"], "declare-non-grata")
    early = await wsm.act("members", member["id"], "cease-to-consider", expect=409)
    assert early["article"] == "VCCR 23(2)"
    no_exequatur = await fra.act("members", member["id"], "refuse-recall")
    assert no_exequatur["recall_refused"] is True
    wrong = await wsm.act("members", member["id"], "withdraw-exequatur", expect=409)
    assert wrong["article"] == "VCCR 25(b)"  # an employee holds no exequatur
    member = await wsm.act("members", member["id"], "cease-to-consider")
    assert member["state"] == "terminated" and member["end_ground"] == "VCCR 23(2), 25(c)"


async def test_receiving_state_national_needs_express_consent(http):
    """VCCR 22(2): an officer of RS nationality needs RS's express consent; withdrawn, 25(c) applies."""
    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    post = await relations_and_post(fra, wsm)
    officer = {"role": "officer", "category": "career", "class": "vice-consul",
               "person": {"full_name": "Sina Tuilagi", "nationalities": ["WSM"], "permanent_resident": True}}
    member = await fra.post(f"/v1/posts/{post['id']}/members", officer, expect=201)
    assert member["needs_nationality_consent"] == "VCCR 22(2)"
    refused = await fra.act("members", member["id"], "enter-duties", expect=409)
    assert refused["article"] == "VCCR 22"
    await wsm.act("members", member["id"], "consent-nationality")
    member = await fra.act("members", member["id"], "enter-duties")
    assert member["state"] == "admitted"
    assert member["privileges"]["began_on"] == member["entered_duties_on"]  # already in RS: 53(1)
    member = await wsm.act("members", member["id"], "withdraw-nationality-consent")
    assert member["state"] == "terminated" and member["end_ground"] == "VCCR 22(2), 25(c)"
    # Art. 26 grants the departure window to members other than RS nationals.
    assert member["departure_deadline"] is None and member["privileges"]["ended_on"] == member["functions_ended_on"]


async def test_a_head_admitted_provisionally_is_admitted_once_for_the_acting_period(http, env):
    """VCCR 13, 15(1), 12(1): the provisional admission told the post that its head is admitted;
    an acting head designated afterwards (the head cannot act) is not ended by the same head's
    exequatur, and the post is not told a second time."""
    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    post = await relations_and_post(fra, wsm)
    mid = (await fra.post(f"/v1/posts/{post['id']}/members", head(effective_date=days_ago(30)), expect=201))["id"]
    await fra.act("members", mid, "present-instrument", {"presented_on": days_ago(29), "effective_date": days_ago(29)})
    await wsm.act("members", mid, "admit-provisionally", {"effective_date": days_ago(28)})
    acting = await fra.act("posts", post["id"], "designate-acting-head", {
        "person": {"full_name": "Paul Durand", "nationalities": ["FRA"]}, "from": days_ago(20),
        "notified_by": "diplomatic-mission", "is_consular_officer": True, "effective_date": days_ago(21)})
    assert acting["acting_head"]["person"]["full_name"] == "Paul Durand"
    member = await wsm.act("members", mid, "grant-exequatur", {"effective_date": days_ago(10)})
    assert member["state"] == "admitted" and member["precedence_date"] == days_ago(28)  # 16(2)
    # The member's workflow answers once its signals are delivered (durable): none went this time.
    history = await env.client.get_workflow_handle(f"member-{mid}").fetch_history()
    told = [e for e in history.events if e.HasField("signal_external_workflow_execution_initiated_event_attributes")]
    assert len(told) == 1  # at the provisional admission only
    post = await fra.get(f"/v1/posts/{post['id']}")
    assert post["acting_head"]["person"]["full_name"] == "Paul Durand" and post["acting_head"]["ended_on"] is None
    assert "head-admitted" not in [a["act"] for a in post["acts"]]
    # The acting period ends when the head resumes (15(1)), as the sending State notifies.
    post = await fra.act("posts", post["id"], "end-acting-head", {"effective_date": days_ago(2)})
    assert post["acting_head"] is None
    assert post["past_acting_heads"][-1]["end_basis"] == "VCCR 15(1): the head resumed"


async def test_staff_ceiling_set_by_the_receiving_state(http):
    """VCCR 20: an appointment beyond the ceiling is refused until the ceiling changes."""
    fra, wsm, admin = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm"), Ministry(http, "tok-admin")
    post = await relations_and_post(fra, wsm)
    profile = await wsm.get("/v1/profiles/WSM")
    profile["staff_ceiling"] = {post["id"]: 2}
    assert (await http.put("/v1/profiles/WSM", json=profile, headers=fra.headers)).status_code == 403
    assert (await http.put("/v1/profiles/WSM", json=profile, headers=wsm.headers)).status_code == 200
    staff = {"role": "employee", "category": "career", "person": {"full_name": "C D", "nationalities": ["FRA"]}}
    await fra.post(f"/v1/posts/{post['id']}/members", head(), expect=201)  # not of the staff (1(1)(h))
    await fra.post(f"/v1/posts/{post['id']}/members", staff, expect=201)
    await fra.post(f"/v1/posts/{post['id']}/members", staff, expect=201)
    refused = await fra.post(f"/v1/posts/{post['id']}/members", staff, expect=409)
    assert refused["article"] == "VCCR 20"
    profile["staff_ceiling"] = {post["id"]: 3}
    assert (await http.put("/v1/profiles/WSM", json=profile, headers=admin.headers)).status_code == 200
    await fra.post(f"/v1/posts/{post['id']}/members", staff, expect=201)
    profile["staff_ceiling"] = {}
    assert (await http.put("/v1/profiles/WSM", json=profile, headers=admin.headers)).status_code == 200


async def test_appointments_at_once_stay_within_the_staff_ceiling(http):
    """VCCR 20 under a burst: four appointments sent together all pass the API's check (two
    places left: the head is not of the staff), and the register, checking again as it records, lets two in. The others are
    refused with the article, as the check before the workflow would have refused them."""
    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    post = await relations_and_post(fra, wsm)
    profile = await wsm.get("/v1/profiles/WSM")
    profile["staff_ceiling"] = {post["id"]: 2}
    assert (await http.put("/v1/profiles/WSM", json=profile, headers=wsm.headers)).status_code == 200
    try:
        await fra.post(f"/v1/posts/{post['id']}/members", head(), expect=201)
        staff = {"role": "employee", "category": "career", "person": {"full_name": "C D", "nationalities": ["FRA"]}}
        answers = await asyncio.gather(*(http.post(f"/v1/posts/{post['id']}/members", json=staff, headers=fra.headers)
                                         for _ in range(4)))
        assert sorted(a.status_code for a in answers) == [201, 201, 409, 409], [a.text for a in answers]
        assert {a.json()["article"] for a in answers if a.status_code == 409} == {"VCCR 20"}
        members = await fra.get(f"/v1/posts/{post['id']}/members")
        assert len(members) == 3  # the head and two of staff: nothing of the refused appointments
    finally:
        profile["staff_ceiling"] = {}
        assert (await http.put("/v1/profiles/WSM", json=profile, headers=wsm.headers)).status_code == 200


async def test_who_may_act_and_read(http):
    """docs/api.md: 401 unknown token, 403 the other party's act, 404 for a stranger, auditor reads only."""
    fra, wsm, nzl, audit = (Ministry(http, t) for t in ("tok-fra", "tok-wsm", "tok-nzl", "tok-audit"))
    post = await relations_and_post(fra, wsm)
    member = await fra.post(f"/v1/posts/{post['id']}/members", head(), expect=201)
    await fra.act("members", member["id"], "present-instrument")
    wrong = await fra.act("members", member["id"], "grant-exequatur", expect=403)
    assert wrong["article"] == "VCCR 12(1)" and "receiving State" in wrong["detail"]
    assert (await wsm.post(f"/v1/posts/{post['id']}/members", head(), expect=403))["article"]
    stranger = await nzl.act("members", member["id"], "grant-exequatur", expect=404)
    assert "visible" in stranger["detail"]
    await nzl.get(f"/v1/members/{member['id']}", expect=404)
    await nzl.get(f"/v1/posts/{post['id']}", expect=404)
    assert post["id"] not in [p["id"] for p in await nzl.get("/v1/posts")]
    seen = await audit.get(f"/v1/members/{member['id']}")
    assert seen["state"] == "awaiting-exequatur" and seen["allowed_acts"] == []
    await audit.act("members", member["id"], "grant-exequatur", expect=403)
    unknown = await http.get(f"/v1/members/{member['id']}", headers={"Authorization": "Bearer nope"})
    assert unknown.status_code == 401 and unknown.headers["content-type"] == "application/problem+json"
    assert (await http.get(f"/v1/members/{member['id']}")).status_code == 401
    assert (await fra.act("members", member["id"], "no-such-act", expect=404))["detail"].startswith("No act")
    # 401 comes before the body is read; a required body left out is a 422 naming its fields.
    bad = await http.post(f"/v1/members/{member['id']}/acts/notify-arrival", json={"arrived_on": 5},
                          headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    # A malformed body is named before any record is looked up: the same 422 whether or not it exists.
    assert (await nzl.act("members", member["id"], "notify-arrival", {"arrived_on": 5}, expect=422))
    assert (await nzl.act("members", "M-NOSUCHMEMBER", "notify-arrival", {"arrived_on": 5}, expect=422))
    empty = await fra.act("posts", post["id"], "request-change", None, expect=422)
    assert empty["status"] == 422 and "seat" in empty["detail"] + str(empty.get("errors"))
    after = await wsm.get(f"/v1/members/{member['id']}")
    assert [a["act"] for a in after["acts"]] == ["appoint", "present-instrument"]  # nothing recorded


async def test_malformed_input_is_named_and_records_nothing(http):
    """docs/api.md: 422 names every bad field; a refused request changes nothing."""
    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    post = await relations_and_post(fra, wsm)
    posts_before = len(await fra.get("/v1/posts"))
    bad = await fra.post("/v1/posts", {"receiving_state": "XXX", "seat": "", "classification": "embassy",
                                       "district": "d", "headed_by": "career"}, expect=422)
    assert {e["field"] for e in bad["errors"]} == {"receiving_state", "seat", "classification"}
    assert len(await fra.get("/v1/posts")) == posts_before

    bad = await fra.post(f"/v1/posts/{post['id']}/members", {"role": "head", "category": "career",
                         "person": {"full_name": "X", "nationalities": []}}, expect=422)
    assert {e["field"] for e in bad["errors"]} >= {"person.nationalities"}
    assert await fra.get(f"/v1/posts/{post['id']}/members") == []

    member = await fra.post(f"/v1/posts/{post['id']}/members", head(), expect=201)
    future = (date.today() + timedelta(days=3)).isoformat()
    # Well formed, but ruled out by the day and by the record: 409 naming the field (docs/api.md "Errors").
    bad = await fra.act("members", member["id"], "present-instrument", {"effective_date": future}, expect=409)
    assert bad["errors"][0]["field"] == "effective_date"
    earlier = (date.today() - timedelta(days=3)).isoformat()
    bad = await fra.act("members", member["id"], "present-instrument", {"effective_date": earlier}, expect=409)
    assert "before the record's last act" in bad["errors"][0]["msg"]
    bad = await fra.act("members", member["id"], "present-instrument", {"presented_on": "yesterday"}, expect=422)
    assert bad["errors"][0]["field"] == "presented_on"
    bad = await wsm.act("members", member["id"], "refuse-exequatur", {"reason": "none"}, expect=422)
    assert bad["errors"][0]["field"] == "reason"  # 12(2): no reasons, not even an optional field
    after = await fra.get(f"/v1/members/{member['id']}")
    assert [a["act"] for a in after["acts"]] == ["appoint"] and after["state"] == "appointed"


async def test_idempotency_key_applies_a_retried_act_once(http):
    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    post = await relations_and_post(fra, wsm)
    first = await fra.post(f"/v1/posts/{post['id']}/members", head(), expect=201, key="appoint-1")
    again = await fra.post(f"/v1/posts/{post['id']}/members", head(), expect=201, key="appoint-1")
    assert again["id"] == first["id"]
    assert len(await fra.get(f"/v1/posts/{post['id']}/members")) == 1
    one = await fra.act("members", first["id"], "present-instrument", key="present-1")
    two = await fra.act("members", first["id"], "present-instrument", key="present-1")
    assert one["acts"] == two["acts"] and two["state"] == "awaiting-exequatur"
    assert [a["act"] for a in two["acts"]] == ["appoint", "present-instrument"]


async def test_relations_and_posts(http):
    """VCCR 2(1), 2(3), 4(1), 4(3): relations first, RS consent, changes only with consent."""
    usa, nzl = Ministry(http, "tok-usa"), Ministry(http, "tok-nzl")
    body = {"receiving_state": "NZL", "seat": "Auckland", "classification": "consulate-general",
            "district": "North Island", "headed_by": "career"}
    early = await usa.post("/v1/posts", body, expect=409)
    assert early["article"] == "VCCR 2(1)"
    relations = await usa.post("/v1/relations", {"with_state": "NZL", "basis": "diplomatic-relations",
                                                 "diplomatic_missions": ["USA", "NZL"]}, expect=201)
    assert relations["id"] == "NZL-USA" and relations["state"] == "established"
    again = await nzl.post("/v1/relations", {"with_state": "USA"}, expect=409)
    assert again["article"] == "VCCR 2(1)"
    relations = await nzl.act("relations", "NZL-USA", "sever-diplomatic")
    assert relations["state"] == "established" and relations["diplomatic_relations"] == "severed"  # 2(3)

    post = await usa.post("/v1/posts", body, expect=201)
    assert post["state"] == "awaiting-consent"
    early = await usa.post(f"/v1/posts/{post['id']}/members", head(), expect=409)
    assert early["article"] == "VCCR 4(1)"
    await usa.act("posts", post["id"], "consent", expect=403)
    post = await nzl.act("posts", post["id"], "consent")
    assert post["state"] == "open" and post["established_on"]
    post = await usa.act("posts", post["id"], "request-change", {"seat": "Wellington"})
    assert post["seat"] == "Auckland" and post["pending_change"]["seat"] == "Wellington"  # 4(3)
    assert (await usa.act("posts", post["id"], "request-change", {"seat": "X"}, expect=409))["article"] == "VCCR 4(3)"
    post = await nzl.act("posts", post["id"], "refuse-change")
    assert post["seat"] == "Auckland" and post["pending_change"] is None
    await usa.act("posts", post["id"], "request-change", {"district": "New Zealand"})
    post = await nzl.act("posts", post["id"], "consent-change")
    assert post["district"] == "New Zealand" and post["changes"][0]["from"] == "North Island"

    refused = await usa.post("/v1/posts", {**body, "seat": "Christchurch"}, expect=201)
    refused = await nzl.act("posts", refused["id"], "refuse")
    assert refused["state"] == "refused"
    child = await usa.post("/v1/posts", {**body, "seat": "Hamilton", "classification": "consular-agency",
                                          "parent_post_id": post["id"]}, expect=201)
    assert child["parent_post_id"] == post["id"]  # 4(4)
    bad_child = await usa.post("/v1/posts", {**body, "seat": "Napier", "parent_post_id": post["id"]}, expect=409)
    assert bad_child["article"] == "VCCR 4(4)"
    listed = await usa.get("/v1/posts", receiving_state="NZL", state="open")
    assert [p["id"] for p in listed] == [post["id"]]
    pending = await usa.post("/v1/posts", {**body, "seat": "Dunedin"}, expect=201)
    severed = await usa.act("relations", "NZL-USA", "sever")
    assert severed["state"] == "severed"
    assert (await usa.post("/v1/posts", body, expect=409))["article"] == "VCCR 2(1)"
    # 27(1): every post of the pair is severed and protected, pending ones included.
    severed_post = await wait_for(lambda p: p["state"] == "severed", lambda: usa.get(f"/v1/posts/{post['id']}"))
    assert severed_post["protected_by_receiving_state"] is True
    assert severed_post["acts"][-1]["act"] == "relations-severed"
    await wait_for(lambda p: p["state"] == "severed", lambda: usa.get(f"/v1/posts/{pending['id']}"))
    assert (await nzl.act("posts", pending["id"], "consent", expect=409))["state"] == "severed"
    assert (await usa.post(f"/v1/posts/{post['id']}/members", head(), expect=409))["article"] == "VCCR 2(1)"
    # 2(1): relations come back only by mutual consent, whatever the basis: a proposal the other accepts.
    back = await nzl.post("/v1/relations", {"with_state": "USA", "basis": "diplomatic-relations"}, expect=201)
    assert (back["state"], back["proposed_by"], back["proposed_to"]) == ("proposed", "NZL", "USA")
    assert (await nzl.act("relations", "NZL-USA", "accept", expect=403))["article"] == "VCCR 2(1)"
    back = await usa.act("relations", "NZL-USA", "accept")
    assert back["state"] == "established" and [a["act"] for a in back["acts"]][-2:] == ["establish", "accept"]


async def test_receiving_state_profile_choices(http):
    """VCCR 11(3), 68, 22(3), 19(2), 19(3), 24(2) as the receiving State's profile sets them."""
    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    post = await relations_and_post(fra, wsm)
    members = f"/v1/posts/{post['id']}/members"
    # 11(3): a notification replaces the commission only where RS agrees.
    refused = await fra.post(members, head(instrument="notification"), expect=409)
    assert refused["article"] == "VCCR 11(3)"
    # Art. 68: honorary officers only where RS receives them; 1(2): the head's category is the post's.
    assert (await fra.post(members, head(category="honorary"), expect=409))["article"] == "VCCR 1(2)"
    honorary = {"role": "officer", "category": "honorary", "class": "vice-consul", "person": {"full_name": "H", "nationalities": ["FRA"]}}
    profile = await wsm.get("/v1/profiles/WSM")
    try:
        await http.put("/v1/profiles/WSM", headers=wsm.headers, json={
            **profile, "notification_replaces_commission": True, "receives_honorary": False,
            "third_state_nationals_need_consent": True})
        assert (await fra.post(members, honorary, expect=409))["article"] == "VCCR 68"
        member = await fra.post(members, head(instrument="notification"), expect=201)
        member = await fra.act("members", member["id"], "present-instrument")
        assert member["instrument_particulars"] == {  # 11(1)
            "kind": "notification", "full_name": "Jeanne Martin", "category": "career", "class": "consul",
            "district": "Upolu and Savai'i", "seat": "Apia"}
        # 22(3): a third State's national (not also of SS) needs consent where RS reserves it.
        third = await fra.post(members, {"role": "officer", "category": "career", "class": "vice-consul",
                                         "person": {"full_name": "T", "nationalities": ["NZL"]}}, expect=201)
        assert third["needs_nationality_consent"] == "VCCR 22(3)"
        dual = await fra.post(members, {"role": "officer", "category": "career", "class": "vice-consul",
                                        "person": {"full_name": "U", "nationalities": ["NZL", "FRA"]}}, expect=201)
        assert dual["needs_nationality_consent"] is None
    finally:
        await http.put("/v1/profiles/WSM", headers=wsm.headers, json=profile)

    # 19(2): an officer's arrival notified within the notice period is recorded as late, not refused.
    officer = await fra.post(members, {"role": "officer", "category": "career", "class": "vice-consul",
                                       "person": {"full_name": "O", "nationalities": ["FRA"]}}, expect=201)
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    officer = await fra.act("members", officer["id"], "notify-arrival", {"prior_notice_on": yesterday})
    assert officer["late_notice"] is True and officer["arrival_prior_notice_on"] == yesterday  # 24(2)
    # 19(3): an officer for whom SS asks an exequatur presents an instrument and waits for it.
    asked = await fra.post(members, {"role": "officer", "category": "career", "class": "vice-consul", "request_exequatur": True,
                                     "person": {"full_name": "E", "nationalities": ["FRA"]}}, expect=201)
    assert asked["instrument"] == "commission"
    assert (await fra.act("members", asked["id"], "enter-duties", expect=409))["article"] == "VCCR 12(3)"
    await fra.act("members", asked["id"], "present-instrument")
    assert (await wsm.act("members", asked["id"], "admit-provisionally", expect=409))["article"] == "VCCR 13"
    await wsm.act("members", asked["id"], "grant-exequatur")
    assert (await fra.act("members", asked["id"], "enter-duties"))["entered_duties_on"]
    bad = await fra.post(members, {"role": "employee", "category": "career", "request_exequatur": True,
                                   "person": {"full_name": "F", "nationalities": ["FRA"]}}, expect=422)
    assert "19(3)" in bad["errors"][0]["msg"]
