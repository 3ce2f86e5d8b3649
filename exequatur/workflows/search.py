"""Search attributes operators filter on in the Temporal Web UI: codes and states only,
never personal names (search attributes are stored in clear)."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

SENDING_STATE = SearchAttributeKey.for_keyword("SendingState")
RECEIVING_STATE = SearchAttributeKey.for_keyword("ReceivingState")
LIFECYCLE_STATE = SearchAttributeKey.for_keyword("LifecycleState")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("NextDeadline")
POST_CLASSIFICATION = SearchAttributeKey.for_keyword("PostClassification")  # posts: consulate, ...
MEMBER_ROLE = SearchAttributeKey.for_keyword("MemberRole")  # members: head, officer, employee, service
POST_ID = SearchAttributeKey.for_keyword("PostId")  # a post, its members and its custody: "everything of post X"

ALL = (SENDING_STATE, RECEIVING_STATE, LIFECYCLE_STATE, NEXT_DEADLINE, POST_CLASSIFICATION, MEMBER_ROLE, POST_ID)
# The keyword attributes a kind declares by name (models/kinds.py `Kind.attributes`).
KEYWORDS: dict[str, SearchAttributeKey[str]] = {key.name: key for key in (POST_CLASSIFICATION, MEMBER_ROLE, POST_ID)}


def dev_server_args() -> list[str]:
    """`--search-attribute Name=Type` for every key, for `temporal server start-dev`."""
    kinds = {"KEYWORD": "Keyword", "DATETIME": "Datetime"}
    args = []
    for key in ALL:
        args += [
            "--search-attribute",
            f"{key.name}={kinds[key.indexed_value_type.name.removeprefix('INDEXED_VALUE_TYPE_')]}",
        ]
    return args


def _check_kinds() -> None:
    """Every attribute a kind declares is one of ours, checked at import rather than at a kind's
    first act."""
    from exequatur.models.kinds import KINDS

    for kind in KINDS.values():
        unknown = {name for name, _ in kind.attributes} - set(KEYWORDS)
        if unknown:
            raise ValueError(f"kind {kind.name!r} declares search attributes that do not exist: {sorted(unknown)}")


_check_kinds()
