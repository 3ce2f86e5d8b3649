"""The law as the service executes it: every lifecycle declaration, served."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from exequatur.models.articles import by_paragraph
from exequatur.models.kinds import LIFECYCLES
from exequatur.models.lifecycle import Lifecycle, mermaid

router = APIRouter()


class Condition(BaseModel):
    name: str
    article: str


class Route(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: list[str] = Field(alias="from", description="the states the act may be performed in")
    to: str | None = Field(description="the state it leaves the record in; null: it stays where it is")
    conditions: list[Condition] = Field(description="the rules that must hold for this route")


class ActDescription(BaseModel):
    act: str
    party: str
    article: str
    summary: str
    automatic: bool = Field(description="performed by the service (a timer, a delivery, a fan-out)")
    creates: bool = Field(description="creates the record")
    routes: list[Route]


class DeadlineDescription(BaseModel):
    field: str
    act: str
    article: str


class LifecycleDescription(BaseModel):
    title: str
    states: list[str]
    acts: list[ActDescription]
    deadlines: list[DeadlineDescription]
    mermaid: str = Field(description="the state diagram in Mermaid")


@router.get("/v1/lifecycles", tags=["law"], response_model=dict[str, LifecycleDescription])
async def lifecycles() -> dict[str, Any]:
    """Every lifecycle's states and acts, with party and article, and its Mermaid diagram:
    the same declarations the workflows execute."""
    return {lc.name: describe_lifecycle(lc) for lc in LIFECYCLES}


def describe_lifecycle(lifecycle: Lifecycle[Any]) -> dict[str, Any]:
    return {
        "title": lifecycle.title,
        "states": [s.value for s in lifecycle.states],
        "acts": [
            {
                "act": a.name,
                "party": a.party.value,
                "article": a.article,
                "summary": a.summary,
                "automatic": a.automatic,
                "creates": a.creates,
                "routes": [
                    {
                        "from": list(r.sources),
                        "to": r.dest,
                        "conditions": [{"name": c.name, "article": c.article} for c in r.when],
                    }
                    for r in a.routes
                ],
            }
            for a in lifecycle.acts
        ],
        "deadlines": [{"field": t.field, "act": t.act, "article": t.article} for t in lifecycle.timers],
        "mermaid": mermaid(lifecycle),
    }


class CitedBy(BaseModel):
    lifecycle: str
    act: str
    rule: str | None = Field(None, description="the rule's name, when a rule of the act cites it")
    kind: Literal["act", "rule", "notice"]


class Paragraph(BaseModel):
    paragraph: str = Field(examples=["VCCR 12(3)"])
    cited_by: list[CitedBy]


@router.get("/v1/articles", tags=["law"])
async def articles() -> list[Paragraph]:
    """Each article and paragraph the service executes, in the instrument's order, with the
    acts, rules and notices of the lifecycle declarations that cite it (docs/articles.md adds
    the tests that name each)."""
    return [
        Paragraph(
            paragraph=paragraph,
            cited_by=[CitedBy(lifecycle=c.lifecycle, act=c.act, rule=c.rule, kind=c.kind) for c in cited],
        )
        for paragraph, cited in by_paragraph().items()
    ]
