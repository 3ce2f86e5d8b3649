"""The workflow runner: the SDK's sandbox, with our own pure modules passed through and the
per-payload serialization context skipped (see ContextFreeWorkflowRunner)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import temporalio.workflow
from temporalio.converter import SerializationContext, StorageDriverStoreContext, StorageDriverWorkflowInfo
from temporalio.worker import WorkflowInstance, WorkflowInstanceDetails, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

# The sandbox stays (its restrictions guard every call a workflow makes); our own modules are
# passed through instead of re-imported for every workflow run. The engine (workflows/engine.py)
# and the models were already passed through by the workflow modules' imports; re-running
# workflows/lifecycles.py would re-apply @workflow.defn to every class for every run. None of
# these modules holds state a run could change.
PASSTHROUGH = ("exequatur.models", "exequatur.workflows", "exequatur.activities", "exequatur.register")


class ContextFreeWorkflowRunner(WorkflowRunner):
    """A sandboxed runner whose instances skip the per-payload serialization context.

    For every payload of every activation and completion the worker asks the instance which
    serialization context applies, and the sandbox answers by compiling and executing a
    snippet inside the sandbox (SDK 1.35, `_Instance.get_serialization_context`), more work
    than the workflow code itself. The context only matters to a converter, codec or external
    storage that takes one (`WithSerializationContext`); ours (core/codec.py: JSON and AES-GCM
    with fixed keys, no external storage) takes none, so the answer "no context" gives the same
    bytes. `data_converter` in core/codec.py owns that promise and tests/test_worker_runner.py
    checks it: give the codec a context and this runner must go.
    """

    def __init__(self, sandboxed: SandboxedWorkflowRunner) -> None:
        self.sandboxed = sandboxed
        self.restrictions = sandboxed.restrictions

    def prepare_workflow(self, defn: temporalio.workflow._Definition) -> None:
        self.sandboxed.prepare_workflow(defn)

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        return _ContextFreeInstance(self.sandboxed.create_instance(det))

    def set_worker_level_failure_exception_types(self, types: Sequence[type[BaseException]]) -> None:
        self.sandboxed.set_worker_level_failure_exception_types(types)


class _ContextFreeInstance(WorkflowInstance):
    def __init__(self, inner: WorkflowInstance) -> None:
        self.inner = inner

    def activate(self, act: Any) -> Any:  # the SDK's bridge protobufs, passed through untouched
        return self.inner.activate(act)

    def get_serialization_context(self, command_info: Any) -> SerializationContext | None:
        return None  # the worker then uses the client's data converter as it is

    def get_external_store_context(self, command_info: Any) -> StorageDriverStoreContext:
        # Also answered by a snippet run in the sandbox; the converter stores nothing
        # externally, so the workflow itself is named, as the SDK does for most commands.
        info = self.inner.get_info()
        return StorageDriverStoreContext(
            target=StorageDriverWorkflowInfo(
                id=info.workflow_id, run_id=info.run_id, type=info.workflow_type, namespace=info.namespace
            )
        )

    def get_info(self) -> temporalio.workflow.Info:
        return self.inner.get_info()

    def get_thread_id(self) -> int | None:
        return self.inner.get_thread_id()


WORKFLOW_RUNNER = ContextFreeWorkflowRunner(
    SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH))
)
