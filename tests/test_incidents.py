"""Violations of the protection of consular posts reported under UNGA resolution 61/31, through
the HTTP API: the report to the Secretary-General and its circulation (paras. 10(a), 11(b)), the
follow-ups (10(b)), the durable reminders (11(d)) and the summary of a period (13(b))."""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from tests.helpers import Ministry, days_ago, establish
from tests.test_api_scenarios import outbox, wait_for
from tests.test_convention_edges import open_post, person, serving

async def as_list(found: list) -> list:  # type: ignore[type-arg]
    return found


async def delivered(record_id: str, *recipients: str) -> dict:  # type: ignore[type-arg]
    """The record's notices by recipient, once the relay has delivered those named."""
    async def sent() -> dict:  # type: ignore[type-arg]
        return {n["recipient"]: n for n in outbox(record_id).values()}

    return await wait_for(lambda found: set(recipients) <= set(found), sent)  # type: ignore[no-any-return]


REPORT = {"kind": "attack-on-premises", "summary": "The consulate's gate was rammed at night."}


async def attacked_post(http) -> tuple[Ministry, Ministry, dict, str]:  # type: ignore[no-untyped-def]
    """A consulate of Georgia in Armenia, and its head's deputy, in functions."""
    geo, arm = Ministry(http, "tok-geo"), Ministry(http, "tok-arm")
    post = await open_post(geo, arm, "GEO", "ARM")
    officer = await serving(geo, arm, post, "officer", person("Nino Beridze", "GEO"), **{"class": "consul"})
    return geo, arm, post, officer


async def test_an_attack_is_reported_circulated_followed_up_and_concluded(http, tmp_path):
    """10(a): the report goes to the Secretary-General at once and (11(b)) to every State the
    service knows; 10(b): the State where it occurred reports measures, prevention and outcome, a
    State where the offender is present its own; the outcome concludes it."""
    geo, arm, post, officer = await attacked_post(http)
    aze = Ministry(http, "tok-aze")
    await establish(aze, arm, "ARM", effective_date=days_ago(400))  # a third State the service knows
    incident = await geo.post("/v1/incidents", {**REPORT, "occurred_in": "ARM", "occurred_on": days_ago(2),
                                                "post_id": post["id"], "member_ids": [officer]}, expect=201)
    assert (incident["state"], incident["reporting_state"], incident["concerned_states"]) == ("reported", "GEO", ["GEO"])
    assert incident["next_reminder"] and incident["id"].startswith("INC-")
    sent = await delivered(incident["id"], "un-secretary-general", "state:ARM", "state:AZE")
    assert sent["un-secretary-general"]["article"] == "UNGA res. 61/31 para. 10(a)"
    assert {"state:ARM", "state:AZE"} <= set(sent) and "state:GEO" not in sent  # circulated (11(b))

    assert [i["id"] for i in await geo.get(f"/v1/posts/{post['id']}/incidents")] == [incident["id"]]
    assert [i["id"] for i in await arm.get(f"/v1/members/{officer}/incidents")] == [incident["id"]]
    refused = await geo.act("incidents", incident["id"], "report-measures", {"summary": "x"}, expect=403)
    assert refused["article"] == "UNGA res. 61/31 para. 10(b)"  # the State where it occurred reports them
    incident = await arm.act("incidents", incident["id"], "report-measures", {"summary": "Two arrested."})
    assert incident["state"] == "measures-reported" and incident["reports"][0]["by"] == "ARM"
    await aze.act("incidents", incident["id"], "report-offender-state", {"summary": "A suspect is held here."})
    await arm.act("incidents", incident["id"], "report-prevention", {"summary": "A guard post."})
    incident = await arm.act("incidents", incident["id"], "report-outcome", {"summary": "Convicted."})
    assert (incident["state"], incident["next_reminder"]) == ("concluded", None)
    assert [r["act"] for r in incident["reports"]] == [
        "report-measures", "report-offender-state", "report-prevention", "report-outcome"]
    late = await arm.act("incidents", incident["id"], "report-prevention", {"summary": "More."}, expect=409)
    assert late["article"] == "UNGA res. 61/31 para. 10(b)"

    # 13(b): the summary of a period, for a reader, as JSON, CSV and a page.
    summary = await arm.get("/v1/incidents/summary", **{"from": days_ago(10), "to": days_ago(0)})
    latvia = next(s for s in summary["states"] if s["occurred_in"] == "ARM")
    assert incident["id"] in [i["id"] for i in latvia["incidents"]] and latvia["concluded"] >= 1
    as_csv = await http.get("/v1/incidents/summary", headers={**arm.headers, "Accept": "text/csv"})
    assert as_csv.headers["content-type"].startswith("text/csv") and incident["id"] in as_csv.text
    page = await http.get("/v1/incidents/summary", headers={**arm.headers, "Accept": "text/html"})
    assert "Armenia" in page.text and incident["id"] in page.text
    if shutil.which("chromium"):  # the page as a browser lays it out
        saved = tmp_path / "summary.html"
        saved.write_text(page.text)
        dom = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                              "--disable-background-networking", f"--user-data-dir={tmp_path / 'profile'}",
                              "--dump-dom", saved.as_uri()], capture_output=True, text=True, timeout=60)
        assert "Reports of violations received" in dom.stdout and incident["id"] in dom.stdout


