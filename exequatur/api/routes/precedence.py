"""The consular list of a receiving State in order of precedence (VCCR 16)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse

from exequatur.api import consular_list
from exequatur.api.dependencies import Caller, ServiceDep
from exequatur.models.common import Day, StateCode
from exequatur.register.precedence import consular_list_entries

router = APIRouter()


@router.get(
    "/v1/precedence/{receiving_state}",
    tags=["precedence"],
    responses={200: {"model": consular_list.ConsularList, "content": {"text/html": {}, "text/csv": {}}}},
)
async def precedence(
    request: Request, principal: Caller, service: ServiceDep, receiving_state: StateCode, on: Day | None = None
) -> Any:
    """The consular list of a receiving State in order of precedence (VCCR 16), as it stood on
    `on` (default today), read from the register. `Accept: text/html` gives the printable list,
    `text/csv` a spreadsheet."""
    on = on or date.today()
    entries = await service.db(consular_list_entries, receiving_state, on)  # off the event loop
    accept = request.headers.get("accept", "")
    if "text/html" in accept:
        return HTMLResponse(consular_list.as_html(receiving_state, on, entries))
    if "text/csv" in accept:
        return PlainTextResponse(consular_list.as_csv(entries), media_type="text/csv")
    # Rendered as it is: the list is plain JSON values already, FastAPI's encoder would walk it again.
    return JSONResponse(consular_list.as_json(receiving_state, on, entries))
