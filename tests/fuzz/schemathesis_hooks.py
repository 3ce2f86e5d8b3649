"""Schemathesis hooks for tests/test_schemathesis.py (loaded through SCHEMATHESIS_HOOKS).

Half the generated requests name real records (a relation, a post, a member of the fuzzing
pair), so the fuzzing reaches body validation and the law, not only 404s; requests alternate
between the sending and the receiving State, through schemathesis' auth provider (so that its
own checks of missing and wrong credentials still send theirs). State codes are drawn from ISO
3166-1, the format the document names. Every refused request must be problem+json that names
the field or the article, and must record nothing in the register."""

from __future__ import annotations

import itertools
import json
import os
import sqlite3

import pycountry
import schemathesis
from hypothesis import strategies as st

IDS: dict[str, str] = json.loads(os.environ["EXEQUATUR_FUZZ_IDS"])
TOKENS: list[str] = json.loads(os.environ["EXEQUATUR_FUZZ_TOKENS"])
PRINCIPALS: list[str] = json.loads(os.environ["EXEQUATUR_FUZZ_PRINCIPALS"])
REGISTER = os.environ["CONSULAR_DATABASE_URL"].removeprefix("sqlite:///")
_turn = itertools.count()
_before: dict[int, int] = {}


def _acts_by_fuzzers() -> int:
    with sqlite3.connect(REGISTER, timeout=30) as db:
        marks = ",".join("?" * len(PRINCIPALS))
        return int(db.execute(f"SELECT count(*) FROM acts WHERE principal IN ({marks})", PRINCIPALS).fetchone()[0])


@schemathesis.hook
def map_path_parameters(context, path_parameters):  # type: ignore[no-untyped-def]
    if not path_parameters or next(_turn) % 2:
        return path_parameters  # as generated: strangers' ids must get 404
    kind = context.operation.path.split("/")[2]
    if "record_id" in path_parameters and kind in IDS:
        path_parameters["record_id"] = IDS[kind]
    if "post_id" in path_parameters:
        path_parameters["post_id"] = IDS["posts"]
    for name in ("receiving_state", "state"):
        if name in path_parameters:
            path_parameters[name] = IDS["receiving_state"]
    return path_parameters


schemathesis.openapi.format("iso3166-alpha3", st.sampled_from(sorted(c.alpha_3 for c in pycountry.countries)))


@schemathesis.auth(refresh_interval=None)
class Ministries:
    """A ministry's token per request, in turn: the sending State's, then the receiving State's."""

    def get(self, case, ctx):  # type: ignore[no-untyped-def]
        return TOKENS[next(_turn) % len(TOKENS)]

    def set(self, case, token, ctx):  # type: ignore[no-untyped-def]
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}


@schemathesis.hook
def before_call(context, case, **kwargs):  # type: ignore[no-untyped-def]
    _before[id(case)] = _acts_by_fuzzers()


@schemathesis.check
def refusals_are_problems_that_record_nothing(ctx, response, case):  # type: ignore[no-untyped-def]
    status = response.status_code
    if status < 400:
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    assert content_type.startswith("application/problem+json"), f"{status} answered as {content_type!r}"
    body = response.json()
    assert body["status"] == status and body.get("detail"), body
    if status == 422:
        assert body.get("errors") and all(e.get("field") for e in body["errors"]), f"422 without fields: {body}"
    if status == 409:  # a rule of the law (its article), or input that conflicts with the record (its field)
        assert str(body.get("article", "")).startswith("VCCR") or (
            body.get("errors") and all(e.get("field") for e in body["errors"])
        ), f"409 without its article or field: {body}"
    recorded = _acts_by_fuzzers() - _before.pop(id(case), 0)
    assert recorded == 0, f"a refused request ({status}) recorded {recorded} act(s)"
    return None
