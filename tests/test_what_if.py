"""What-if (`?dry_run=true` on any act): the answer, notices, deadlines and, for an act that
fans out, every record it would reach, computed by the declarations on copies, before anything
happens (VCCR 27(1): a severance severs every post of each State in the other and ends every
member's functions, 25; their families' privileges follow, 53(5)). Then the real act gives the
same records."""

from __future__ import annotations

from typing import Any

from tests.helpers import Ministry, establish, head
from tests.test_api_scenarios import wait_for


async def _consulate_with_a_family(pan: Ministry, cri: Ministry, seat: str) -> tuple[str, str, str]:
    post = await pan.post("/v1/posts", {"receiving_state": "CRI", "seat": seat, "classification": "consulate",
                                        "district": seat, "headed_by": "career"}, expect=201)
    await cri.act("posts", post["id"], "consent")
    member = await pan.post(f"/v1/posts/{post['id']}/members", head(
        person={"full_name": f"Head in {seat}", "nationalities": ["PAN"], "permanent_resident": False}), expect=201)
    await pan.act("members", member["id"], "present-instrument")
    await cri.act("members", member["id"], "grant-exequatur")
    await pan.act("members", member["id"], "notify-arrival")
    spouse = await pan.post(f"/v1/members/{member['id']}/household", {
        "kind": "family", "relationship": "spouse",
        "person": {"full_name": f"Spouse in {seat}", "nationalities": ["PAN"]}}, expect=201)
    return post["id"], member["id"], spouse["id"]


def _reached(effects: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    found = {}
    for effect in effects:
        found[effect["record_id"]] = (effect["act"], effect["state"])
        found.update(_reached(effect["effects"]))
    return found


async def test_a_dry_run_of_a_severance_lists_every_effect_and_the_real_act_gives_the_same(http):
    pan, cri = Ministry(http, "tok-pan"), Ministry(http, "tok-cri")
    await establish(pan, cri, "CRI", diplomatic_missions=["PAN"])
    records = [await _consulate_with_a_family(pan, cri, seat) for seat in ("Limon", "Puntarenas")]
    before = {r: (await pan.get(f"/v1/{kind}/{r}"))["state"]
              for post, member, spouse in records for kind, r in (("posts", post), ("members", member),
                                                                  ("household", spouse))}

    what_if = await cri.post("/v1/relations/CRI-PAN/acts/sever?dry_run=true", {})
    assert what_if["dry_run"] is True and what_if["article"] == "VCCR 27(1)"
    assert what_if["answer"]["state"] == what_if["state"] == "severed"
    reached = _reached(what_if["effects"])
    for post, member, spouse in records:  # every post, every member, every family: before anything happens
        assert reached[post][0] == "relations-severed"
        assert reached[member][0] == "functions-ended" and reached[spouse][0]
    # Nothing happened: the same states, the relations' acts as they were.
    for record_id, state in before.items():
        kind = {"P": "posts", "M": "members", "H": "household"}[record_id[0]]
        assert (await pan.get(f"/v1/{kind}/{record_id}"))["state"] == state
    [relations] = [r for r in await pan.get("/v1/relations") if r["id"] == "CRI-PAN"]
    assert relations["state"] == "established"
    from exequatur.register import queries
    from exequatur.register.db import register_engine
    assert "sever" not in [a["act"] for a in queries.acts_of(register_engine(), "CRI-PAN")]
    # A refusal is the act's own: the wrong party, or an act not allowed now.
    refused = await pan.post(f"/v1/members/{records[0][1]}/acts/grant-exequatur?dry_run=true", {}, expect=403)
    assert refused["article"]
    again = await cri.post(f"/v1/members/{records[0][1]}/acts/grant-exequatur?dry_run=true", {}, expect=409)
    assert again["article"] and again["state"] == "admitted"
    future = await pan.post(f"/v1/members/{records[0][1]}/acts/enter-duties?dry_run=true",
                            {"effective_date": "2999-01-01"}, expect=409)
    assert future["status"] == 409 and future["errors"][0]["field"] == "effective_date"  # ruled out by the day

    severed = await cri.act("relations", "CRI-PAN", "sever")
    assert severed["state"] == what_if["answer"]["state"]
    assert {k: v for k, v in severed.items() if k not in ("acts", "acts_count")} == {
        k: v for k, v in what_if["answer"].items() if k not in ("acts", "acts_count")}
    for record_id, (_, state) in reached.items():
        kind = {"P": "posts", "M": "members", "H": "household"}[record_id[0]]
        await wait_for(lambda r, state=state: r["state"] == state, lambda kind=kind, record_id=record_id: pan.get(
            f"/v1/{kind}/{record_id}"))
