"""An act's answer is the record as the register holds it after the act (read-your-writes),
though the API builds it from the update's answer instead of reading the register back
(api/app.py `answer_after`; bench item 2)."""

from __future__ import annotations

import asyncio

from exequatur.api.app import Service
from exequatur.api.auth import Principal
from exequatur.register import queries
from exequatur.core.settings import get_settings
from tests.helpers import Ministry, days_ago, head, relations_and_post
from exequatur.models.messages import ActOutcome


async def _settled(ministry: Ministry, member_id: str, answer: dict) -> dict:
    """The member read back. An act the service performs after the caller's (Art. 14's report)
    may already be there: the answer's acts are then a prefix of the register's."""
    for _ in range(50):
        current = await ministry.get(f"/v1/members/{member_id}")
        if current["acts"][:len(answer["acts"])] == answer["acts"]:
            return current
        await asyncio.sleep(0.1)
    raise AssertionError(f"the answer's acts are not the register's: {answer['acts']} / {current['acts']}")


async def test_every_answer_of_a_head_lifecycle_is_what_the_register_then_holds(http):
    """VCCR 11(2), 13, 14, 24(1)(a), 12(1), 25(a): each answer equals the record read back
    right after it, acts and allowed acts included, for the party that acted."""
    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    post = await relations_and_post(fra, wsm)
    answer = await fra.post(f"/v1/posts/{post['id']}/members", head(effective_date=days_ago(60)), expect=201)
    member_id = answer["id"]
    assert [a["act"] for a in answer["acts"]] == ["appoint"]
    compared = 0
    for ministry, act, body in [
        (fra, "present-instrument", {"presented_on": days_ago(55), "effective_date": days_ago(55)}),
        (wsm, "admit-provisionally", {"effective_date": days_ago(50)}),
        (fra, "notify-arrival", {"arrived_on": days_ago(45), "effective_date": days_ago(45)}),
        (fra, "enter-duties", {"effective_date": days_ago(44)}),
        (wsm, "grant-exequatur", {"effective_date": days_ago(40)}),
        (fra, "notify-termination", {"effective_date": days_ago(5)}),
    ]:
        before = len(answer["acts"])
        answer = await ministry.act("members", member_id, act, body)
        assert answer["acts"][-1]["act"] == act and len(answer["acts"]) >= before + 1
        current = await _settled(ministry, member_id, answer)
        if len(current["acts"]) == len(answer["acts"]):  # nothing recorded since: the whole answer
            assert current == answer
            compared += 1
    assert compared >= 4


async def test_an_answer_reads_the_register_when_another_act_came_between(http, env):
    """When the record's count shows an act the reads before the update did not see, the answer
    is read back from the register, not pieced together."""
    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    post = await relations_and_post(fra, wsm)
    member = await fra.post(f"/v1/posts/{post['id']}/members", head(effective_date=days_ago(30)), expect=201)
    member = await fra.act("members", member["id"], "present-instrument",
                           {"presented_on": days_ago(25), "effective_date": days_ago(25)})
    service = Service(get_settings(), env.client)
    principal = Principal(name="fra", state="FRA")
    listed = queries.acts_of(service.engine, member["id"])
    document = queries.get_record(service.engine, member["id"], "member")
    stale = ActOutcome(record_id=member["id"], state=document["state"], record_seq=len(listed),
                       document={**document, "state": "appointed"}, act=None)
    assert await service.answer_after(principal, "member", member["id"], listed[:-1], stale) == \
        await service.current_view(principal, "member", member["id"])
    # The same outcome with a count that fits the acts read is taken as it is.
    fitting = stale.model_copy(update={"act": queries.ListedAct.model_validate(listed[-1])})
    pieced = await service.answer_after(principal, "member", member["id"], listed[:-1], fitting)
    assert pieced["state"] == "appointed" and pieced["acts"] == listed
