"""What every route asks for, in one place: who is calling (401 before anything else, even
before the body is read), the service the routes share, and the Idempotency-Key."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from exequatur.api.auth import Principal, caller
from exequatur.api.service import Service


async def service(request: Request) -> Service:
    """On the event loop: FastAPI runs a plain function dependency in its thread pool."""
    shared: Service = request.app.state.service  # set by create_app
    return shared


Caller = Annotated[Principal, Depends(caller)]
ServiceDep = Annotated[Service, Depends(service)]
# An act retried with the same key is applied once and answered as the first time (docs/api.md).
IdempotencyKey = Annotated[str | None, Header()]
