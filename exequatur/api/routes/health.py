"""Liveness and readiness for the orchestrator: `/healthz` answers while the process runs,
`/readyz` once the register and Temporal both answer."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from exequatur.api.dependencies import ServiceDep
from exequatur.register import queries

router = APIRouter()


@router.get("/healthz", include_in_schema=False)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", include_in_schema=False)
async def readyz(service: ServiceDep) -> JSONResponse:
    try:
        await service.db(queries.get_profile, "FRA")
        await service.temporal.service_client.check_health()
    except Exception as exc:  # readiness reports, it does not raise
        return JSONResponse({"status": "unavailable", "reason": type(exc).__name__}, status_code=503)
    return JSONResponse({"status": "ready"})
