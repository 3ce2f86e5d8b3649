"""The worker's workflow runner answers "no serialization context" without asking the sandbox
(exequatur/worker/runner.py `ContextFreeWorkflowRunner`, bench/RESULTS.md). That is only right while nothing in
the data converter takes a context; these tests fail the day something does."""

from __future__ import annotations

import pytest
from temporalio.converter import ActivitySerializationContext, WorkflowSerializationContext
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from exequatur.worker import runner as worker
from exequatur.core.codec import data_converter, new_key, parse_keys

CONTEXTS = [
    WorkflowSerializationContext(namespace="default", workflow_id="member-M-1"),
    ActivitySerializationContext(namespace="default", workflow_id="member-M-1", workflow_type="Member",
                                 activity_type="record-act", activity_id="1", activity_task_queue="consular",
                                 is_local=True),
]


@pytest.mark.parametrize("keys", [None, "k1:" + new_key()], ids=["plain", "encrypted"])
@pytest.mark.parametrize("context", CONTEXTS, ids=["workflow", "local-activity"])
def test_the_data_converter_is_the_same_in_every_serialization_context(keys, context) -> None:
    converter = data_converter(parse_keys(keys) if keys else None)
    # The SDK hands back the converter itself when no part of it (payload converter, codec,
    # failure converter, external storage) takes a context: then "no context" is exact.
    assert converter.with_context(context) is converter, (
        "a part of codec.data_converter now takes a serialization context: "
        "worker.ContextFreeWorkflowRunner must go (or ask the sandbox again)")
    assert converter.external_storage is None


def test_the_worker_runs_workflows_in_the_sandbox_with_our_modules_passed_through() -> None:
    runner = worker.WORKFLOW_RUNNER
    assert isinstance(runner, worker.ContextFreeWorkflowRunner)
    assert isinstance(runner.sandboxed, SandboxedWorkflowRunner)
    assert set(worker.PASSTHROUGH) <= set(runner.restrictions.passthrough_modules)
