"""How a lifecycle is declared, and the one engine that executes every declaration.

A lifecycle is data: states, and acts that each name the party the Convention gives them
to, the article, the routes (source states, destination, conditions) and the act's effect
on the record. `transitions` executes it; the workflows, the API's `allowed_acts` and
403/409 decisions, `/v1/lifecycles`, the diagrams and the tests all read the same object.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from transitions import EventData, Machine

from exequatur.models.common import ActBody, Notice, Party

# transitions logs from inside workflow code and is not replay-aware (docs/design.md).
logging.getLogger("transitions").setLevel(logging.WARNING)

R = TypeVar("R", bound=BaseModel)


@dataclass(frozen=True)
class Rule:
    """A condition of an act, with the article that imposes it and words for a refusal."""

    name: str
    article: str
    explanation: str
    holds: Callable[[Any], bool]


@dataclass(frozen=True)
class Route:
    """From which states an act leads where (``dest=None``: the state stays)."""

    sources: tuple[str, ...]
    dest: str | None = None
    when: tuple[Rule, ...] = ()
    # Where the act's body picks the destination (e.g. `close` temporary or permanent).
    when_body: Callable[[Any], bool] | None = None


# Readings of the law that changed what an act's effect records, by name, each with why. An effect
# asks `ctx.revisions`; the engine passes the revisions a workflow's history asked for.
REVISIONS: dict[str, str] = {
    "recall-period-from-declaration": "VCCR 23(2): the period to recall runs from when the declaration is made, "
    "never from an earlier legal date, so it cannot have run out before it is known",
    "relations-by-proposal": "VCCR 2(1): consular relations by mutual consent are a proposal the other "
    "State accepts; after a severance they come back only that way",
    "household-windows": "VCCR 53(3), 53(5): when a member's functions end, his household is told and runs "
    "its own window",
    "post-changes-reach-members": "VCCR 4(3), 14: a consented change of seat or district reaches the post's "
    "members, and the district authorities of the new district are told of the head's admission",
}


@dataclass
class Context:
    """What an act's effect may read besides the record: its legal date and the law."""

    act: str
    effective_date: date
    now: datetime
    periods: dict[str, timedelta] = field(default_factory=dict)
    act_id: str = ""  # the act's stable id (its update id): notices caused by it are named after it
    # The State that performs the act, where the act's effect depends on which State of a pair
    # it is (a relations pair acts as either State); None for the service's own acts.
    actor: str | None = None
    # The revisions of the law (`REVISIONS`) this record's lifecycle runs under: a workflow started
    # before a revision keeps the old reading, so that its history replays (workflows/engine.py).
    revisions: frozenset[str] = frozenset(REVISIONS)


Effect = Callable[[Any, Any, Context], list[Notice] | None]


@dataclass(frozen=True)
class Tell:
    """After the act, perform `act` (automatic) on other records: the one whose id is in
    `field`, or every record of `kind` the register finds with `related(record)` (a fan-out,
    e.g. a closed post ends its members' functions)."""

    kind: str
    act: str
    field: str | None = None
    related: Callable[[Any], dict[str, Any]] | None = None
    when: Callable[[Any], bool] = lambda record: True
    body: Callable[[Any], dict[str, Any]] = lambda record: {"member_id": record.id}
    # Where `when` was narrowed: the condition before, which histories recorded then replay with
    # (workflows/engine.py asks a patch, TELL_NARROWED, where the two differ).
    formerly: Callable[[Any], bool] | None = None
    # A tell added to an act after histories of it were recorded: the revision of the law
    # (`REVISIONS`) under which it is sent; older histories replay without it.
    since: str | None = None


@dataclass(frozen=True)
class Start:
    """After the act, start the lifecycle of a new record of `kind` built by `record(...)`."""

    kind: str
    record: Callable[[Any], BaseModel]
    when: Callable[[Any], bool] = lambda record: True


@dataclass(frozen=True)
class Act:
    name: str
    party: Party
    article: str
    summary: str
    routes: tuple[Route, ...]
    body: type[ActBody] = ActBody
    effect: Effect | None = None
    automatic: bool = False  # performed by the service (a timer, a delivery), never by a caller
    creates: bool = False  # the act that brings the record into existence
    periods: tuple[str, ...] = ()  # profile periods the effect needs (e.g. "departure_period")
    # A rule that reads the act's body too: returns (article, explanation) when it fails.
    admissible: Callable[[Any, Any], tuple[str, str] | None] | None = None
    tells: Tell | tuple[Tell, ...] | None = None  # one record told, or several kinds in order
    starts: Start | None = None
    # Revisions of the law (`REVISIONS`) the effect reads: asked for as patches when the act is performed.
    revisions: tuple[str, ...] = ()

    @property
    def all_tells(self) -> tuple[Tell, ...]:
        if self.tells is None:
            return ()
        return self.tells if isinstance(self.tells, tuple) else (self.tells,)


