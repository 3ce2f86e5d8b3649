"""Who may act, generated from the lifecycle declarations: every act x {the sending State, the
receiving State, the proposed third State, an unrelated State, auditor, admin, no token}. Only
the party the Convention names gets past authorization; strangers get 404, never a hint."""

from __future__ import annotations

from typing import Any

import pytest

from exequatur.models.common import Party
from exequatur.models.custody import CUSTODY
from exequatur.models.member import MEMBER
from exequatur.models.post import POST
from exequatur.models.relations import RELATIONS
from tests.helpers import Ministry, establish

SAMPLE_BODIES: dict[str, dict[str, Any]] = {
    "Closure": {"kind": "temporary"},
    "CustodianProposal": {"custodian": {"kind": "diplomatic-mission"}},
    "ChangeRequest": {"seat": "Elsewhere"},
    "Designation": {"person": {"full_name": "A", "nationalities": ["MEX"]}, "from": "2026-01-01",
                    "notified_by": "head-of-post"},
    "OfficerPrecedence": {"order": ["M-X"], "notified_by": "head-of-post"},
    "MissionsBody": {"diplomatic_missions": []},
    "ProtectingState": {"state": "AUS"},
    "IgoRepresentation": {"organization": "OAS"},
    "HandOver": {"inventory": {"archives_sealed_units": 1}},
    "EstablishBody": {"with_state": "PER"},
    "RestrictPrivileges": {"order": "Order 1/2026", "scope": "none"},
    "LiftRestriction": {"order": "Order 1/2026"},
    "Representation": {"represented_by": "AUS"},
}
CALLERS = {"SS": "tok-mex", "RS": "tok-per", "TS": "tok-chl", "stranger": "tok-arg",
           "auditor": "tok-audit", "admin": "tok-admin", "nobody": None}


def acts(lifecycle) -> list[Any]:  # type: ignore[no-untyped-def]
    return [a for a in lifecycle.acts if not a.automatic and not a.creates]


def expected(act, caller: str, third_state_reads: bool) -> set[int] | str:  # type: ignore[no-untyped-def]
    if caller == "nobody":
        return {401}
    if caller == "stranger" or (caller == "TS" and not third_state_reads):
        return {404}
    if caller in ("auditor", "admin"):
        return {403}
    party = Party(caller) if caller in ("SS", "RS", "TS") else None
    if act.party is Party.EITHER and caller in ("SS", "RS"):
        return "authorized"
    return "authorized" if act.party is party else {403}


@pytest.fixture(scope="module")
async def records(http):  # type: ignore[no-untyped-def]
    mex, per = Ministry(http, "tok-mex"), Ministry(http, "tok-per")
    await establish(mex, per, "PER", effective_date="2000-01-01")
    body = {"receiving_state": "PER", "seat": "Lima", "classification": "consulate", "district": "Lima",
            "headed_by": "career", "effective_date": "2020-01-01"}
    closed = await mex.post("/v1/posts", body, expect=201)
    await per.act("posts", closed["id"], "consent", {"effective_date": "2020-01-01"})
    await mex.act("posts", closed["id"], "close", {"kind": "permanent"})
    await mex.act("posts", closed["id"], "propose-custodian", {"custodian": {"kind": "third-state", "state": "CHL"}})
    post = await mex.post("/v1/posts", {**body, "seat": "Cusco"}, expect=201)
    await per.act("posts", post["id"], "consent", {"effective_date": "2020-01-01"})
    member = await mex.post(f"/v1/posts/{post['id']}/members", {
        "role": "head", "category": "career", "class": "consul",
        "person": {"full_name": "M", "nationalities": ["MEX"]}}, expect=201)
    return {"post": post["id"], "closed": closed["id"], "member": member["id"], "relations": "MEX-PER"}


# Relations last: severance would change what the others are.
CASES = [("members", "member", a) for a in acts(MEMBER)] + [("posts", "post", a) for a in acts(POST)] + [
    ("posts", "closed", a) for a in acts(CUSTODY)] + [("relations", "relations", a) for a in acts(RELATIONS)]


@pytest.mark.parametrize("path,record,act", CASES, ids=[f"{r}:{a.name}" for _, r, a in CASES])
async def test_only_the_named_party_acts(http, records, path, record, act):  # type: ignore[no-untyped-def]
    body = SAMPLE_BODIES.get(act.body.__name__, {})
    for caller, token in CALLERS.items():
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await http.post(f"/v1/{path}/{records[record]}/acts/{act.name}", json=body, headers=headers)
        want = expected(act, caller, third_state_reads=record == "closed")
        if want == "authorized":
            assert response.status_code not in (401, 403, 404), (caller, response.text)
        else:
            assert response.status_code in want, (caller, response.status_code, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            if 404 in want:  # exactly what a record that does not exist answers
                ghost = await http.post(f"/v1/{path}/NO-SUCH-RECORD/acts/{act.name}", json=body, headers=headers)
                assert ghost.status_code == 404
                assert ghost.json()["detail"] == response.json()["detail"].replace(records[record], "NO-SUCH-RECORD")
