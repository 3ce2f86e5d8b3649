"""The law the service executes, by article and paragraph: read from the lifecycle declarations
(kinds.py), never listed by hand. Each act cites the article that gives it to its party, each
rule the article that imposes it, each notice the article that requires it. `GET /v1/articles`
serves this; docs/articles.md (docs/articles.py) adds, for each paragraph, the tests that name it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from exequatur.models.kinds import LIFECYCLES


@dataclass(frozen=True)
class Citation:
    """One place a declaration cites a paragraph: an act, a rule of an act, or a notice."""

    paragraph: str  # one paragraph: "VCCR 12(3)", "Samoa Act s.16", "UNGA res. 61/31 para. 11(d)"
    lifecycle: str
    act: str
    rule: str | None = None  # the rule's name; None for the act itself or its notice
    kind: Literal["act", "rule", "notice"] = "act"


def paragraphs(citation: str) -> list[str]:
    """A declared citation split into paragraphs, each with its instrument:
    "VCCR 4(1), 27(2)" -> ["VCCR 4(1)", "VCCR 27(2)"]; "VCCR 72(2)(a); Samoa Act s.16" -> two."""
    found = []
    for part in citation.split(";"):
        part = part.strip()
        match = re.match(r"^(VCCR|UNGA res\. [\d/]+ para\.|Samoa Act)\s+(.*)$", part)
        if not match:
            found.append(part)
            continue
        instrument, numbers = match.groups()
        found += [f"{instrument} {number.strip()}" for number in numbers.split(",") if number.strip()]
    return found


def citations() -> list[Citation]:
    found: list[Citation] = []
    for lifecycle in LIFECYCLES:
        for act in lifecycle.acts:
            found += [Citation(p, lifecycle.name, act.name) for p in paragraphs(act.article)]
            rules = {rule.name: rule for route in act.routes for rule in route.when}
            for rule in rules.values():
                found += [Citation(p, lifecycle.name, act.name, rule.name, "rule") for p in paragraphs(rule.article)]
        if lifecycle.notify is not None:
            party, _recipient, article = lifecycle.notify
            for act in lifecycle.acts:
                if act.party == party and not act.automatic:
                    found += [Citation(p, lifecycle.name, act.name, None, "notice") for p in paragraphs(article)]
    return found


def _order(paragraph: str) -> tuple[str, list[int | str]]:
    instrument, _, number = paragraph.rpartition(" ")
    return instrument, [int(x) if x.isdigit() else x for x in re.findall(r"\d+|[a-z]+", number)]


def by_paragraph() -> dict[str, list[Citation]]:
    """Every paragraph cited, in the instrument's order, with what cites it."""
    grouped: dict[str, list[Citation]] = {}
    for citation in citations():
        grouped.setdefault(citation.paragraph, []).append(citation)
    return {p: grouped[p] for p in sorted(grouped, key=_order)}


def names(source: str, paragraph: str) -> bool:
    """Whether a text names a paragraph: "VCCR 12(3)", "Art. 12(3)", a list such as
    "VCCR 13, 14, 24(1)(a)" or "Arts. 13-14", or "12(3)" alone (a number with its paragraph is
    not mistaken); the resolution's and the Act's paragraphs by their own numbers."""
    instrument, _, number = paragraph.rpartition(" ")
    exact = re.escape(number)
    end = r"(?![\w(])"
    if instrument != "VCCR":
        return re.search(rf"(?<![\w.]){exact}{end}", source) is not None
    if "(" in number and re.search(rf"(?<![\w.(/]){exact}{end}", source):
        return True
    listed = rf"(?:VCCR|Arts?\.)\s+(?:[\w()]+(?:,\s*|\s+and\s+|-))*{exact}{end}"
    return re.search(listed, source) is not None