async def test_who_may_read_and_what_is_refused(http):
    """A report not circulated is read by its States only; a post the reporter cannot see is 404;
    a date in the future is 409 (ruled out by the day), no summary 422; nothing recorded."""
    geo, arm, post, officer = await attacked_post(http)
    aze, nzl = Ministry(http, "tok-aze"), Ministry(http, "tok-nzl")
    quiet = await geo.post("/v1/incidents", {**REPORT, "occurred_in": "ARM", "occurred_on": days_ago(1),
                                             "circulate": False}, expect=201)
    await delivered(quiet["id"], "un-secretary-general")
    assert not [n for n in outbox(quiet["id"]).values() if n["recipient"].startswith("state:")]
    await aze.get(f"/v1/incidents/{quiet['id']}", expect=404)
    await arm.get(f"/v1/incidents/{quiet['id']}")
    await nzl.post("/v1/incidents", {**REPORT, "occurred_in": "ARM", "occurred_on": days_ago(1),
                                     "post_id": post["id"]}, expect=404)
    future = await geo.post("/v1/incidents", {**REPORT, "occurred_in": "ARM", "occurred_on": days_ago(-1)}, expect=409)
    assert future["errors"][0]["field"] == "occurred_on"
    missing = await geo.post("/v1/incidents", {"kind": "threat", "occurred_in": "ARM", "occurred_on": days_ago(1)},
                             expect=422)
    assert [e["field"] for e in missing["errors"]] == ["summary"]
    # An empty post id names no post (para. 10(a) reports name the post concerned, if any): 422, not a record.
    unnamed = await geo.post("/v1/incidents", {**REPORT, "occurred_in": "ARM", "occurred_on": days_ago(1),
                                               "post_id": ""}, expect=422)
    assert [e["field"] for e in unnamed["errors"]] == ["post_id"]
    assert all(i["post_id"] != "" for i in await geo.get("/v1/incidents"))
    assert quiet["id"] in [i["id"] for i in await geo.get("/v1/incidents", occurred_in="ARM")]


async def test_two_reminders_then_the_outcome(http, env: WorkflowEnvironment):
    """11(d): while the State where it occurred makes no report it is reminded after its profile's
    follow-up period and every period after; the outcome ends the reminders and the incident."""
    geo, arm, post, officer = await attacked_post(http)
    incident = await geo.post("/v1/incidents", {**REPORT, "occurred_in": "ARM", "occurred_on": days_ago(0)},
                              expect=201)
    handle = env.client.get_workflow_handle(f"incident-{incident['id']}")
    assert await env.fast_forward(handle, timedelta(days=181))  # two periods of 90 days
    reminded = await wait_for(lambda i: i["reminders"] == 2, lambda: arm.get(f"/v1/incidents/{incident['id']}"))
    assert [a["act"] for a in reminded["acts"]][-2:] == ["remind", "remind"]
    reminders = await wait_for(
        lambda found: len(found) == 2,
        lambda: as_list([n for n in outbox(incident["id"]).values() if n["article"] == "UNGA res. 61/31 para. 11(d)"]))
    assert {n["recipient"] for n in reminders} == {"state:ARM"}
    concluded = await arm.act("incidents", incident["id"], "report-outcome", {"summary": "Acquitted."})
    assert (concluded["state"], concluded["next_reminder"]) == ("concluded", None)
