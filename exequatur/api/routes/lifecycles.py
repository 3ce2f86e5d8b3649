"""The law as the service executes it: every lifecycle declaration, served."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from exequatur.models.kinds import LIFECYCLES
from exequatur.models.lifecycle import Lifecycle, mermaid

router = APIRouter()


@router.get("/v1/lifecycles", tags=["law"])
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
