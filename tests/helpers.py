"""A ministry's view of the API in tests: one call per act, with the token of a State."""

from __future__ import annotations

import base64
from datetime import date, timedelta
from typing import Any

import httpx


class Ministry:
    """Acts for one State (or role) through the real HTTP API."""

    def __init__(self, http: httpx.AsyncClient, token: str):
        self.http, self.headers = http, {"Authorization": f"Bearer {token}"}

    async def post(self, path: str, body: dict[str, Any] | None = None, expect: int | None = 200,
                   key: str | None = None) -> dict[str, Any]:
        headers = dict(self.headers)
        if key:
            headers["Idempotency-Key"] = key
        response = await self.http.post(path, json=body, headers=headers)
        if expect is not None:
            assert response.status_code == expect, response.text
        return response.json()  # type: ignore[no-any-return]

    async def get(self, path: str, expect: int = 200, **params: Any) -> Any:
        response = await self.http.get(path, headers=self.headers, params=params)
        assert response.status_code == expect, response.text
        return response.json()

    async def act(self, kind: str, record_id: str, act: str, body: dict[str, Any] | None = None,
                  expect: int = 200, key: str | None = None) -> dict[str, Any]:
        return await self.post(f"/v1/{kind}/{record_id}/acts/{act}", body, expect, key)


async def establish(ss: Ministry, other: Ministry, with_state: str, expect: int | None = 201,
                    **body: Any) -> dict[str, Any]:
    """Consular relations by mutual consent (VCCR 2(1)): one State proposes, the other accepts.
    A pair already established answers 409, which `expect=None` lets pass."""
    relations = await ss.post("/v1/relations", {"with_state": with_state, **body}, expect=expect)
    if relations.get("state") == "proposed":
        dated = {"effective_date": body["effective_date"]} if "effective_date" in body else None
        relations = await other.act("relations", relations["id"], "accept", dated)
    return relations


async def relations_and_post(fra: Ministry, wsm: Ministry, **post: Any) -> dict[str, Any]:
    """FRA and WSM in consular relations (idempotent) and a consulate of FRA in Apia, consented."""
    existing = await fra.get("/v1/relations")
    if not any(r["id"] == "FRA-WSM" for r in existing):
        await establish(fra, wsm, "WSM", basis="mutual-consent", diplomatic_missions=["FRA"],
                        effective_date="2000-01-01")
    # Established a year ago, so members' acts can carry legal dates in the past year.
    year_ago = (date.today() - timedelta(days=365)).isoformat()
    body = {"receiving_state": "WSM", "seat": "Apia", "classification": "consulate",
            "district": "Upolu and Savai'i", "headed_by": "career", "effective_date": year_ago, **post}
    created = await fra.post("/v1/posts", body, expect=201)
    return await wsm.act("posts", created["id"], "consent", {"effective_date": year_ago})


def head(**overrides: Any) -> dict[str, Any]:
    return {"role": "head", "category": "career", "class": "consul",
            "person": {"full_name": "Jeanne Martin", "nationalities": ["FRA"], "permanent_resident": False},
            **overrides}


def days_ago(n: int) -> str:
    """A legal date n days in the past (acts may not be dated in the future)."""
    return (date.today() - timedelta(days=n)).isoformat()


async def provisionally_admitted_head(fra: Ministry, wsm: Ministry, appointed_days_ago: int) -> str:
    """A head of FRA's consulate in Apia: appointed (10), commission presented (11(2)) and
    admitted provisionally (13) on three consecutive days; returns the member id."""
    post = await relations_and_post(fra, wsm)
    n = appointed_days_ago
    member = await fra.post(f"/v1/posts/{post['id']}/members", head(effective_date=days_ago(n)), expect=201)
    await fra.act("members", member["id"], "present-instrument",
                  {"presented_on": days_ago(n - 1), "effective_date": days_ago(n - 1)})
    await wsm.act("members", member["id"], "admit-provisionally", {"effective_date": days_ago(n - 2)})
    return member["id"]  # type: ignore[no-any-return]


# ---- the receiving end of the notices: what a ministry's webhook does (docs/webhooks.md) ----
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"exequatur-tests-webhook-secret-1").decode()
WEBHOOK_SECRET_OLD = "whsec_" + base64.b64encode(b"exequatur-tests-webhook-secret-0").decode()


def verified_notice(headers: Any, body: bytes, secret: str = WEBHOOK_SECRET) -> dict[str, Any]:
    """Verify a delivery as a receiver would: the Standard Webhooks signature over id, timestamp
    and body (the library's own check, timestamp tolerance included), then the body against the
    JSON Schema the API serves at /v1/notices/schema. Raises on either."""
    import jsonschema_rs
    from standardwebhooks.webhooks import Webhook

    from exequatur.models.notification import json_schema

    document: dict[str, Any] = Webhook(secret).verify(body, {k: v for k, v in headers.items()})
    jsonschema_rs.validator_for(json_schema()).validate(document)
    assert document["notification_id"] == headers["webhook-id"] == document["id"]
    return document
