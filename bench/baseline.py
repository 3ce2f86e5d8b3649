"""The baseline: a workflow that accepts bare updates and does nothing else.

It takes as many updates as a member lifecycle has acts (the first with the start, as the
API appoints a member), then ends, so every ratio against it is this service's own cost over
the engine's.
"""

from __future__ import annotations

from temporalio import workflow


@workflow.defn(name="BenchBaseline")
class BaselineWorkflow:
    def __init__(self) -> None:
        self.count = 0

    @workflow.run
    async def run(self, acts: int) -> int:
        await workflow.wait_condition(lambda: self.count >= acts and workflow.all_handlers_finished())
        return self.count

    @workflow.update(name="act")
    def act(self, request: dict) -> int:  # type: ignore[type-arg]
        self.count += 1
        return self.count
