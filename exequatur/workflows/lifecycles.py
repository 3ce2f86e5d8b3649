"""The lifecycle workflows: each binds one declaration of models/ to the engine, under the
workflow type the registry names (models/kinds.py).

The classes look alike on purpose: the SDK wants `@workflow.init` and `@workflow.run` on
each class itself, and refuses classes made by a factory (local classes).
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from exequatur.models.custody import CUSTODY
    from exequatur.models.household import HOUSEHOLD
    from exequatur.models.incident import INCIDENT
    from exequatur.models.kinds import KINDS
    from exequatur.models.member import MEMBER
    from exequatur.models.messages import StartInput
    from exequatur.models.post import POST
    from exequatur.models.relations import RELATIONS
    from exequatur.workflows.engine import LifecycleWorkflow


@workflow.defn(name=KINDS["relations"].workflow)
class RelationsWorkflow(LifecycleWorkflow):
    """Consular relations between two States (VCCR Art. 2); id `relations-AAA-BBB`."""

    LIFECYCLE = RELATIONS

    @workflow.init
    def __init__(self, start: StartInput) -> None:
        self._setup(start)

    @workflow.run
    async def run(self, start: StartInput) -> None:
        await self._live()


@workflow.defn(name=KINDS["post"].workflow)
class PostWorkflow(LifecycleWorkflow):
    """A consular post from the request for consent (VCCR Art. 4) on; id `post-<id>`."""

    LIFECYCLE = POST

    @workflow.init
    def __init__(self, start: StartInput) -> None:
        self._setup(start)

    @workflow.run
    async def run(self, start: StartInput) -> None:
        await self._live()


@workflow.defn(name=KINDS["member"].workflow)
class MemberWorkflow(LifecycleWorkflow):
    """One member's tenure, appointment to departure (VCCR Arts. 10-26, 53); id `member-<id>`."""

    LIFECYCLE = MEMBER

    @workflow.init
    def __init__(self, start: StartInput) -> None:
        self._setup(start)

    @workflow.run
    async def run(self, start: StartInput) -> None:
        await self._live()


@workflow.defn(name=KINDS["custody"].workflow)
class CustodyWorkflow(LifecycleWorkflow):
    """A third State's custody of a closed post (VCCR 27(1)(b)), proposal to handover; started
    by the post, id `custody-<post id>-C<n>`."""

    LIFECYCLE = CUSTODY

    @workflow.init
    def __init__(self, start: StartInput) -> None:
        self._setup(start)

    @workflow.run
    async def run(self, start: StartInput) -> None:
        await self._live()


@workflow.defn(name=KINDS["household"].workflow)
class HouseholdWorkflow(LifecycleWorkflow):
    """One person of a member's household, notification to departure (VCCR 1(1)(i), 24(1)(b)-(c),
    53(2)-(5)); id `household-<id>`."""

    LIFECYCLE = HOUSEHOLD

    @workflow.init
    def __init__(self, start: StartInput) -> None:
        self._setup(start)

    @workflow.run
    async def run(self, start: StartInput) -> None:
        await self._live()


@workflow.defn(name=KINDS["incident"].workflow)
class IncidentWorkflow(LifecycleWorkflow):
    """A violation reported under UNGA res. 61/31, report to outcome, with its reminders (11(d));
    id `incident-<id>`."""

    LIFECYCLE = INCIDENT

    @workflow.init
    def __init__(self, start: StartInput) -> None:
        self._setup(start)

    @workflow.run
    async def run(self, start: StartInput) -> None:
        await self._live()


# Every kind's workflow class, by kind: the worker registers them, the client starts them.
WORKFLOWS: dict[str, type[LifecycleWorkflow]] = {
    cls.LIFECYCLE.name: cls
    for cls in (RelationsWorkflow, PostWorkflow, MemberWorkflow, CustodyWorkflow, HouseholdWorkflow, IncidentWorkflow)
}
assert set(WORKFLOWS) == set(KINDS), "every kind of models/kinds.py has its workflow class here"
