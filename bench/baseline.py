"""The baseline, and the floor of the design the issue prescribes.

The baseline is a workflow that accepts bare updates and does nothing else. It takes as many
updates as a member lifecycle has acts (the first with the start, as the API appoints a member),
then ends, so every ratio against it is this service's own cost over the engine's.

The floor is the same workflow whose every update awaits one local activity that inserts one
row into the same register database, with the same engine and driver (exequatur.register.db
`engine_for`), and commits before it answers: the least any act costs that writes the register
before it answers (the read-your-writes promise the design makes of every act), with no law, no
record to read and no notices. Ours against it is the service's own cost (issue 23, item 1); its
ratios against the baseline show how much of a target the engine and the write leave to the
service (bench/RESULTS.md, "Where the cost is"). The bench's own table, not the product's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from temporalio import activity, workflow

FLOOR_TABLE = sa.Table(
    "bench_floor_acts",
    sa.MetaData(),
    sa.Column("act_id", sa.String(64), primary_key=True),
    sa.Column("workflow_id", sa.String(100), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
)


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
    """One row into the register's database and a commit, as an act's write is: synchronous, on
    the worker's activity threads, through the same engine (its pool, pragmas and driver)."""
    from exequatur.core.settings import get_settings
    from exequatur.register.db import engine_for

    engine = engine_for(get_settings().effective_database_url)
    info = activity.info()
    with engine.begin() as conn:
        conn.execute(FLOOR_TABLE.insert().values(
            act_id=f"{info.workflow_id}-{count}-{info.attempt}", workflow_id=info.workflow_id, seq=count,
            recorded_at=datetime.now(UTC)))
    return count


def create_floor_table() -> None:
    from exequatur.core.settings import get_settings
    from exequatur.register.db import engine_for

    FLOOR_TABLE.create(engine_for(get_settings().effective_database_url), checkfirst=True)


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
