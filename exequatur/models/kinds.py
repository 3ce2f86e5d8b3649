"""The one registry of the kinds of record: each kind's lifecycle declaration, the Temporal
workflow that executes it, where the API serves it and the line the Web UI lists it by.

Everything that goes from a kind to one of these reads it here: the worker and the client
(workflow), the engine (a child's workflow and summary), the API and its OpenAPI document
(paths), the relay (the deliveries a record records), the printouts and the metrics.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from exequatur.models.custody import CUSTODY
from exequatur.models.household import HOUSEHOLD
from exequatur.models.incident import INCIDENT
from exequatur.models.lifecycle import PARTY_NAMES, REVISIONS, Lifecycle
from exequatur.models.member import MEMBER
from exequatur.models.post import POST
from exequatur.models.profile import Profile
from exequatur.models.relations import RELATIONS


@dataclass(frozen=True)
class Kind:
    lifecycle: Lifecycle[Any]
    # The Temporal workflow type. Recorded histories name it: never rename one.
    workflow: str
    # The API serves a record at /v1/<collection>/{id} and its acts at .../acts/<act>.
    collection: str
    # The route whose POST performs the creating act (None: the service creates the record).
    creation_route: str | None
    # The one line the Web UI lists a workflow by: what it is and which post. Ids and codes
    # only, never a name, so it says the same to an operator without the payload keys.
    summary: Callable[[dict[str, Any]], str]
    # The search attributes of this kind beyond the States, state and deadline every record has:
    # (attribute, record field), in the order the engine upserts them (workflows/search.py).
    attributes: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        return self.lifecycle.name

    def workflow_id(self, record_id: str) -> str:
        return f"{self.name}-{record_id}"

    def path(self) -> str:
        return f"/v1/{self.collection}/{{record_id}}"


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            RELATIONS,
            workflow="Relations",
            collection="relations",
            creation_route="/v1/relations",
            summary=lambda r: f"Consular relations {r['id']}",
        ),
        Kind(
            POST,
            workflow="Post",
            collection="posts",
            creation_route="/v1/posts",
            summary=lambda r: f"Post {r['id']} ({r['classification']}, {r['sending_state']} in {r['receiving_state']})",
            attributes=(("PostId", "id"), ("PostClassification", "classification")),
        ),
        Kind(
            MEMBER,
            workflow="Member",
            collection="members",
            creation_route="/v1/posts/{post_id}/members",
            summary=lambda r: f"Member {r['id']} ({r['role']}) of post {r['post_id']}",
            attributes=(("PostId", "post_id"), ("MemberRole", "role")),
        ),
        # A person of a member's household (1(1)(i), 24(1)(b)-(c)): created on the member.
        Kind(
            HOUSEHOLD,
            workflow="Household",
            collection="household",
            creation_route="/v1/members/{member_id}/household",
            summary=lambda r: f"Household {r['id']} ({r['kind']}) of member {r['member_id']} of post {r['post_id']}",
            attributes=(("PostId", "post_id"),),
        ),
        # A violation of the protection of a post or its people, reported under UNGA res. 61/31.
        # No summary text in the Web UI's line: it is personal data, encrypted in payloads.
        Kind(
            INCIDENT,
            workflow="Incident",
            collection="incidents",
            creation_route="/v1/incidents",
            summary=lambda r: (
                f"Incident {r['id']} ({r['kind']}) in {r['occurred_in']}, reported by {r['reporting_state']}"
            ),
        ),
        # A third State's custody of a closed post (27(1)(b)): started by the post's workflow; its
        # acts are asked for on the post (docs/api.md), its record read at /v1/custody/{id}.
        Kind(
            CUSTODY,
            workflow="Custody",
            collection="custody",
            creation_route=None,
            summary=lambda r: f"Custody of post {r['post_id']} by {r['third_state']}",
            attributes=(("PostId", "post_id"),),
        ),
    )
}
LIFECYCLES: tuple[Lifecycle[Any], ...] = tuple(kind.lifecycle for kind in KINDS.values())


def lifecycles_markdown() -> str:
    """docs/lifecycles.md: every lifecycle's states and acts, with party, article and effect, as
    the declarations say (`make docs` writes it; tests/test_layout.py checks it is current)."""
    lines = [
        "# The lifecycles, act by act",
        "",
        "Written by `make docs` from the declarations in `exequatur/models/` (the same ones the workflows",
        "execute and `GET /v1/lifecycles` serves); do not edit by hand. Each act is",
        "`POST /v1/<collection>/{id}/acts/<act>` (a custody's acts are asked for on its post).",
        "",
    ]
    for kind in KINDS.values():
        lifecycle = kind.lifecycle
        lines += [f"## {lifecycle.title}", "", f"`/v1/{kind.collection}`; workflow `{kind.workflow}`.", ""]
        lines += ["States: " + ", ".join(f"`{s.value}`" for s in lifecycle.states) + ".", ""]
        lines += ["| act | party | article | what it does |", "|---|---|---|---|"]
        for act in lifecycle.acts:
            party = "the service" if act.automatic else PARTY_NAMES[act.party]
            how = " (performed by the service)" if act.automatic else " (creates the record)" if act.creates else ""
            lines.append(f"| `{act.name}` | {party} | {act.article} | {act.summary}{how} |")
        if lifecycle.timers:
            deadlines = "; ".join(f"{t.label} ({t.article}): then `{t.act}`" for t in lifecycle.timers)
            lines += ["", f"Deadlines: {deadlines}."]
        lines.append("")
    return "\n".join(lines)


def _check_periods() -> None:
    """An act's effect reads the receiving State's periods by name (`Act.periods`): each name must
    be a period of the profile, or the act would fail only when first performed."""
    known = set(Profile().periods())
    for lifecycle in LIFECYCLES:
        for act in lifecycle.acts:
            if set(act.revisions) - set(REVISIONS):
                raise ValueError(f"{lifecycle.name} act '{act.name}' reads revisions of the law never declared")
            unknown = set(act.periods) - known
            if unknown:
                raise ValueError(
                    f"{lifecycle.name} act '{act.name}' reads periods the profile does not have: "
                    f"{sorted(unknown)} (models/profile.py `Profile.periods`)"
                )


_check_periods()
