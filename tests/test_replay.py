"""Recorded histories of every path replay against today's workflow code (`make histories`
records them; a failure here means a change would break running workflows)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from exequatur.models.custody import CUSTODY
from exequatur.models.lifecycle import Act, Lifecycle
from exequatur.models.member import MEMBER
from exequatur.models.post import POST
from exequatur.models.relations import RELATIONS
from exequatur.core.codec import data_converter
from exequatur.worker.runner import WORKFLOW_RUNNER
from exequatur.worker.worker import WORKFLOWS
from exequatur.models.messages import PAST_ACTS_UPDATE
from exequatur.models.kinds import KINDS
from exequatur.models.kinds import LIFECYCLES as ALL_LIFECYCLES
from exequatur.workflows.engine import ENGINES

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_histories_cover_every_workflow():
    kinds = {path.stem.split("--", 1)[1].split("-", 1)[0] for path in HISTORIES}
    assert kinds == set(KINDS)


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_history_replays(path: Path):
    workflow_id = path.stem.split("--", 1)[1]
    history = WorkflowHistory.from_json(workflow_id, path.read_text())
    # The runner the worker runs them with (worker/runner.py), the sandbox included.
    replayer = Replayer(workflows=WORKFLOWS, data_converter=data_converter(None), workflow_runner=WORKFLOW_RUNNER)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None


# ---- every act of every lifecycle is in the corpus -----------------------------------

LIFECYCLES = {lc.name: lc for lc in ALL_LIFECYCLES}
# Acts the service performs on one record because another record told it to (`Tell`): they
# arrive as an `automatic-act` signal, whatever the lifecycle that sends them.
TOLD = {(tell.kind, tell.act) for lc in LIFECYCLES.values() for act in lc.acts for tell in act.all_tells}
# Lifecycles another lifecycle starts (`Start`, e.g. a third State's custody, 27(1)(b)): their
# creating act is performed by the new workflow itself, once, as it opens.
STARTED = {act.starts.kind for lc in LIFECYCLES.values() for act in lc.acts if act.starts}
# The one act that none of the declarations' mechanisms performs: the service records the
# Art. 14 notification of the district authorities after its delivery activity reports a
# delivery to "district-authorities" (workflows/engine.py `_deliver`). Keep this list minimal;
# a new automatic act must come with its evidence here or through a declaration above.
DELIVERED = {("member", "district-authorities-notified"): "district-authorities"}


def _payload(payload: dict[str, Any]) -> Any:
    return json.loads(base64.b64decode(payload["data"])) if payload.get("data") else None


def _corpus_evidence() -> dict[str, set[str]]:
    """What the recorded histories show happened, per lifecycle: accepted Updates by name,
    `automatic-act` signals by act, fired timers by summary ("timer:<summary>"), workflows
    that opened themselves ("opened"), notices delivered by recipient ("delivered:<recipient>")."""
    seen: dict[str, set[str]] = {name: set() for name in LIFECYCLES}
    for path in HISTORIES:
        kind = path.stem.split("--", 1)[1].split("-", 1)[0]
        events = json.loads(path.read_text())["events"]
        by_id = {e["eventId"]: e for e in events}
        for event in events:
            if a := event.get("workflowExecutionStartedEventAttributes"):
                if _payload(a["input"]["payloads"][0]).get("open_itself"):
                    seen[kind].add("opened")
            if a := event.get("workflowExecutionUpdateAcceptedEventAttributes"):
                seen[kind].add(a["acceptedRequest"]["input"]["name"])
            if (a := event.get("workflowExecutionSignaledEventAttributes")) and a["signalName"] == "automatic-act":
                seen[kind].update(_payload(p)["act"] for p in a["input"]["payloads"])
            if a := event.get("timerFiredEventAttributes"):
                summary = by_id[a["startedEventId"]].get("userMetadata", {}).get("summary")
                if summary:
                    seen[kind].add(f"timer:{_payload(summary)}")
            if a := event.get("activityTaskCompletedEventAttributes"):
                scheduled = by_id[a["scheduledEventId"]]["activityTaskScheduledEventAttributes"]
                if scheduled["activityType"]["name"] == "deliver-notifications":
                    for delivered in _payload(a["result"]["payloads"][0])["delivered"]:
                        seen[kind].add(f"delivered:{delivered['recipient']}")
    return seen


def _covered(lc: Lifecycle[Any], act: Act, seen: set[str]) -> bool:
    if not act.automatic:  # callers' acts, the creating ones included, are Updates
        return act.name in seen
    timers = [t for t in lc.timers if t.act == act.name]
    if timers:  # the workflow performs it when the deadline's timer fires
        return all(any(s.startswith(f"timer:{t.label}") for s in seen) for t in timers)
    if (lc.name, act.name) in TOLD:
        return act.name in seen
    if act.creates and lc.name in STARTED:
        return "opened" in seen
    if (lc.name, act.name) in DELIVERED:
        return f"delivered:{DELIVERED[lc.name, act.name]}" in seen
    raise AssertionError(f"{lc.name} '{act.name}' is automatic but nothing says how the service performs it")


def test_histories_cover_every_act_of_every_lifecycle():
    """Every path of every workflow is replayed: each act (VCCR article by article) appears in
    at least one recorded history, so a change to its commands without `workflow.patched`
    fails here rather than in a running workflow."""
    seen = _corpus_evidence()
    missing = {name: [a.name for a in lc.acts if not _covered(lc, a, seen[name])] for name, lc in LIFECYCLES.items()}
    assert missing == {name: [] for name in LIFECYCLES}


def test_histories_cover_the_import_of_past_acts():
    """The import's Update (`record-past-acts`, onboarding/) is replayed for every lifecycle it
    creates records of: consular relations, posts and members."""
    seen = _corpus_evidence()
    assert {name for name in LIFECYCLES if PAST_ACTS_UPDATE in seen[name]} == {"relations", "post", "member"}


def _patches_taken(history: dict[str, Any]) -> set[str]:
    """The patches a recorded history takes the new branch of: its own markers, and the list of
    the engine it recorded (workflows/engine.py `ENGINES`)."""
    markers = set()
    for event in history["events"]:
        marker = event.get("markerRecordedEventAttributes")
        if marker and marker.get("markerName") == "core_patch":
            data = marker["details"]["patch-data"]["payloads"][0]["data"]
            markers.add(json.loads(base64.b64decode(data))["id"])
    bundled = next((patches for engine, patches in ENGINES if engine in markers), frozenset())
    return markers | bundled


def test_each_patch_is_replayed_both_ways():
    """Every patch of the engine keeps two branches; each is proved by the replay of at least one
    recorded history. When a patch's old branch is deleted (workflows/engine.py says when), this
    test shows which histories to re-record: those that took it."""
    taken = [_patches_taken(json.loads(path.read_text())) for path in HISTORIES]
    for patch in sorted(ENGINES[0][1]):
        new = sum(patch in patches for patches in taken)
        assert 0 < new < len(taken), f"patch {patch!r}: {new} of {len(taken)} histories take its new branch"
