"""The declarations themselves: complete, drawn faithfully, and lawful under random acts."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from exequatur.models.common import ActBody, Party
from exequatur.models.lifecycle import Case, Context, mermaid
from exequatur.models.member import MEMBER, Appointment, Member, Person, new_member
from exequatur.models.post import POST, Post
from exequatur.models.profile import Profile
from exequatur.models.relations import RELATIONS

LIFECYCLES = [RELATIONS, POST, MEMBER]


@pytest.mark.parametrize("lifecycle", LIFECYCLES, ids=lambda lc: lc.name)
def test_every_act_has_a_party_an_article_and_known_states(lifecycle):
    states = {s.value for s in lifecycle.states}
    names = [a.name for a in lifecycle.acts]
    assert len(names) == len(set(names)), "an act is declared twice"
    assert sum(a.creates for a in lifecycle.acts) == 1
    for act in lifecycle.acts:
        assert isinstance(act.party, Party)
        assert re.fullmatch(r"VCCR \d+(\(\d+\))?(\([a-z]\))?.*", act.article), act.article
        for route in act.routes:
            assert set(route.sources) <= states and (route.dest is None or route.dest in states)
            for rule_ in route.when:
                assert rule_.article.startswith("VCCR ") and rule_.explanation
    for timer in lifecycle.timers:
        assert lifecycle.act(timer.act) is not None and lifecycle.act(timer.act).automatic


@pytest.mark.parametrize("lifecycle", LIFECYCLES, ids=lambda lc: lc.name)
def test_published_diagram_matches_the_machine(lifecycle):
    """Every edge drawn is declared and every declared edge is drawn, conditions included."""
    drawn = set()
    for line in mermaid(lifecycle).splitlines():
        match = re.match(r"\s*(\S+) --> (\S+): (.+)$", line)
        if match:
            for label in match.group(3).split(" | "):
                trigger, _, conditions = label.partition(" [")
                drawn.add((match.group(1), match.group(2), trigger, conditions.rstrip("]")))
    declared = {
        (t["source"], t["dest"], t["trigger"], " & ".join(c.__name__ for c in t["conditions"]))
        for t in lifecycle.machine_transitions()
    }
    assert drawn == declared


PARTIES = st.sampled_from([Party.SS, Party.RS, Party.TS])
PERIODS = Profile().periods()


class MemberLaw(RuleBasedStateMachine):
    """Random acts by random parties on a member: the Convention's invariants always hold."""

    @initialize(role=st.sampled_from(["head", "officer", "employee", "service"]),
                national=st.sampled_from(["FRA", "WSM", "NZL"]), resident=st.booleans())
    def appoint(self, role, national, resident):
        post = Post(id="P", sending_state="FRA", receiving_state="WSM", seat="Apia", classification="consulate",
                    district="d", headed_by="career", state="open")
        request = Appointment(role=role, category="career", class_="consul" if role in ("head", "officer") else None,
                              person=Person(full_name="X", nationalities=[national], permanent_resident=resident))
        self.case = Case(MEMBER, new_member("M", post, Profile(), request))
        self.today = date(2026, 1, 1)
        self.case.perform("appoint", request, self._ctx("appoint"), creating=True)

    def _ctx(self, act: str) -> Context:
        return Context(act, self.today, datetime.combine(self.today, datetime.min.time(), UTC), PERIODS,
                       act_id=f"{act}-{self.case.record.acts_count}")

    @rule(act=st.sampled_from([a.name for a in MEMBER.acts if not a.creates]), party=PARTIES,
          days=st.integers(0, 40))
    def act(self, act, party, days):
        self.today += timedelta(days=days)
        record: Member = self.case.record
        declared = MEMBER.act(act)
        before = record.model_dump()
        automatic = declared.automatic
        refusal = None if automatic else self.case.decide(act, {party})
        if automatic and not self.case.may(act):
            return
        if act.endswith("period-expired") and automatic:
            deadline = record.departure_deadline if act.startswith("departure") else record.recall_deadline
            self.today = max(self.today, deadline.date())
        if refusal is not None:
            assert record.model_dump() == before, "a refused act changed the record"
            if party is not declared.party:
                assert refusal.status == 403
            return
        samples = {"IgoRepresentation": {"organization": "United Nations"}, "FunctionsEnded": {"ground": "VCCR 27(2), 25"},
                   "Delivery": {"delivered_at": datetime.combine(self.today, datetime.min.time(), UTC)}}
        body = declared.body.model_validate(samples.get(declared.body.__name__, {}))
        if not automatic and self.case.body_refusal(act, body) is not None:
            assert record.model_dump() == before
            return
        self.case.perform(act, body, self._ctx(act))
        record.acts_count += 1

    @invariant()
    def no_duties_before_admission_for_a_head(self):
        m: Member = self.case.record
        if m.role == "head" and m.entered_duties_on is not None:  # VCCR 12(3)
            admitted = [d for d in (m.provisionally_admitted_on, m.exequatur_granted_on) if d]
            assert admitted and min(admitted) <= m.entered_duties_on

    @invariant()
    def privileges_end_no_later_than_departure_or_the_period(self):
        p = self.case.record.privileges  # VCCR 53(3)
        m: Member = self.case.record
        if p.ended_on is not None:
            assert p.began_on is not None and p.began_on <= p.ended_on
            if m.departure_deadline is not None:
                assert p.ended_on <= m.departure_deadline.date()
            if m.departed_on is not None:
                assert p.ended_on <= m.departed_on
        if m.state in ("departed", "period-expired"):
            assert p.ended_on is not None

    @invariant()
    def only_the_23_2_grounds_end_a_recall(self):
        m: Member = self.case.record
        if m.end_ground and "23(2)" in m.end_ground:
            assert m.recall_refused or m.recall_period_expired


MemberLaw.TestCase.settings = settings(max_examples=150, stateful_step_count=25, deadline=None,
                                       suppress_health_check=[HealthCheck.too_slow])
test_member_law = MemberLaw.TestCase
