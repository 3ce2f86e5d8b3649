"""The consular list (VCCR Art. 16) of one receiving State, Fiji, built through the API.

Every paragraph in one list: 16(1) classes in order, 16(5) career before honorary, 16(2)
the provisional date kept after the exequatur, 16(3) the presentation date on equal dates,
the profile's last resort, 16(4) acting heads after all heads by the date they assumed
functions, 16(6) officers after heads; a head leaving when functions end; `?on=`; an
acting head ending when a new head is admitted (15(1))."""

from __future__ import annotations

import asyncio
import csv
import io
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.helpers import Ministry, establish

TODAY = date.today()


def d(days_ago: int) -> str:
    return (TODAY - timedelta(days=days_ago)).isoformat()


class Corps:
    """Fiji receives posts of France, Japan, Australia and the United States."""

    def __init__(self, http):  # type: ignore[no-untyped-def]
        self.fji = Ministry(http, "tok-fji")
        self.sending = {s: Ministry(http, f"tok-{s.lower()}") for s in ("FRA", "JPN", "AUS", "USA")}

    async def relations(self) -> None:
        for state, ministry in self.sending.items():
            missions = ["FRA"] if state == "FRA" else []
            await establish(ministry, self.fji, "FJI", expect=None, diplomatic_missions=missions,
                            effective_date=d(900))

    async def post(self, state: str, seat: str, classification: str = "consulate-general",
                   headed_by: str = "career") -> dict:
        ss = self.sending[state]
        post = await ss.post("/v1/posts", {"receiving_state": "FJI", "seat": seat, "classification": classification,
                                           "district": seat, "headed_by": headed_by, "effective_date": d(800)},
                             expect=201)
        return await self.fji.act("posts", post["id"], "consent", {"effective_date": d(800)})

    async def head(self, state: str, post: dict, name: str, klass: str, presented: int, exequatur: int | None,
                   provisional: int | None = None, category: str = "career") -> dict:
        ss = self.sending[state]
        member = await ss.post(f"/v1/posts/{post['id']}/members", {
            "role": "head", "category": category, "class": klass, "effective_date": d(700),
            "person": {"full_name": name, "nationalities": [state]}}, expect=201)
        await ss.act("members", member["id"], "present-instrument", {"presented_on": d(presented),
                                                                     "effective_date": d(presented)})
        if provisional is not None:
            await self.fji.act("members", member["id"], "admit-provisionally", {"effective_date": d(provisional)})
        if exequatur is not None:
            member = await self.fji.act("members", member["id"], "grant-exequatur", {"effective_date": d(exequatur)})
        return member

    async def listing(self, **params: str) -> dict:
        return await self.fji.get("/v1/precedence/FJI", **params)


def names(listing: dict) -> list[str]:
    return [e["full_name"] for e in listing["entries"]]


@pytest.fixture(scope="module")
async def corps(http):  # type: ignore[no-untyped-def]
    corps = Corps(http)
    await corps.relations()
    suva_fra = await corps.post("FRA", "Suva")
    corps.fra_head = await corps.head("FRA", suva_fra, "A-France", "consul-general", presented=110, exequatur=100)
    # 16(2): provisionally admitted on d(120), exequatur d(90): ranks by d(120).
    await corps.head("JPN", await corps.post("JPN", "Suva"), "B-Japan", "consul-general",
                     presented=125, provisional=120, exequatur=90)
    # 16(3): same exequatur date as A-France, commission presented earlier.
    await corps.head("AUS", await corps.post("AUS", "Suva"), "C-Australia", "consul-general",
                     presented=130, exequatur=100)
    # 16(5): the earliest date of all, but honorary: after every career consul-general.
    await corps.head("USA", await corps.post("USA", "Suva", headed_by="honorary"), "D-United-States",
                     "consul-general", presented=160, exequatur=150, category="honorary")
    # 16(1): a consul admitted before all of them still ranks after the consuls-general.
    corps.consul = await corps.head("FRA", await corps.post("FRA", "Lautoka", "consulate"), "E-France",
                                    "consul", presented=210, exequatur=200)
    # The last resort: equal in everything Art. 16 looks at; Australia before Japan by name.
    await corps.head("JPN", await corps.post("JPN", "Nadi", "consulate"), "F-Japan", "consul",
                     presented=110, exequatur=100)
    await corps.head("AUS", await corps.post("AUS", "Nadi", "consulate"), "G-Australia", "consul",
                     presented=110, exequatur=100)
    # 16(4): acting heads after all heads, by the date they assumed functions.
    corps.vice = await corps.post("FRA", "Labasa", "vice-consulate")
    await corps.sending["FRA"].act("posts", corps.vice["id"], "designate-acting-head", {
        "person": {"full_name": "H-Acting-France", "nationalities": ["FRA"]}, "from": d(50),
        "notified_by": "diplomatic-mission", "is_diplomatic_agent": True, "effective_date": d(55)})
    savusavu = await corps.post("JPN", "Savusavu", "vice-consulate")
    wrong = await corps.sending["JPN"].act("posts", savusavu["id"], "designate-acting-head", {
        "person": {"full_name": "I-Acting-Japan", "nationalities": ["JPN"]}, "from": d(60),
        "notified_by": "diplomatic-mission", "is_consular_officer": True}, expect=409)
    assert wrong["article"] == "VCCR 15(2)"  # Japan keeps no mission in Fiji: the head of post notifies
    acting = await corps.sending["JPN"].act("posts", savusavu["id"], "designate-acting-head", {
        "person": {"full_name": "I-Acting-Japan", "nationalities": ["JPN"]}, "from": d(60),
        "notified_by": "head-of-post", "is_consular_officer": True, "effective_date": d(58)})
    assert acting["acting_head"]["late_notice"] is True and acting["acting_head"]["consent_required"] is False
    # 16(6) and Art. 21: an officer of A-France's post, after every head.
    officer = await corps.sending["FRA"].post(f"/v1/posts/{suva_fra['id']}/members", {
        "role": "officer", "category": "career", "class": "vice-consul", "effective_date": d(700),
        "person": {"full_name": "J-Officer-France", "nationalities": ["FRA"]}}, expect=201)
    await corps.sending["FRA"].act("members", officer["id"], "notify-arrival", {"effective_date": d(40)})
    await corps.sending["FRA"].act("members", officer["id"], "enter-duties", {"effective_date": d(40)})
    wrong = await corps.sending["FRA"].act("posts", suva_fra["id"], "notify-officer-precedence", {
        "order": [officer["id"]], "notified_by": "head-of-post"}, expect=409)
    assert wrong["article"] == "VCCR 21"  # France has an embassy: its mission notifies
    post = await corps.sending["FRA"].act("posts", suva_fra["id"], "notify-officer-precedence", {
        "order": [corps.fra_head["id"], officer["id"]], "notified_by": "diplomatic-mission"})
    assert post["officer_order"][-1]["order"] == [corps.fra_head["id"], officer["id"]]
    return corps


