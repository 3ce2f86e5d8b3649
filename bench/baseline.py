"""The baseline, and the floor of the design the issue prescribes.

The baseline is a workflow that accepts bare updates and does nothing else. It takes as many
updates as a member lifecycle has acts (the first with the start, as the API appoints a member),
then ends, so every ratio against it is this service's own cost over the engine's.

The floor is the same workflow whose every update awaits one local activity that does nothing
before it answers: the least any act costs that writes the register before it answers (the
read-your-writes promise, "register writes as local activities" in issue 7), with no register,
no law and no notices. Its ratios against the baseline show, in the same run, how much of a
target the engine itself leaves to the service (bench/RESULTS.md, "Where the cost is").
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow


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


@activity.defn(name="bench-floor-write")
def floor_write(count: int) -> int:
    """In the register write's place: synchronous, on the worker's activity threads, as ours are."""
    return count


@workflow.defn(name="BenchFloor")
class FloorWorkflow(BaselineWorkflow):
    @workflow.run
    async def run(self, acts: int) -> int:
        return await super().run(acts)

    @workflow.update(name="act")
    async def act(self, request: dict) -> int:  # type: ignore[type-arg, override]
        self.count += 1
        return await workflow.execute_local_activity(floor_write, self.count,
                                                     start_to_close_timeout=timedelta(seconds=30))
