"""The receiving State's profile: its national law and usage (VCCR 10(2), 20, 22(3), 68)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from exequatur.api.auth import can_read
from exequatur.api.dependencies import Caller, ServiceDep
from exequatur.api.problems import Problem
from exequatur.models.common import StateCode
from exequatur.models.profile import Profile
from exequatur.register import queries

router = APIRouter()


@router.put("/v1/profiles/{state}", tags=["profiles"], response_model=Profile)
async def put_profile(principal: Caller, service: ServiceDep, state: StateCode, profile: Profile) -> dict[str, Any]:
    """The receiving State's national law and usage (VCCR 10(2), 20, 22(3), 68); by that State or admin."""
    if principal.state != state and principal.role != "admin":
        raise Problem(403, "A profile is set by its own State or an admin")
    document = profile.model_dump(mode="json")
    await service.db(queries.put_profile, state, document)
    return document


@router.get("/v1/profiles/{state}", tags=["profiles"], response_model=Profile)
async def get_profile(principal: Caller, service: ServiceDep, state: StateCode) -> dict[str, Any]:
    stored = await service.db(queries.get_profile, state)
    document = Profile.of(state, stored).model_dump(mode="json")
    if principal.state != state and not principal.reads_everything:
        # Ceilings are keyed by post id: a stranger must not learn that a post exists.
        posts = {
            p["id"]
            for p in await service.db(queries.list_records, "post", receiving_state=state)
            if can_read(principal, p)
        }
        document["staff_ceiling"] = {k: v for k, v in document["staff_ceiling"].items() if k in posts}
    return document