ORDER = ["B-Japan", "C-Australia", "A-France", "D-United-States", "E-France", "G-Australia", "F-Japan",
         "I-Acting-Japan", "H-Acting-France", "J-Officer-France"]


async def test_every_paragraph_of_article_16_in_one_list(corps):
    listing = await corps.listing()
    assert names(listing) == ORDER
    entries = {e["full_name"]: e for e in listing["entries"]}
    assert listing["dean"] == entries["B-Japan"]["member_id"]  # the first head, by usage
    assert entries["B-Japan"]["precedence_date"] == d(120)  # 16(2): kept after the exequatur
    assert entries["G-Australia"]["tie_break"] == entries["F-Japan"]["tie_break"] == "sending-state-name"
    assert entries["A-France"]["tie_break"] is None
    assert [entries[n]["acting"] for n in ("I-Acting-Japan", "H-Acting-France")] == [True, True]
    assert entries["I-Acting-Japan"]["precedence_date"] == d(60)  # 16(4): the date assumed
    assert [e["rank"] for e in listing["entries"]] == list(range(1, len(ORDER) + 1))


async def test_a_past_date_and_an_ended_head(corps):
    await corps.sending["FRA"].act("members", corps.consul["id"], "notify-termination", {"effective_date": d(5)})
    assert "E-France" not in names(await corps.listing())
    before = await corps.listing(on=d(10))
    assert names(before) == ORDER  # as the list stood ten days ago, from the register
    long_ago = await corps.listing(on=d(115))
    assert names(long_ago) == ["B-Japan", "D-United-States", "E-France"]


async def test_acting_head_ends_when_a_new_head_is_admitted(corps):
    fra = corps.sending["FRA"]
    head = await fra.post(f"/v1/posts/{corps.vice['id']}/members", {
        "role": "head", "category": "career", "class": "vice-consul",
        "person": {"full_name": "K-France", "nationalities": ["FRA"]}}, expect=201)
    await fra.act("members", head["id"], "present-instrument")
    await corps.fji.act("members", head["id"], "grant-exequatur")
    for _ in range(100):  # the post hears of the admission by a durable signal (15(1))
        post = await fra.get(f"/v1/posts/{corps.vice['id']}")
        if post["acting_head"] is None:
            break
        await asyncio.sleep(0.1)
    assert post["acting_head"] is None
    assert post["past_acting_heads"][-1]["end_basis"] == "VCCR 15(1): a new head was admitted"
    assert post["acts"][-1]["act"] == "head-admitted" and post["acts"][-1]["article"] == "VCCR 15(1)"
    now = names(await corps.listing())
    assert "H-Acting-France" not in now and now.index("K-France") == now.index("I-Acting-Japan") - 1


