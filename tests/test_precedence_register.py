"""The consular list (VCCR Art. 16) read from the register's fields (`consular_list_facts`, no
record decoded whole) is the list read from whole records validated by the models: the same
people, in the same order, with the same content, on every date. SQLite always, PostgreSQL when
CONSULAR_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from exequatur.api import consular_list
from exequatur.register.precedence import consular_list_facts
from exequatur.models.common import Person
from exequatur.models.member import HEAD_CLASSES, Member
from exequatur.models.post import ActingHead, OfficerOrder, Post
from exequatur.models.precedence import listed_on, order
from exequatur.models.profile import Profile
from exequatur.register import queries
from exequatur.models.messages import ActEntry
from exequatur.register.queries import record_act

START = date(2024, 1, 1)
SENDING = ["FRA", "JPN", "AUS", "USA", "DEU", "NZL", "GBR"]


def corps(engine: sa.Engine, receiving_state: str, posts: int, rnd: random.Random) -> None:
    """Posts and members of every kind the list reads: heads admitted provisionally or by
    exequatur or not yet, ended functions, officers with and without an Art. 21 order, staff,
    acting heads consented, awaiting consent and ended, members with their own seat, diplomatic
    acts, a member whose post is not in the register, names that need escaping."""
    now = datetime.now(UTC)

    def day() -> date:
        return START + timedelta(days=rnd.randrange(60))

    def put(kind: str, record: Post | Member) -> None:
        record_act(engine, ActEntry(act_id=f"{record.id}:seed", kind=kind, record_id=record.id, act="seed",
                                    party="SS", principal="test", article="-", effective_date=START,
                                    recorded_at=now, body={}, document=record.model_dump(mode="json", by_alias=True)))

    for i in range(posts):
        ss = rnd.choice(SENDING)
        acting = [ActingHead(person=Person(full_name=f"Acting {i}-{k}", nationalities=[ss]), assumed_on=day(),
                             notified_on=day(), notified_by="head-of-post", is_diplomatic_agent=False,
                             is_consular_officer=True, consent_required=rnd.random() < 0.4,
                             consented_on=rnd.choice([None, day()]), ended_on=rnd.choice([None, None, day()]))
                  for k in range(rnd.choice([0, 0, 1, 2]))]
        ids = [f"M-{receiving_state}-{i:04d}-{j}" for j in range(rnd.choice([1, 1, 2, 4]))]
        orders = sorted((OfficerOrder(order=rnd.sample(ids, max(1, len(ids) - rnd.choice([0, 1]))),
                                      notified_by="head-of-post", on=day()) for _ in range(rnd.choice([0, 1, 2]))),
                        key=lambda o: o.on)
        post = Post(id=f"{ss}-{receiving_state}-{i:05d}", sending_state=ss, receiving_state=receiving_state,
                    seat=f"Seat {rnd.randrange(20)}", classification="consulate", district="d", headed_by="career",
                    state="open", acting_head=acting[-1] if acting and rnd.random() < 0.5 else None,
                    past_acting_heads=acting[:-1], officer_order=orders)
        put("post", post)
        for j, member_id in enumerate(ids):
            role = "head" if j == 0 else rnd.choice(["officer", "officer", "employee", "head"])
            put("member", Member(
                id=member_id, post_id=post.id if rnd.random() > 0.03 else "NOT-IN-THE-REGISTER", sending_state=ss,
                receiving_state=receiving_state, role=role, category=rnd.choice(["career", "career", "honorary"]),
                class_=rnd.choice(HEAD_CLASSES) if role == "head" else None,
                person=Person(full_name=rnd.choice([f"Name {rnd.randrange(30)}", 'Zoë O\'Brien "Jr" \\ 李']),
                              nationalities=[ss]),
                seat=rnd.choice([None, f"Own seat {j}"]), state="admitted",
                provisionally_admitted_on=rnd.choice([None, day()]), exequatur_granted_on=rnd.choice([None, day()]),
                instrument_presented_on=rnd.choice([None, day(), START]), entered_duties_on=rnd.choice([None, day()]),
                functions_ended_on=rnd.choice([None, None, None, day()]),
                diplomatic_acts=rnd.choice([None, None, "authorized", "consented"])))


@pytest.mark.parametrize("tie_break", ["sending-state-name", "post-id"])
def test_the_list_from_the_registers_fields_is_the_list_from_whole_records(engine, tie_break):
    rnd = random.Random(tie_break)
    corps(engine, "FJI", 150, rnd)
    corps(engine, "WSM", 20, rnd)  # another receiving State's corps is not on Fiji's list
    queries.put_profile(engine, "FJI", Profile(tie_break=tie_break).model_dump(mode="json"))
    whole_members = [Member.model_validate(d) for d in queries.list_records(
        engine, "member", receiving_state="FJI", role=("head", "officer"))]
    whole_posts = [Post.model_validate(d) for d in queries.list_records(engine, "post", receiving_state="FJI")]

    members, posts, profile = consular_list_facts(engine, "FJI")
    assert profile.tie_break == tie_break
    assert [m.id for m in members] == [m.id for m in whole_members]
    seen: set[str] = set()
    for days in range(0, 70, 3):
        on = START + timedelta(days=days)
        entries = order(listed_on(members, posts, on), tie_break)
        expected = order(listed_on(whole_members, whole_posts, on), tie_break)
        assert entries == expected
        assert json.dumps(consular_list.as_json("FJI", on, entries)) == json.dumps(
            consular_list.as_json("FJI", on, expected))
        assert consular_list.as_csv(entries) == consular_list.as_csv(expected)
        assert consular_list.as_html("FJI", on, entries) == consular_list.as_html("FJI", on, expected)
        seen |= {e.standing for e in entries} | {"tie" for e in entries if e.tie_break} | {
            "escaped" for e in entries if "\\" in e.full_name} | {"own seat" for e in entries if "Own" in e.seat} | {
            "position" for e in entries if e.officer_position is not None}
    assert seen == {"head", "acting", "officer", "tie", "escaped", "own seat", "position"}  # every case met
