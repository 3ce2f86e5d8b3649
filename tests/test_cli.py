"""The operators' commands as real processes (`python -m exequatur.cli ...`, which ends with os._exit) against
the suite's dev server, worker and register: import, precedence, show, certificate."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from exequatur.onboarding import COLUMNS, example_corps, import_corps
from exequatur.register import queries
from exequatur.register.db import engine_for
from exequatur.register.schema import acts, records
from tests.helpers import Ministry

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "consular-corps.csv"
MEMBER_DATES = ("commission_presented_on", "provisionally_admitted_on", "exequatur_on", "nationality_consent_on",
                "arrived_on", "entered_duties_on")


class Run:
    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture(scope="module")
def cli(env, worker, settings):  # type: ignore[no-untyped-def]
    """Run `python -m exequatur.cli ARGS` against the test stack. A subprocess on the event loop, so the
    worker in this process keeps serving the acts the command sends."""
    variables = {**os.environ, "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
                 "CONSULAR_WORKER_METRICS_ADDRESS": "", "COLUMNS": "200"}
    variables.pop("CONSULAR_CODEC_KEYS", None)

    async def run(*args: str) -> Run:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "exequatur.cli", *args, cwd=ROOT, env=variables,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(process.communicate(), timeout=120)
        return Run(process.returncode or 0, out.decode(), err.decode())

    run.target = variables["TEMPORAL_ADDRESS"]  # type: ignore[attr-defined]
    return run


def imported_acts(settings, principal: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Acts per record that the import performed (the service's own acts, e.g. Art. 14, excluded)."""
    engine = engine_for(settings.effective_database_url)
    with engine.connect() as conn:
        rows = conn.execute(select(acts.c.record_id, func.count()).where(acts.c.principal == principal)
                            .group_by(acts.c.record_id))
        return {record_id: count for record_id, count in rows}


def expected_acts(path: Path) -> int:
    """What the file asks for: a post is requested (and consented to); a member is appointed and each
    dated column is one act; consular relations not in the register yet are established once."""
    total = 0
    for row in csv.DictReader(path.open()):
        if row["record"] == "post":
            total += 1 + bool(row["consented_on"])
        elif row["record"] == "household":  # notified, then each dated act (24(1)(b)-(c))
            total += 1 + sum(bool(row[c]) for c in ("arrived_on", "left_on", "discharged_on", "departed_on"))
        else:
            total += 1 + sum(bool(row[c]) for c in MEMBER_DATES)
    return total


@pytest.fixture(scope="module")
async def example(cli, settings):  # type: ignore[no-untyped-def]
    """The example corps imported once; its report by row."""
    run = await cli("import", str(EXAMPLE), "--json")
    assert run.code == 0, run.err + run.out
    report = run.json()
    return {"report": report, "ids": {r["row"]: r["record_id"] for r in report["rows"]}}


async def test_import_of_the_example_twice_changes_nothing(cli, settings, example):
    report = example["report"]
    rows = list(csv.DictReader(EXAMPLE.open()))
    assert [r["row"] for r in report["rows"]] == list(range(2, len(rows) + 2))
    assert [r["status"] for r in report["rows"]] == ["imported"] * len(rows), report
    principal = "import:consular-corps.csv"
    before = imported_acts(settings, principal)
    ids = {r["record_id"] for r in report["rows"]}
    relations = set(before) - ids  # the pairs the import established (Art. 2(1)), if any were missing
    assert relations == set(report["relations_established"])
    assert sum(before[i] for i in ids) == expected_acts(EXAMPLE)
    assert report["acts_sent"] == sum(before.values())

    again = await cli("import", str(EXAMPLE))
    assert again.code == 0, again.err + again.out
    assert f"{len(rows)} rows: 0 imported, {len(rows)} already in the register, 0 failed" in again.out
    assert "0 acts sent" in again.out
    assert imported_acts(settings, principal) == before  # not one act more, on any record
    engine = engine_for(settings.effective_database_url)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(records).where(records.c.id.in_(ids))).scalar() == len(ids)