async def test_csv_and_printable_list_rendered_in_chromium(corps, http, tmp_path):
    response = await http.get("/v1/precedence/FJI", headers={**corps.fji.headers, "Accept": "text/csv"},
                              params={"on": d(10)})
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["full_name"] for r in rows] == ORDER and rows[0]["class"] == "consul-general"

    response = await http.get("/v1/precedence/FJI", headers={**corps.fji.headers, "Accept": "text/html"},
                              params={"on": d(10)})
    assert response.headers["content-type"].startswith("text/html")
    page = tmp_path / "consular-list.html"
    page.write_text(response.text)
    artifacts = Path(__file__).parent / "artifacts"
    artifacts.mkdir(exist_ok=True)
    chromium = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([*chromium, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=60)
    rendered = [line.split("<td class=\"name\">")[1].split("<")[0]
                for line in dom.stdout.replace("<tr", "\n<tr").splitlines() if "class=\"name\"" in line]
    assert rendered == ORDER
    assert "Dean of the consular corps: <strong>B-Japan</strong>" in dom.stdout
    assert "Acting heads of post (Art. 16(4))" in dom.stdout and "changes with every" in dom.stdout
    shot = artifacts / "consular-list.png"
    subprocess.run([*chromium, f"--screenshot={shot}", "--window-size=1200,1400", page.as_uri()],
                   capture_output=True, timeout=60, check=True)
    assert shot.stat().st_size > 10_000


async def test_acting_head_consent_privileges_and_resumption(corps):
    """15(2): consent awaited for an acting head who is neither diplomat nor consular officer;
    15(4): RS may object to diplomatic privileges; 15(1): the period ends when the head resumes."""
    aus = corps.sending["AUS"]
    post = await corps.post("AUS", "Rakiraki", "vice-consulate")
    post = await aus.act("posts", post["id"], "designate-acting-head", {
        "person": {"full_name": "L-Acting-Australia", "nationalities": ["AUS"]}, "from": TODAY.isoformat(),
        "notified_by": "head-of-post"})
    assert post["acting_head"]["consent_required"] is True and post["acting_head"]["late_notice"] is False
    assert "L-Acting-Australia" not in names(await corps.listing())  # not admitted before consent
    await aus.act("posts", post["id"], "consent-acting-head", expect=403)
    post = await corps.fji.act("posts", post["id"], "consent-acting-head")
    assert "L-Acting-Australia" in names(await corps.listing())
    refused = await corps.fji.act("posts", post["id"], "object-to-diplomatic-privileges", expect=409)
    assert refused["article"] == "VCCR 15(4)"  # not a diplomat: nothing to object to
    post = await aus.act("posts", post["id"], "end-acting-head")
    assert post["acting_head"] is None and post["past_acting_heads"][-1]["end_basis"] == "VCCR 15(1): the head resumed"
    assert "L-Acting-Australia" not in names(await corps.listing())


async def test_diplomatic_acts_and_joint_appointment(corps):
    """17(1): only where SS has no diplomatic mission; 17(2) recorded; 18: consent before duties."""
    jpn, fra = corps.sending["JPN"], corps.sending["FRA"]
    listing = await corps.listing()
    japan_head = next(e for e in listing["entries"] if e["full_name"] == "B-Japan")
    refused = await fra.act("members", corps.fra_head["id"], "authorize-diplomatic-acts", expect=409)
    assert refused["article"] == "VCCR 17(1)"  # France keeps an embassy in Fiji
    await jpn.act("members", japan_head["member_id"], "authorize-diplomatic-acts")
    member = await corps.fji.act("members", japan_head["member_id"], "consent-diplomatic-acts")
    assert member["diplomatic_acts"] == "consented"
    listing = await corps.listing()
    assert next(e for e in listing["entries"] if e["full_name"] == "B-Japan")["diplomatic_acts"] is True
    member = await jpn.act("members", japan_head["member_id"], "notify-igo-representation",
                           {"organization": "Pacific Islands Forum"})
    assert member["igo_representation"][0]["organization"] == "Pacific Islands Forum"

    post = await corps.post("AUS", "Levuka", "consulate")
    joint = await corps.sending["AUS"].post(f"/v1/posts/{post['id']}/members", {
        "role": "officer", "category": "career", "class": "vice-consul", "appointed_also_by": ["NZL"],
        "person": {"full_name": "M-Joint", "nationalities": ["AUS"]}}, expect=201)
    refused = await corps.sending["AUS"].act("members", joint["id"], "enter-duties", expect=409)
    assert refused["article"] == "VCCR 18"
    await corps.fji.act("members", joint["id"], "consent-joint-appointment")
    member = await corps.sending["AUS"].act("members", joint["id"], "enter-duties")
    assert member["state"] == "admitted" and member["joint_appointment_consented_on"]


def test_the_collector_resumes_only_when_the_last_list_is_built():
    """register/precedence.py `collection_paused`: two lists built at once in the API's threads; the cyclic
    collector resumes when the second ends, and stays off if it was off before."""
    import gc
    import threading

    from exequatur.register.precedence import collection_paused

    assert gc.isenabled()
    inside, release = threading.Event(), threading.Event()

    def other_request() -> None:
        with collection_paused():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other_request)
    with collection_paused():
        thread.start()
        inside.wait(5)
        assert not gc.isenabled()
    assert not gc.isenabled()  # the other list is still being built
    release.set()
    thread.join(5)
    assert gc.isenabled()

    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()  # as it was
    finally:
        gc.enable()
