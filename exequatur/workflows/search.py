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
BY_NAME = {key.name: key for key in ALL}


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
