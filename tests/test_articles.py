"""The law's coverage, published: every paragraph an act, a rule or a notice cites is named by
a test (VCCR and the Samoa Act and UNGA res. 61/31 alike); docs/articles.md is current; the API
serves the same map at GET /v1/articles."""

from __future__ import annotations

import runpy
from pathlib import Path

from exequatur.models.articles import Citation, by_paragraph, names, paragraphs

DOCS = Path(__file__).resolve().parent.parent / "docs"
GENERATOR = runpy.run_path(str(DOCS / "articles.py"))


def test_every_act_rule_and_notice_cites_a_paragraph_some_test_names():
    missing = {p: [f"{c.lifecycle}:{c.act}:{c.rule or c.kind}" for c in cited]
               for p, (cited, tests) in GENERATOR["coverage"]().items() if not tests}
    assert not missing, f"no test names these paragraphs: {missing}"


def test_docs_articles_md_is_current():
    assert (DOCS / "articles.md").read_text() == GENERATOR["rendered"](), "run `make docs`"


def test_a_paragraph_no_test_names_is_reported(monkeypatch):
    """The check above can fail: a citation of a paragraph no test names shows as missing."""
    nowhere = "VCCR {}({})(z)".format(99, 9)  # built, so that this test's own text does not name it
    invented = Citation(nowhere, "member", "appoint")
    monkeypatch.setitem(GENERATOR["coverage"].__globals__, "by_paragraph",
                        lambda: {**by_paragraph(), nowhere: [invented]})
    assert GENERATOR["coverage"]()[nowhere] == ([invented], [])
    assert f"| {nowhere} | `member`: act `appoint` | **none** |" in GENERATOR["rendered"]()


def test_citations_split_into_paragraphs_and_are_recognised_as_written():
    assert paragraphs("VCCR 4(1), 27(2)") == ["VCCR 4(1)", "VCCR 27(2)"]
    assert paragraphs("VCCR 72(2)(a); Samoa Act s.16") == ["VCCR 72(2)(a)", "Samoa Act s.16"]
    assert names('"""VCCR 13, 14, 24(1)(a)."""', "VCCR 14") and names("Arts. 12(3)", "VCCR 12(3)")
    assert names("(Art. 2)", "VCCR 2") and not names("VCCR 2(1)", "VCCR 2")
    assert not names("VCCR 27(1)(b)", "VCCR 27(1)") and not names("page 14 of 20", "VCCR 14")


async def test_the_api_serves_each_paragraph_with_what_cites_it(http):
    served = (await http.get("/v1/articles")).json()
    assert [p["paragraph"] for p in served] == list(by_paragraph())
    [twelve_three] = [p for p in served if p["paragraph"] == "VCCR 12(3)"]
    assert {(c["lifecycle"], c["kind"]) for c in twelve_three["cited_by"]} <= {("member", "act"), ("member", "rule")}
    assert twelve_three["cited_by"]
