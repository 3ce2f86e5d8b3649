"""Bearer tokens from CONSULAR_TOKENS_FILE (docs/api.md "Who is calling")."""

from __future__ import annotations

import hashlib
import hmac
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from exequatur.api.problems import Problem
from exequatur.models.common import Party


@dataclass(frozen=True)
class Principal:
    """Who calls: a State (acting as SS, RS or TS as each act requires), an auditor or an admin."""

    name: str  # recorded with every act; never the token
    state: str | None = None
    role: str | None = None

    @property
    def reads_everything(self) -> bool:
        return self.role in ("auditor", "admin")


@dataclass(frozen=True)
class TokenEntry:
    digest: bytes
    principal: Principal


def load_tokens(path: Path) -> list[TokenEntry]:
    """Keys are tokens, or `sha256:<hex>` of a token so the file need not hold secrets."""
    data = tomllib.loads(path.read_text())
    entries = []
    for key, spec in data.get("tokens", {}).items():
        digest = bytes.fromhex(key[7:]) if key.startswith("sha256:") else hashlib.sha256(key.encode()).digest()
        state, role = spec.get("state"), spec.get("role")
        name = spec.get("name") or (f"state:{state}" if state else f"role:{role}")
        if len(name) > 64 or (state is None) == (role is None) or role not in (None, "auditor", "admin"):
            raise ValueError(
                f"tokens file: an entry needs a state or a role (auditor, admin) and a name of "
                f"at most 64 characters; see {path}"
            )
        entries.append(TokenEntry(digest, Principal(name=name, state=state, role=role)))
    return entries


def authenticate(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Problem(401, "A bearer token is required (Authorization: Bearer <token>)")
    return principal_of(request.app.state.tokens, token)


# Declares the bearer scheme in the OpenAPI document (every route that needs a caller lists it,
# and /docs has its Authorize button); the token itself is checked by `authenticate`, which
# answers 401 as problem+json where HTTPBearer would answer its own 403.
BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A token from CONSULAR_TOKENS_FILE: a State's, an auditor's or an admin's (docs/api.md)",
)


async def caller(
    request: Request, _declared: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]
) -> Principal:
    """`authenticate` as the routes' dependency: on the event loop, since FastAPI runs a plain
    function dependency in the thread pool, one more trip for every request."""
    return authenticate(request)


def principal_of(tokens: list[TokenEntry], token: str) -> Principal:
    presented = hashlib.sha256(token.strip().encode()).digest()
    found = None
    for entry in tokens:
        if hmac.compare_digest(entry.digest, presented):  # constant time, every entry compared
            found = entry.principal
    if found is None:
        raise Problem(401, "Unknown token")
    return found


def parties_of(principal: Principal, record: dict) -> set[Party]:
    """The parties the caller holds on a record: SS, RS, or either State of a relations pair."""
    if principal.state is None:
        return set()
    if "occurred_in" in record:  # an incident (61/31): any State reports; the State where it occurred follows up
        return {Party.ANY, Party.RS} if principal.state == record["occurred_in"] else {Party.ANY}
    if "states" in record:  # consular relations: either State; the one a proposal is addressed to (2(1))
        if principal.state not in record["states"]:
            return set()
        return {Party.EITHER, Party.OTHER} if record.get("proposed_to") == principal.state else {Party.EITHER}
    parties = set()
    if principal.state == record.get("sending_state"):
        parties.add(Party.SS)
    if principal.state == record.get("receiving_state"):
        parties.add(Party.RS)
    if principal.state == record.get("third_state"):  # a proposed custodian (27(1)(b))
        parties.add(Party.TS)
    return parties


def can_read(principal: Principal, record: dict) -> bool:
    """SS and RS read their records; a third State proposed as custodian reads the post from the
    proposal on (27(1)(b)); auditors and admins read everything."""
    if principal.reads_everything:
        return True
    if "occurred_in" in record:  # an incident: its States, and every State where it is circulated (11(b))
        involved = {record["reporting_state"], record["occurred_in"], *record.get("concerned_states", [])}
        return principal.state is not None and (principal.state in involved or bool(record.get("circulate")))
    if parties_of(principal, record):
        return True
    custodian = (record.get("custody") or {}).get("custodian") or {}
    return custodian.get("kind") == "third-state" and custodian.get("state") == principal.state
