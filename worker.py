"""The worker: one process hosting every workflow and activity of the service."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import timedelta

import structlog
from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.converter import SerializationContext, StorageDriverStoreContext, StorageDriverWorkflowInfo
from temporalio.worker import Worker, WorkflowInstance, WorkflowInstanceDetails, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.notifications import deliver_notifications
from activities.register import read_profile, record_act, record_acts, related_records
from workflows.lifecycles import CustodyWorkflow, MemberWorkflow, PostWorkflow, RelationsWorkflow

WORKFLOWS = [RelationsWorkflow, PostWorkflow, MemberWorkflow, CustodyWorkflow]
ACTIVITIES = [record_act, record_acts, read_profile, deliver_notifications, related_records]
# The sandbox stays (its restrictions guard every call a workflow makes); our own modules are
# passed through instead of re-imported for every workflow run. The engine (workflows/base.py)
# and the models were already passed through by the workflow modules' imports; re-running
# workflows/lifecycles.py re-applied @workflow.defn to four classes per run, a third of a
# replay's time and most of a cached workflow's memory (bench/RESULTS.md). None of these
# modules holds state a run could change.
PASSTHROUGH = ("models", "workflows", "activities", "register")


class ContextFreeWorkflowRunner(WorkflowRunner):
    """A sandboxed runner whose instances skip the per-payload serialization context.

    For every payload of every activation and completion the worker asks the instance which
    serialization context applies, and the sandbox answers by compiling and executing a
    snippet inside the sandbox (SDK 1.35, `_Instance.get_serialization_context`): 30% of the
    worker's busy time in bench item 1 (py-spy), more than the workflow code itself. The
    context only matters to a converter, codec or external storage that takes one
    (`WithSerializationContext`); ours (codec.py: JSON and AES-GCM with fixed keys, no
    external storage) takes none, so the answer "no context" gives the same bytes. `codec.data_converter` owns that
    promise and `tests/test_worker_runner.py` checks it: give the codec a context and this
    runner must go.
    """

    def __init__(self, sandboxed: SandboxedWorkflowRunner) -> None:
        self.sandboxed = sandboxed
        self.restrictions = sandboxed.restrictions

    def prepare_workflow(self, defn) -> None:  # type: ignore[no-untyped-def]
        self.sandboxed.prepare_workflow(defn)

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        return _ContextFreeInstance(self.sandboxed.create_instance(det))

    def set_worker_level_failure_exception_types(self, types) -> None:  # type: ignore[no-untyped-def]
        self.sandboxed.set_worker_level_failure_exception_types(types)


class _ContextFreeInstance(WorkflowInstance):
    def __init__(self, inner: WorkflowInstance) -> None:
        self.inner = inner

    def activate(self, act):  # type: ignore[no-untyped-def]
        return self.inner.activate(act)

    def get_serialization_context(self, command_info) -> SerializationContext | None:  # type: ignore[no-untyped-def]
        return None  # the worker then uses the client's data converter as it is

    def get_external_store_context(self, command_info) -> StorageDriverStoreContext:  # type: ignore[no-untyped-def]
        # Also answered by a snippet run in the sandbox; the converter stores nothing
        # externally, so the workflow itself is named, as the SDK does for most commands.
        info = self.inner.get_info()
        return StorageDriverStoreContext(target=StorageDriverWorkflowInfo(
            id=info.workflow_id, run_id=info.run_id, type=info.workflow_type, namespace=info.namespace))

    def get_info(self):  # type: ignore[no-untyped-def]
        return self.inner.get_info()

    def get_thread_id(self) -> int | None:
        return self.inner.get_thread_id()


WORKFLOW_RUNNER = ContextFreeWorkflowRunner(
    SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)))


def build_worker(client: Client, task_queue: str, **overrides) -> Worker:  # type: ignore[no-untyped-def]
    options = dict(
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=ACTIVITIES,
        workflow_runner=WORKFLOW_RUNNER,
        activity_executor=concurrent.futures.ThreadPoolExecutor(max_workers=16),
        # A short sticky timeout: after a worker crash, another picks the workflow up fast.
        sticky_queue_schedule_to_start_timeout=timedelta(seconds=3),
        graceful_shutdown_timeout=timedelta(seconds=5),
    )
    options.update(overrides)
    return Worker(client, **options)  # type: ignore[arg-type]


async def connect(settings) -> Client:  # type: ignore[no-untyped-def]
    return await Client.connect(**settings.client_options(), runtime=metrics_runtime(settings.worker_metrics_address))


def metrics_runtime(address: str) -> Runtime | None:
    """The SDK's own metrics (task latencies, slots, polls, activity failures) for Prometheus
    at http://<address>/metrics; None keeps the default runtime, which exports nothing."""
    if not address:
        return None
    try:
        return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=address)))
    except ValueError as exc:  # the port is taken, e.g. a second worker on one host: work on, unmeasured
        structlog.get_logger("exequatur.worker").warning(
            "worker metrics not served; set CONSULAR_WORKER_METRICS_ADDRESS", address=address, error=str(exc))
        return None


async def run_worker(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    """Run until SIGINT/SIGTERM, then drain: in-flight tasks finish within the grace period."""
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # Leaving the block drains: no new tasks are polled, in-flight activities get the grace period.
    async with serving(client, settings.task_queue,
                       graceful_shutdown_timeout=timedelta(seconds=settings.worker_grace_seconds)):
        await stop.wait()


@asynccontextmanager
async def serving(client: Client, task_queue: str, **overrides) -> AsyncIterator[Worker]:  # type: ignore[no-untyped-def]
    """The worker and, beside it, the relay that delivers the register's queued notices."""
    from relay import NoticeRelay

    async with build_worker(client, task_queue, **overrides) as running:
        relay = NoticeRelay(client)
        relaying = asyncio.create_task(relay.run())
        try:
            yield running
        finally:
            # Drain like the worker: the deliveries under way are recorded, within the grace period.
            relay.stop()
            grace = running.config().get("graceful_shutdown_timeout") or timedelta(seconds=5)
            try:
                await asyncio.wait_for(asyncio.shield(relaying), grace.total_seconds())
            except TimeoutError:
                relaying.cancel()
                with suppress(asyncio.CancelledError):
                    await relaying
