"""How a client performs acts on the lifecycles: one place for the API (api/service.py) and the
operators' import (onboarding/), both talking to Temporal directly.

Record ids and update ids derive from a caller's key (an Idempotency-Key, a CSV row's natural
key), so a retry reaches the same workflow and the same Update and applies nothing twice.
Client-side only: no workflow code imports this module.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import ApplicationError

from exequatur.models.kinds import KINDS
from exequatur.models.messages import ActOutcome, ActRequest, PastActs, StartInput
from exequatur.models.profile import Profile
from exequatur.models.relations import relations_id
from exequatur.register import queries


def workflow_id(kind: str, record_id: str) -> str:
    return KINDS[kind].workflow_id(record_id)


def derived_id(principal_name: str, scope: str, key: str | None) -> str:
    """A caller's key maps onto one update id (and one record id) per caller and scope."""
    if not key:
        return uuid.uuid4().hex
    return hashlib.sha256(f"{principal_name}|{scope}|{key}".encode()).hexdigest()[:32]


def new_post_id(sending_state: str, receiving_state: str, update_id: str) -> str:
    return f"{sending_state}-{receiving_state}-{update_id[:12].upper()}"


def new_member_id(update_id: str) -> str:
    return f"M-{update_id[:12].upper()}"  # no name in an id: ids are stored in clear (docs/design.md)


def new_household_id(update_id: str) -> str:
    return f"H-{update_id[:12].upper()}"  # no name in an id: ids are stored in clear


def facts(engine: queries.Bind, kind: str, record: dict[str, Any]) -> dict[str, Any]:
    """The register's current facts a lifecycle declares it reads (`Lifecycle.facts`), sent with
    every act: whether SS keeps a diplomatic mission in RS, the profile's 15(2) choice, severance,
    SS's other open posts (27(2)(a))."""
    if kind == "incident":  # 11(b): circulated to every State the service knows
        known = {state for relations in queries.list_records(engine, "relations") for state in relations["states"]}
        return {"known_states": sorted(known)}
    if not KINDS[kind].lifecycle.facts:  # relations, custody, households read none
        return {}
    relations = (
        queries.get_record(engine, relations_id(record["sending_state"], record["receiving_state"]), "relations") or {}
    )
    found: dict[str, Any] = {
        "ss_diplomatic_mission": record["sending_state"] in relations.get("diplomatic_missions", [])
    }
    if kind == "member":
        found["ss_represented"] = record["sending_state"] in relations.get("represented_by", {})
    if kind == "member" and "post_id" in record:
        # One head in functions at a post (VCCR 1(1)(c), 10(1)): another head admitted and serving.
        # Only the heads in functions are read, and only their ids: a post's past heads grow with
        # the decades, and their documents tell nothing more.
        heads = queries.heads_in_functions(engine, record["post_id"])
        found["other_head_in_functions"] = any(head != record["id"] for head in heads)
    if kind == "post":
        profile = Profile.of(record["receiving_state"], queries.get_profile(engine, record["receiving_state"]))
        found["acting_heads_need_consent"] = profile.acting_heads_need_consent
        found["relations_severed"] = relations.get("state") == "severed"
        # Ids only: a sending State may keep dozens of posts in one receiving State, and every
        # act on each of them reads this.
        others = queries.open_posts(engine, record["sending_state"], record["receiving_state"])
        found["ss_open_posts"] = [post_id for post_id in others if post_id != record["id"]]
    return found


async def create(
    client: Client,
    task_queue: str,
    kind: str,
    record: dict[str, Any],
    act_name: str,
    request: ActRequest | PastActs,
    update_id: str,
    created: bool = False,
) -> ActOutcome:
    """The creating act as an update-with-start: the workflow starts unless it runs already, and
    the update id makes a retry attach to the first attempt."""
    start: WithStartWorkflowOperation[Any, None] = WithStartWorkflowOperation(
        KINDS[kind].workflow,
        StartInput(record=record, created=created),
        id=workflow_id(kind, record["id"]),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        static_summary=KINDS[kind].summary(record),
    )
    outcome: ActOutcome = await client.execute_update_with_start_workflow(
        act_name, request, start_workflow_operation=start, id=update_id, result_type=ActOutcome
    )
    return outcome


async def perform(
    client: Client, kind: str, record_id: str, act_name: str, request: ActRequest | PastActs, update_id: str
) -> ActOutcome:
    """Any other act: an Update of the record's workflow, whose validator asks the declaration."""
    handle = client.get_workflow_handle(workflow_id(kind, record_id))
    outcome: ActOutcome = await handle.execute_update(act_name, request, id=update_id, result_type=ActOutcome)
    return outcome


def refusal_details(cause: BaseException | None) -> dict[str, Any] | None:
    """What a workflow's refusal says (status, article, state, allowed acts, bad fields), or None
    for anything else."""
    if not (isinstance(cause, ApplicationError) and cause.details and isinstance(cause.details[0], dict)):
        return None
    return as_caller_sees_it(cause.details[0])


def as_caller_sees_it(details: dict[str, Any]) -> dict[str, Any]:
    """A refusal's details (workflows/checks.py `refusal_details`) as a caller reads them: field
    paths joined (`person.full_name`)."""
    details = dict(details)
    details["status"] = int(details.get("status", 409))
    if "errors" in details:
        details["errors"] = [
            {"field": ".".join(map(str, e["loc"])) or "body", "msg": e["msg"], "type": e["type"]}
            for e in details["errors"]
        ]
    return details