async def test_bad_rows_are_reported_and_the_others_imported(cli, settings, tmp_path):
    good = {"record": "post", "post": "KIR-APIA", "sending_state": "KIR", "receiving_state": "WSM", "seat": "Apia",
            "classification": "consulate", "district": "Upolu", "headed_by": "career", "requested_on": "2020-01-06",
            "consented_on": "2020-02-03", "ss_diplomatic_mission": "no"}
    head = {"record": "member", "post": "KIR-APIA", "role": "head", "category": "career", "class": "consul",
            "nationalities": "KIR", "appointed_on": "2021-03-01", "commission_presented_on": "2021-03-08"}
    rows = [
        good,  # row 2
        {**head, "full_name": "Teiti Aram", "exequatur_on": "2021-04-12", "arrived_on": "2021-04-20",
         "entered_duties_on": "2021-04-21"},  # 3
        # 4: duties before any admission: refused under VCCR 12(3), nothing recorded.
        {**head, "full_name": "Tebwai Early", "entered_duties_on": "2021-03-10", "exequatur_on": "2021-04-12"},
        {**head, "full_name": "Bad Class", "class": "consul-major"},  # 5: a field
        {**good, "post": "KIR-BETIO", "classification": "embassy"},  # 6: a field of a post
        {**head, "post": "KIR-BETIO", "full_name": "Skipped Head"},  # 7: its post failed
        {"record": "member", "post": "KIR-APIA", "role": "officer", "category": "career", "class": "vice-consul", "full_name": "Ioane Officer",
         "nationalities": "KIR", "appointed_on": "2021-05-03", "arrived_on": "2021-05-10",
         "entered_duties_on": "2021-05-11"},  # 8
        {"record": "household", "post": "KIR-APIA", "member": "Teiti Aram", "kind": "family", "relationship": "child",
         "full_name": "Kaiea Aram", "nationalities": "KIR", "joined_on": "2021-03-01", "arrived_on": "2021-04-20"},  # 9
        {"record": "household", "post": "KIR-APIA", "member": "Nobody", "kind": "family",
         "full_name": "Lost Person", "nationalities": "KIR", "joined_on": "2021-03-01"},  # 10: no such member
        {"record": "household", "post": "KIR-APIA", "member": "Teiti Aram", "kind": "private-staff",
         "relationship": "spouse", "full_name": "Wrong Kind", "nationalities": "KIR", "joined_on": "2021-03-01"},  # 11
    ]
    path = tmp_path / "corps-with-errors.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)

    run = await cli("import", str(path))
    assert run.code == 1, run.err + run.out
    assert "10 rows: 4 imported" in run.out and "5 failed" in run.out and "1 skipped" in run.out
    for shown in ("VCCR 12(3)", "entered_duties_on", "classification", "consul-major", "row 6"):
        assert shown in run.out, run.out

    rerun = await cli("import", str(path), "--json")  # after a "fix" elsewhere: the good rows are done
    assert rerun.code == 1
    report = {r["row"]: r for r in rerun.json()["rows"]}
    assert {n: r["status"] for n, r in report.items()} == {
        2: "unchanged", 3: "unchanged", 4: "failed", 5: "failed", 6: "failed", 7: "skipped", 8: "unchanged",
        9: "unchanged", 10: "failed", 11: "failed"}
    assert report[9]["record_id"].startswith("H-")  # the household of a member imported with it
    assert report[10]["problem"]["column"] == "member"
    assert report[11]["problem"]["column"] == "relationship"
    assert report[4]["problem"]["article"] == "VCCR 12(3)" and report[4]["problem"]["column"] == "entered_duties_on"
    assert report[4]["problem"]["act"] == "enter-duties"
    assert report[5]["problem"]["column"] == "class"
    assert report[6]["problem"]["column"] == "classification"
    assert "row 6" in report[7]["problem"]["detail"]
    engine = engine_for(settings.effective_database_url)
    assert queries.get_record(engine, report[4]["record_id"]) is None and queries.acts_of(engine, report[4]["record_id"]) == []
    head_acts = [a["act"] for a in queries.acts_of(engine, report[3]["record_id"])
                 if a["principal"] == "import:corps-with-errors.csv"]  # the Art. 14 act is the service's
    assert head_acts == ["appoint", "present-instrument", "grant-exequatur", "notify-arrival", "enter-duties"]
    assert queries.get_record(engine, report[8]["record_id"])["state"] == "admitted"


