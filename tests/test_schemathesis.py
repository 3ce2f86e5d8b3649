"""Schemathesis against the live OpenAPI document, every operation, with every check it has
(`--checks all`: no 5xx, answers and statuses as documented, schema-valid input accepted and
invalid input refused, credentials enforced, Allow on 405) and its stateful phase, which follows
the document's links from each created record to its acts; beside those, every refusal is
problem+json naming the field or the article, and nothing is recorded by a refused request
(tests/fuzz/schemathesis_hooks.py). Runs as the schemathesis CLI in a subprocess while the
session's API serves from this event loop."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from tests.helpers import Ministry, establish, head

BIN = Path(sys.executable).parent
EXAMPLES = os.environ.get("EXEQUATUR_FUZZ_EXAMPLES", "20")


async def test_every_operation_answers_without_5xx_and_refusals_are_problems(http, api_url, tmp_path):  # type: ignore[no-untyped-def]
    bra, ury = Ministry(http, "tok-bra"), Ministry(http, "tok-ury")
    await establish(bra, ury, "URY", effective_date="2001-01-01")
    post = await bra.post("/v1/posts", {"receiving_state": "URY", "seat": "Montevideo", "classification": "consulate",
                                        "district": "Montevideo", "headed_by": "career", "effective_date": "2001-01-01"},
                          expect=201)
    await ury.act("posts", post["id"], "consent", {"effective_date": "2001-01-02"})
    member = await bra.post(f"/v1/posts/{post['id']}/members", head(person={
        "full_name": "Fuzz Example", "nationalities": ["BRA"]}), expect=201)
    root = str(Path(__file__).parent.parent)
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.fuzz.schemathesis_hooks", "PYTHONPATH": root,
           "EXEQUATUR_FUZZ_IDS": json.dumps({"relations": "BRA-URY", "posts": post["id"], "members": member["id"],
                                             "receiving_state": "URY"}),
           "EXEQUATUR_FUZZ_TOKENS": json.dumps(["tok-bra", "tok-ury"]),
           "EXEQUATUR_FUZZ_PRINCIPALS": json.dumps(["state:BRA", "state:URY"])}
    run = await asyncio.create_subprocess_exec(
        str(BIN / "schemathesis"), "run", f"{api_url}/openapi.json",
        "--checks", os.environ.get("EXEQUATUR_FUZZ_CHECKS", "all,refusals_are_problems_that_record_nothing"),
        "--max-examples", EXAMPLES, "--phases", os.environ.get("EXEQUATUR_FUZZ_PHASES", "examples,coverage,fuzzing,stateful"), "--workers", "1",
        "--seed", "20261125", "--generation-database", "none", "--request-timeout", "60",
        "--no-color", "--report", "junit", "--report-junit-path", str(tmp_path / "junit.xml"),
        env=env, cwd=str(tmp_path), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    output, _ = await asyncio.wait_for(run.communicate(), timeout=600)
    text = output.decode(errors="replace")
    if os.environ.get("EXEQUATUR_FUZZ_OUTPUT"):  # the whole report, for a wide run by hand
        Path(os.environ["EXEQUATUR_FUZZ_OUTPUT"]).write_text(text)
    assert run.returncode == 0, text[text.find("FAILURES"):][:8000] + "\n...\n" + text[-2000:]
    # Every operation of the document was exercised, acts included, and the stateful phase ran.
    document = (await http.get("/openapi.json")).json()
    operations = sum(len(methods) for methods in document["paths"].values())
    junit = (tmp_path / "junit.xml").read_text()
    assert junit.count("<testcase") == operations + 1, (junit.count("<testcase"), operations)
    assert '<testcase name="Stateful tests"' in junit