@dataclass(frozen=True)
class Timer:
    """A durable deadline: when the record's ``field`` passes, ``act`` is performed."""

    field: str
    act: str
    article: str
    label: str


@dataclass(frozen=True)
class Lifecycle(Generic[R]):
    name: str
    title: str
    states: type[StrEnum]
    record: type[R]
    acts: tuple[Act, ...]
    timers: tuple[Timer, ...] = ()
    final: Callable[[Any], bool] = lambda record: False
    # Acts of this party are notified to this recipient under this article (e.g. Art. 24(1)).
    notify: tuple[Party, str, str] | None = None
    # Deliveries the record itself records, by an automatic act: (recipient, act), e.g. R14's
    # "records when" the district authorities were notified. The relay tells the workflow.
    reports: tuple[tuple[str, str], ...] = ()
    # Record fields that are facts of other records (the relations pair, the profile): the
    # API reads them from the register and sends them with each act, the workflow applies them.
    facts: tuple[str, ...] = ()

    def act(self, name: str) -> Act | None:
        return next((a for a in self.acts if a.name == name), None)

    def must_act(self, name: str) -> Act:
        """An act the declaration is known to have (a name it gave itself)."""
        found = self.act(name)
        if found is None:
            raise KeyError(f"no act '{name}' in the {self.name} lifecycle")
        return found

    @property
    def creation(self) -> Act:
        return next(a for a in self.acts if a.creates)

    def machine_transitions(self) -> list[dict[str, Any]]:
        """The declaration in the form `transitions` takes (conditions read the record)."""
        out = []
        for act in self.acts:
            for route in act.routes:
                for source in route.sources:
                    out.append(
                        {
                            "trigger": act.name,
                            "source": source,
                            "dest": route.dest or source,
                            "conditions": [_condition(rule) for rule in route.when]
                            + ([_body_condition(route.when_body)] if route.when_body else []),
                        }
                    )
        return out


def _condition(rule: Rule) -> Callable[[Any], bool]:
    def check(event: Any) -> bool:
        return bool(rule.holds(event.model.record))

    check.__name__ = rule.name
    return check


def _body_condition(predicate: Callable[[Any], bool]) -> Callable[[Any], bool]:
    def by_body(event: Any) -> bool:
        body = event.kwargs.get("body")
        return body is None or bool(predicate(body))  # without a body (allowed_acts): any route

    by_body.__name__ = "body"
    return by_body


class Refusal(Exception):
    """An act that may not happen now, with the article and state that say why."""

    def __init__(
        self,
        detail: str,
        article: str,
        state: str,
        status: int = 409,
        *,
        allowed_acts: list[str] | None = None,
        act: str | None = None,
    ):
        super().__init__(detail)
        self.detail, self.article, self.state, self.status = detail, article, state, status
        # The acts the caller may perform instead (None: not yet asked, workflows/checks.py `refuse`)
        # and, where one of several acts is refused (the import), which.
        self.allowed_acts, self.act = allowed_acts, act


_MACHINES: dict[int, tuple[Lifecycle[Any], Machine]] = {}


def machine_of(lifecycle: Lifecycle[Any]) -> Machine:
    """One machine per lifecycle, shared by every Case of it (every workflow, every API call):
    building a Machine is costly, and the workflows would build one per record and per act. The
    machine holds no model; each Case is moved through it."""
    found = _MACHINES.get(id(lifecycle))
    if found is None or found[0] is not lifecycle:
        machine = Machine(
            model=None,
            states=[s.value for s in lifecycle.states],
            transitions=lifecycle.machine_transitions(),
            initial=None,
            auto_transitions=False,
            send_event=True,
            model_attribute="machine_state",
        )
        found = _MACHINES[id(lifecycle)] = (lifecycle, machine)
    return found[1]