async def test_precedence_lists_the_imported_heads_as_the_api_does(cli, http, example):
    listing = await Ministry(http, "tok-wsm").get("/v1/precedence/WSM")
    run = await cli("precedence", "WSM", "--format", "csv")
    assert run.code == 0, run.err
    from_cli = [row["member_id"] for row in csv.DictReader(run.out.splitlines())]
    assert from_cli == [e["member_id"] or "" for e in listing["entries"]]  # an acting head has no member id
    heads = {example["ids"][n]: n for n in (3, 7, 11, 13, 15)}  # the file's heads, by row
    ranked = [heads[m] for m in from_cli if m in heads]
    # 16(1) by class, 16(5) career before honorary, 16(1)-(2) by date: CG; consuls JPN, NZL; the
    # honorary consul though admitted first; the consular agent.
    assert ranked == [3, 11, 7, 15, 13]

    table = await cli("precedence", "WSM", "--on", "2023-01-01")
    assert table.code == 0, table.err
    assert "Kenji Watanabe" in table.out and "Margaret Ellison" not in table.out  # admitted 2023-02-08
    # The dean is the API's, by usage the first head listed on that date (other tests' heads in
    # Samoa may precede the file's); among the file's, the career consul before the honorary one (16(5)).
    on_date = await Ministry(http, "tok-wsm").get("/v1/precedence/WSM", on="2023-01-01")
    assert f"({on_date['dean']})" in table.out.split("Dean of the consular corps:")[1]
    listed = [e["member_id"] for e in on_date["entries"]]
    assert listed.index(example["ids"][11]) < listed.index(example["ids"][15])
    html = await cli("precedence", "WSM", "--format", "html")
    assert html.out.startswith("<!doctype html>") and "Consular list of Samoa" in html.out
    bad = await cli("precedence", "XXX")
    assert bad.code == 2 and "alpha-3" in bad.err


async def test_show_a_post_and_a_member(cli, example):
    post_id, head_id = example["ids"][2], example["ids"][3]
    run = await cli("show", "post", post_id)
    assert run.code == 0, run.err
    for shown in ("consulate-general at Apia", "open", "Australia (AUS)", "Samoa (WSM)", "VCCR 4(1)",
                  "Margaret Ellison", "Daniel Ng", "import:consular-corps.csv", "request-change"):
        assert shown in run.out, run.out

    view = (await cli("show", "member", head_id, "--json")).json()
    assert view["state"] == "admitted" and view["parties"] == {"SS": "AUS", "RS": "WSM"}
    imported = [(a["effective_date"], a["act"], a["article"]) for a in view["acts"]
                if a["principal"] == "import:consular-corps.csv"]
    assert imported == [("2023-01-09", "appoint", "VCCR 10(1), 19(1)"), ("2023-02-01", "present-instrument", "VCCR 11(2)"),
                        ("2023-02-08", "admit-provisionally", "VCCR 13"), ("2023-02-10", "notify-arrival", "VCCR 24(1)(a)"),
                        ("2023-02-13", "enter-duties", "VCCR 12(3)"), ("2023-03-20", "grant-exequatur", "VCCR 12(1)")]
    assert view["dates"]["precedence_date"] == "2023-02-08"  # 16(2)
    assert {"act": "notify-termination", "article": "VCCR 25(a)"} in view["allowed_acts"]["SS"]
    assert {"act": "declare-non-grata", "article": "VCCR 23(1)"} in view["allowed_acts"]["RS"]
    text = await cli("show", "member", head_id)
    assert "Next acts of the receiving State" in text.out and "declare-non-grata (VCCR 23(1))" in text.out
    missing = await cli("show", "member", "M-NOSUCH")
    assert missing.code == 1 and "no member" in missing.err


