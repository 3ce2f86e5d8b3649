"""Hypothesis drives random act sequences through the real API, with random parties and random
bodies, on members and on posts: after every step the workflow's state and the register agree,
a refused act changes nothing and is a problem naming its field or article, and docs/domain.md's
invariants hold on the register's record.

Hypothesis runs in a thread with a blocking HTTP client while the session's event loop serves
the API and the worker; workflow queries go back to that loop."""

from __future__ import annotations

import asyncio
import os
from datetime import date, timedelta
from typing import Any

import httpx
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from exequatur.models.common import ActBody
from exequatur.models.member import MEMBER
from exequatur.models.post import POST

CALLERS = {"SS": "tok-gha", "RS": "tok-tgo", "stranger": "tok-usa"}
TODAY = date.today()
MEMBER_ACTS = [a for a in MEMBER.acts if not a.automatic and not a.creates]
POST_ACTS = [a for a in POST.acts if not a.automatic and not a.creates]
EXAMPLES = settings(max_examples=int(os.environ.get("EXEQUATUR_SEQUENCE_EXAMPLES", "15")), stateful_step_count=15, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


def bodies(act) -> st.SearchStrategy[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Empty, a legal date (past, future or before the record), or the body model's fields filled
    at random (mostly refused as 422, or 409 for a date the record or the day rules out, which must
    record nothing)."""
    dated = st.dates(TODAY - timedelta(days=800), TODAY + timedelta(days=30)).map(
        lambda d: {"effective_date": d.isoformat()})
    options = [st.just({}), dated]
    if act.body is not ActBody:
        fields = act.body.model_fields
        options.append(st.fixed_dictionaries({}, optional={
            (field.alias or name): st.one_of(st.none(), st.text(max_size=12), st.integers(-5, 5), st.booleans(),
                                             st.lists(st.text(max_size=8), max_size=2))
            for name, field in fields.items()}))
    return st.one_of(options)


class Lawful(RuleBasedStateMachine):
    """One record per example; `kind` and `acts` say which lifecycle it exercises."""

    kind = ""
    acts: list = []
    http: httpx.Client
    loop: asyncio.AbstractEventLoop
    temporal: Any

    def create(self) -> str:
        raise NotImplementedError

    @initialize()
    def start(self) -> None:
        self.record_id = self.create()
        self.seen = self.register()

    def register(self) -> dict[str, Any]:
        response = self.http.get(f"/v1/{self.kind}/{self.record_id}", headers=self.auth("SS"))
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def auth(self, caller: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {CALLERS[caller]}"}

    def workflow(self) -> dict[str, Any]:
        prefix = "member" if self.kind == "members" else "post"
        query = self.temporal.get_workflow_handle(f"{prefix}-{self.record_id}").query("record")
        return asyncio.run_coroutine_threadsafe(query, self.loop).result(30)  # type: ignore[no-any-return]

    @rule(data=st.data(), caller=st.sampled_from(list(CALLERS)))
    def act(self, data, caller: str) -> None:  # type: ignore[no-untyped-def]
        act = data.draw(st.sampled_from(self.acts), label="act")
        body = data.draw(bodies(act), label="body")
        before = self.register()
        response = self.http.post(f"/v1/{self.kind}/{self.record_id}/acts/{act.name}", json=body,
                                  headers=self.auth(caller))
        after = self.register()
        if response.status_code == 200:
            assert caller != "stranger" and after["acts"][len(before["acts"])]["act"] == act.name
            assert after["acts"][len(before["acts"])]["article"] == act.article
        else:
            assert response.status_code in (403, 404, 409, 422), response.text  # docs/api.md "Errors"
            assert response.headers["content-type"].startswith("application/problem+json")
            problem = response.json()
            if caller == "stranger":  # no hint that the record exists: as for an id that does not
                absent = self.http.post(f"/v1/{self.kind}/NO-SUCH-RECORD/acts/{act.name}", json=body,
                                        headers=self.auth(caller))
                assert response.status_code == absent.status_code in (404, 422), (response.text, absent.text)
            if response.status_code == 409:  # the rule's article, or the field that conflicts with the record
                assert problem.get("article", "").startswith("VCCR") or all(
                    error["field"] for error in problem.get("errors") or [{"field": ""}]), problem
            if response.status_code == 422:
                assert all(error["field"] for error in problem["errors"]), problem
            # Nothing recorded by a refused act (automatic acts of the service may still come).
            callers_acts = [a for a in after["acts"] if a["principal"] != "service"]
            assert callers_acts == [a for a in before["acts"] if a["principal"] != "service"]

    @invariant()
    def workflow_and_register_agree(self) -> None:
        if not hasattr(self, "record_id"):
            return
        for _ in range(50):  # an automatic act (Art. 14 delivery) may be between the two
            register, workflow = self.register(), self.workflow()
            if workflow["acts_count"] == len(register["acts"]):
                break
            asyncio.run_coroutine_threadsafe(asyncio.sleep(0.1), self.loop).result()
        assert workflow["state"] == register["state"]
        assert workflow["acts_count"] == len(register["acts"]), (workflow["acts_count"], register["acts"])
        self.check_domain(register)

    def check_domain(self, record: dict[str, Any]) -> None:
        pass


class MemberActs(Lawful):
    kind, acts = "members", MEMBER_ACTS

    def create(self) -> str:
        response = self.http.post(f"/v1/posts/{self.post_id}/members", headers=self.auth("SS"), json={
            "role": "head", "category": "career", "class": "consul",
            "person": {"full_name": "Kofi Mensah", "nationalities": ["GHA"]}})
        assert response.status_code == 201, response.text
        return response.json()["id"]  # type: ignore[no-any-return]

    def check_domain(self, m: dict[str, Any]) -> None:
        admitted = m["provisionally_admitted_on"] or m["exequatur_granted_on"]
        if m["entered_duties_on"]:
            assert admitted, "a head enters upon duties only once admitted (VCCR 12(3), 13)"
        began, ended = m["privileges"]["began_on"], m["privileges"]["ended_on"]
        if began and ended:
            assert ended >= began, "privileges end after they begin (VCCR 53)"
        if m["departed_on"]:
            assert m["functions_ended_on"], "a final departure follows the end of functions (VCCR 25, 53(3))"
        dates = [a["effective_date"] for a in m["acts"] if a["principal"] != "service"]
        assert dates == sorted(dates), "legal dates never go back"


class PostActs(Lawful):
    kind, acts = "posts", POST_ACTS

    def create(self) -> str:
        response = self.http.post("/v1/posts", headers=self.auth("SS"), json={
            "receiving_state": "TGO", "seat": "Lomé", "classification": "consulate", "district": "Maritime",
            "headed_by": "career", "effective_date": (TODAY - timedelta(days=400)).isoformat()})
        assert response.status_code == 201, response.text
        return response.json()["id"]  # type: ignore[no-any-return]

    def check_domain(self, p: dict[str, Any]) -> None:
        if p["state"] == "requested":
            assert not [a for a in p["acts"] if a["act"] == "consent"], "consent opens the post (VCCR 4(1))"


async def _run(machine: type[Lawful], http: httpx.AsyncClient, env) -> None:  # type: ignore[no-untyped-def]
    from hypothesis.stateful import run_state_machine_as_test

    machine.loop, machine.temporal = asyncio.get_running_loop(), env.client
    with httpx.Client(base_url=str(http.base_url), timeout=60) as client:
        machine.http = client
        await asyncio.to_thread(run_state_machine_as_test, machine, settings=EXAMPLES)


async def _pair(http: httpx.AsyncClient) -> str:
    """GHA and TGO in consular relations, and one open post for the members' examples."""
    gha = {"Authorization": "Bearer tok-gha"}
    tgo = {"Authorization": "Bearer tok-tgo"}
    relations = await http.post("/v1/relations", headers={**gha, "Idempotency-Key": "sequences"},
                                json={"with_state": "TGO", "effective_date": "2000-01-01"})
    assert relations.status_code in (200, 201), relations.text
    listed = (await http.get("/v1/relations", headers=gha)).json()
    if next(r for r in listed if r["id"] == "GHA-TGO")["state"] == "proposed":  # 2(1): Togo consents
        accepted = await http.post("/v1/relations/GHA-TGO/acts/accept", headers={**tgo, "Idempotency-Key": "s-a"},
                                   json={"effective_date": "2000-01-01"})
        assert accepted.status_code == 200, accepted.text
    post = await http.post("/v1/posts", headers={**gha, "Idempotency-Key": "sequences-post"}, json={
        "receiving_state": "TGO", "seat": "Kara", "classification": "consulate", "district": "Kara",
        "headed_by": "career", "effective_date": "2000-01-01"})
    assert post.status_code in (200, 201), post.text
    consent = await http.post(f"/v1/posts/{post.json()['id']}/acts/consent", headers={**tgo, "Idempotency-Key": "s"},
                              json={"effective_date": "2000-01-02"})
    assert consent.status_code == 200, consent.text
    return post.json()["id"]  # type: ignore[no-any-return]


async def test_random_member_acts_keep_workflow_and_register_in_step(http, env):  # type: ignore[no-untyped-def]
    MemberActs.post_id = await _pair(http)
    await _run(MemberActs, http, env)


async def test_random_post_acts_keep_workflow_and_register_in_step(http, env):  # type: ignore[no-untyped-def]
    await _pair(http)
    await _run(PostActs, http, env)