class Case:
    """One record driven by its lifecycle's machine (``record.state`` is the machine state)."""

    def __init__(self, lifecycle: Lifecycle[Any], record: Any):  # an instance of `lifecycle.record`
        self.lifecycle = lifecycle
        self.record: Any = record
        self.machine = machine_of(lifecycle)
        self.machine_state = str(record.state)  # as Machine(initial=...) would set it

    def trigger(self, act: str, **kwargs: Any) -> bool:
        """Move the record by the act's transition (conditions checked, as `may` checks them)."""
        return bool(self.machine.events[act].trigger(self, **kwargs))

    # transitions keeps its state on `machine_state`; the record is the truth.
    @property
    def machine_state(self) -> str:
        return str(self.record.state)

    @machine_state.setter
    def machine_state(self, value: str) -> None:
        if hasattr(self, "record"):
            self.record.state = self.lifecycle.states(value)

    def may(self, act: str) -> bool:
        """Whether the act has a route from the record's state whose conditions hold: what
        `transitions`' `may_<act>()` answers, without its scan of every event of the machine."""
        event = self.machine.events.get(act)  # a creating act has no transition to check
        routes = event.transitions.get(str(self.record.state)) if event is not None else None
        if not routes:
            return False
        data = EventData(self.machine.get_model_state(self), event, self.machine, self, (), {})
        for transition in routes:
            data.transition = transition
            if all(condition.check(data) for condition in transition.conditions):
                return True
        return False

    def allowed(self, parties: Iterable[Party]) -> list[str]:
        parties = set(parties)
        return [
            a.name
            for a in self.lifecycle.acts
            if not a.automatic and not a.creates and _party_matches(a.party, parties) and self.may(a.name)
        ]

    def refusal(self, act_name: str) -> Refusal:
        """Why an act cannot happen now: the first unmet rule, else the act's own article."""
        act = self.lifecycle.act(act_name)
        state = str(self.record.state)
        assert act is not None
        routes = [r for r in act.routes if state in r.sources]
        if not routes:
            return Refusal(
                f"'{act.name}' ({act.article}) is not possible while the record is '{state}'.",
                act.article,
                state,
            )
        for route in routes:
            for rule in route.when:
                if not rule.holds(self.record):
                    return Refusal(f"{rule.explanation} ({rule.article}).", rule.article, state)
        return Refusal(f"'{act.name}' is not possible now ({act.article}).", act.article, state)

    def decide(self, act_name: str, parties: Iterable[Party]) -> Refusal | None:
        """Whether a caller holding `parties` may perform the act now; None if so.

        One decision for the API (before it calls Temporal) and the workflow's validator.
        """
        act = self.lifecycle.act(act_name)
        state = str(self.record.state)
        if act is None:
            return Refusal(f"No act '{act_name}' in the {self.lifecycle.name} lifecycle", "", state, status=404)
        if not party_may_perform(act, parties):
            who = "the service itself" if act.automatic else PARTY_NAMES[act.party]
            return Refusal(f"'{act.name}' is an act of {who} ({act.article})", act.article, state, status=403)
        if not self.may(act_name):
            return self.refusal(act_name)
        return None

    def body_refusal(self, act_name: str, body: ActBody) -> Refusal | None:
        """The act's rule on its body against the record (e.g. who may notify, 15(2))."""
        act = self.lifecycle.act(act_name)
        failed = act.admissible(self.record, body) if act and act.admissible else None
        return Refusal(f"{failed[1]} ({failed[0]}).", failed[0], str(self.record.state)) if failed else None

    def perform(self, act_name: str, body: ActBody, ctx: Context, creating: bool = False) -> list[Notice]:
        """Apply an act to the record: the machine moves the state, the effect records facts.

        `creating`: the creation act on a new record, which has no source state to leave.
        """
        act = self.lifecycle.act(act_name)
        if act is None or not (creating or self.may(act_name)):
            raise self.refusal(act_name)
        if not creating:
            self.trigger(act_name, body=body)
        notices = list(act.effect(self.record, body, ctx) or []) if act.effect else []
        if self.lifecycle.notify and act.party is self.lifecycle.notify[0]:
            _, recipient, article = self.lifecycle.notify
            notices.insert(0, notice(self.record, ctx, recipient, article))
        return notices


def notice(record: Any, ctx: Context, recipient: str, article: str) -> Notice:
    """A notification caused by the act in `ctx`; its id is stable across retries."""
    return Notice(
        id=f"{record.id}-{hashlib.sha256(ctx.act_id.encode()).hexdigest()[:10]}-{recipient}",
        recipient=recipient,
        article=article,
        record_id=record.id,
        act=ctx.act,
        state=str(record.state),
        receiving_state=str(getattr(record, "receiving_state", "")),
        subject={
            "post_id": getattr(record, "post_id", None),
            "role": getattr(record, "role", None),
            "effective_date": ctx.effective_date.isoformat(),
        },
    )


PARTY_NAMES = {
    Party.SS: "the sending State",
    Party.RS: "the receiving State",
    Party.TS: "a third State",
    Party.EITHER: "either State",
    Party.OTHER: "the State the proposal is addressed to",
    Party.ANY: "any State",
}


def _party_matches(declared: Party, parties: set[Party]) -> bool:
    return declared in parties or (declared is Party.EITHER and bool(parties))


def party_may_perform(act: Act, parties: Iterable[Party]) -> bool:
    return not act.automatic and _party_matches(act.party, set(parties))


def mermaid(lifecycle: Lifecycle[Any]) -> str:
    """The published diagram, drawn by transitions from the same declaration."""
    from transitions.extensions import GraphMachine

    class _Model:
        pass

    model = _Model()
    creation = lifecycle.creation
    GraphMachine(
        model=model,
        states=[s.value for s in lifecycle.states],
        transitions=[
            {**t, "conditions": [r.__name__ for r in t["conditions"]]} for t in lifecycle.machine_transitions()
        ],
        initial=creation.routes[0].dest,
        auto_transitions=False,
        graph_engine="mermaid",
        title=lifecycle.title,
        show_conditions=True,
    )
    # transitions' GraphMachine adds get_graph to the model at run time; its stubs cannot say so.
    return str(model.get_graph().draw(None))  # type: ignore[attr-defined]