async def test_certificate_states_its_basis(cli, example, tmp_path):
    head_id = example["ids"][3]
    page = tmp_path / "certificate.html"
    run = await cli("certificate", head_id, "--on", "2023-03-01", "--out", str(page))
    assert run.code == 0, run.err
    html = page.read_text()
    assert "data-privileges='true'" in html and "<strong>enjoyed</strong>" in html
    assert "by the act <em>notify-arrival</em> (VCCR 53(1))" in html and "10 February 2023" in html
    for act, article in (("appoint", "VCCR 10(1), 19(1)"), ("admit-provisionally", "VCCR 13"),
                         ("notify-arrival", "VCCR 24(1)(a)")):
        assert f"<td>{act}</td><td>{article}</td>" in html
    assert "grant-exequatur" not in html  # 2023-03-20: after the date the certificate speaks of
    assert "@media print" in html and "VCCR 53(4)" in html

    before = await cli("certificate", head_id, "--on", "2023-02-09")
    assert "data-privileges='false'" in before.out and "No act recorded up to that date began privileges" in before.out

    if shutil.which("chromium"):  # the page as a browser lays it out
        process = await asyncio.create_subprocess_exec(
            "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri(),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
        dom, _ = await asyncio.wait_for(process.communicate(), timeout=60)
        assert "Certificate of status" in dom.decode() and "basis of the finding" in dom.decode()


async def test_generated_corps_imports_in_parallel_and_once(env, worker, settings):
    """The benchmark's generator through the function it calls: every row imported, then nothing."""
    rows = example_corps(8, 3, receiving_state="TUV", tag="cli-test")
    seen: list[int] = []
    report = await import_corps(env.client, settings, rows, concurrency=4, progress=lambda r: seen.append(r.row))
    assert report.counts == {"imported": 32, "unchanged": 0, "failed": 0, "skipped": 0}, report.rows
    assert sorted(seen) == list(range(2, 34))
    again = await import_corps(env.client, settings, rows, concurrency=4)
    assert again.counts["unchanged"] == 32 and again.acts_sent == 0


async def test_import_killed_midway_then_run_again_records_each_act_once(cli, settings, tmp_path):
    """SIGKILL the import while acts are in flight; the re-run sends what is missing under the same
    update ids, so no act is recorded twice and none is missing."""
    from exequatur.onboarding import write_csv

    path = tmp_path / "crash.csv"
    write_csv(example_corps(12, 3, receiving_state="NRU", tag="crash"), path)
    variables = {**os.environ, "TEMPORAL_ADDRESS": cli.target}
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "exequatur.cli", "import", str(path), cwd=ROOT,
                                                   env=variables, stdout=asyncio.subprocess.DEVNULL,
                                                   stderr=asyncio.subprocess.DEVNULL)
    for _ in range(300):
        if sum(imported_acts(settings, "import:crash.csv").values()) >= 20:
            break
        await asyncio.sleep(0.05)
    process.kill()
    await process.wait()
    partial = sum(imported_acts(settings, "import:crash.csv").values())
    assert 20 <= partial < expected_acts(path)  # killed midway, really

    run = await cli("import", str(path), "--json")
    assert run.code == 0, run.err + run.out
    report = run.json()
    assert {r["status"] for r in report["rows"]} <= {"imported", "unchanged"}
    recorded = imported_acts(settings, "import:crash.csv")
    pairs = {r for r in recorded if r.endswith("-NRU") or r.startswith("NRU-")}
    assert sum(count for record, count in recorded.items() if record not in pairs) == expected_acts(path)
    assert len(pairs) == 12 and all(recorded[pair] == 1 for pair in pairs)  # Art. 2(1), once per pair
