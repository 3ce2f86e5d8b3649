"""The Web UI's search attributes are upserted when a value changes, not after every act
(workflows/engine.py `_describe`, patch "search-attributes-on-change"; bench/RESULTS.md item 3)."""

from __future__ import annotations

from datetime import datetime

from temporalio.api.enums.v1 import EventType
from temporalio.converter import default as default_converter

from tests.helpers import Ministry, days_ago, provisionally_admitted_head


async def upserts(env, workflow_id: str) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    """What each UpsertWorkflowSearchAttributes event of the history set of ours, decoded."""
    history = await env.client.get_workflow_handle(workflow_id).fetch_history()
    converter = default_converter().payload_converter
    found = []
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
            # The SDK's own upserts of TemporalChangeVersion (one per `workflow.patched`) aside.
            ours = {name: converter.from_payload(p) for name, p in fields.items() if name != "TemporalChangeVersion"}
            if ours:
                found.append(ours)
    return found


async def test_each_search_attribute_is_upserted_only_when_its_value_changes(http, env):
    """VCCR 10(1), 11(2), 13, 24(1)(a), 25(a): a head's lifecycle as the UI lists it."""
    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    mid = await provisionally_admitted_head(fra, wsm, appointed_days_ago=30)
    member = await fra.get(f"/v1/members/{mid}")
    await fra.act("members", mid, "notify-arrival", {"arrived_on": days_ago(27), "effective_date": days_ago(27)})
    await fra.act("members", mid, "enter-duties", {"effective_date": days_ago(26)})  # the state stays the same
    terminated = await fra.act("members", mid, "notify-termination", {"effective_date": days_ago(2)})

    found = await upserts(env, f"member-{mid}")
    # The attributes that never change are set once, with the first act.
    constant = {"SendingState": [member["sending_state"]], "ReceivingState": [member["receiving_state"]],
                "PostId": [member["post_id"]], "MemberRole": ["head"]}
    for name, value in constant.items():
        assert [[u[name]] for u in found if name in u] == [value], name
    # LifecycleState once per state the member passed through, in order, never twice in a row.
    states = [u["LifecycleState"] for u in found if "LifecycleState" in u]
    assert states == ["appointed", "awaiting-exequatur", "provisionally-admitted", "terminated"]
    # Fewer upserts than acts: enter-duties and the Art. 14 act changed nothing the UI filters on.
    recorded = (await wsm.get(f"/v1/members/{mid}"))["acts"]
    assert len(found) < len(recorded)

    # What the UI shows is still the whole current picture.
    attributes = (await env.client.get_workflow_handle(f"member-{mid}").describe()).search_attributes
    assert {k: attributes[k] for k in constant} == constant
    assert attributes["LifecycleState"] == ["terminated"]
    assert attributes["NextDeadline"] == [datetime.fromisoformat(terminated["departure_deadline"])]


async def test_a_new_workflow_asks_for_its_patches_with_one_marker(http, env):
    """The patches a new workflow takes are asked for with one, ENGINE (workflows/engine.py): one
    marker and one TemporalChangeVersion upsert per history, not one per patch; the histories
    recorded under an older engine or before any ask for theirs and still replay
    (tests/test_replay.py). The exequatur after a provisional admission (12(1), 13) is where the
    narrowed Tell asked for a patch of its own before engine-2026-12."""
    from exequatur.workflows.engine import ENGINE

    fra, wsm = Ministry(http, "tok-fra"), Ministry(http, "tok-wsm")
    mid = await provisionally_admitted_head(fra, wsm, appointed_days_ago=30)
    await wsm.act("members", mid, "grant-exequatur", {"effective_date": days_ago(20)})
    await fra.act("members", mid, "notify-termination", {"effective_date": days_ago(2)})  # tells, notices, a timer
    history = await env.client.get_workflow_handle(f"member-{mid}").fetch_history()
    converter = default_converter().payload_converter
    patches, change_versions = [], []
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
            marker = event.marker_recorded_event_attributes
            if marker.marker_name == "core_patch":
                patches.append(converter.from_payload(marker.details["patch-data"].payloads[0])["id"])
        if event.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
            fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
            if "TemporalChangeVersion" in fields:
                change_versions.append(converter.from_payload(fields["TemporalChangeVersion"]))
    assert patches == [ENGINE]
    assert change_versions == [[ENGINE]]  # the SDK's own upsert, once
