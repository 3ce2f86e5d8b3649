"""Cost growth with the register (issue 23, item 2): an act's trip to the register and the
consular list, with every consular post of every State recorded (100,000 members, 1,000,000
acts) against a corps of 1,000 members, on SQLite and on PostgreSQL; and the query plans
(EXPLAIN) of what an act and the list read.

The measured State's corps is the same at both sizes (`MEASURED` posts and members in Fiji,
recorded through `record_acts` as the service records them); the rest of the world is filler
loaded in bulk, rows shaped as the register's own. What grows is only what the queries must
not read: a ratio near 1 means every read finds its rows by an index.

Run alone with `python -m bench.scale [--quick] [--postgres URL]`; `make bench` runs it as
item 8.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from exequatur.api.auth import Principal
from exequatur.api.service import _act_reads, _current_view_reads
from exequatur.models.common import ALPHA3, Person
from exequatur.models.member import HEAD_CLASSES, Member
from exequatur.models.messages import ActEntry
from exequatur.models.post import Post
from exequatur.register import queries
from exequatur.register.db import engine_for, migrate
from exequatur.register.precedence import consular_list_entries
from exequatur.register.schema import acts, notifications, records

MEASURED_STATE = "FJI"
MEASURED_POSTS = 20
MEASURED_MEMBERS = 500  # 25 a post: the head and officers, as the list reads them
ACTS_PER_MEMBER = 10  # 100,000 members: 1,000,000 acts
STATES = sorted(ALPHA3 - {MEASURED_STATE})
CHUNK = 5_000


def _post(i: int, sending: str, receiving: str) -> Post:
    return Post(id=f"P-{sending}-{receiving}-{i:07d}", sending_state=sending, receiving_state=receiving,
                seat=f"Seat {i}", classification="consulate", district="d", headed_by="career", state="open")


def _member(i: int, post: Post) -> Member:
    admitted = date(2020, 1, 1) + timedelta(days=i % 900)
    head = i % 25 == 0
    return Member(id=f"M-{i:08d}", post_id=post.id, sending_state=post.sending_state,
                  receiving_state=post.receiving_state, role="head" if head else "officer", category="career",
                  class_=HEAD_CLASSES[i % 4],
                  person=Person(full_name=f"Person {i}", nationalities=[post.sending_state]),
                  state="admitted", exequatur_granted_on=admitted, precedence_date=admitted,
                  instrument_presented_on=admitted - timedelta(days=i % 5), acts_count=ACTS_PER_MEMBER)


def _rows(kind: str, document: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {"id": document["id"], "kind": kind, "sending_state": document.get("sending_state"),
            "receiving_state": document.get("receiving_state"), "post_id": document.get("post_id"),
            "role": document.get("role"), "member_id": None, "state": str(document["state"]),
            "document": document, "updated_at": now}


def _acts(document: dict[str, Any], now: datetime) -> Iterator[dict[str, Any]]:
    for seq in range(1, ACTS_PER_MEMBER + 1):
        yield {"act_id": f"{document['id']}:{seq}", "record_id": document["id"], "record_seq": seq,
               "act": "seed", "party": "SS", "principal": "bench", "state_code": str(document["state"]),
               "article": "VCCR 10(1)", "effective_date": date(2020, 1, 1), "recorded_at": now, "body": {},
               "document": document}


def _flush(engine: Engine, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        with engine.begin() as conn:
            conn.execute(table.insert(), rows)
        rows.clear()


def load_world(engine: Engine, members: int) -> None:
    """Filler members (each with its acts and a delivered notice) over posts in every State but
    the measured one, in bulk: 25 members a post, posts spread over every pair of States."""
    now = datetime.now(UTC)
    pending: dict[str, list[dict[str, Any]]] = {"records": [], "acts": [], "notifications": []}
    tables = {"records": records, "acts": acts, "notifications": notifications}
    post: Post | None = None
    for i in range(members):
        if i % 25 == 0:
            k, n = i // 25, len(STATES)  # the k-th post: every sending State in turn, in another State each round
            post = _post(k, STATES[k % n], STATES[(k + 1 + k // n) % n])
            pending["records"].append(_rows("post", post.model_dump(mode="json", by_alias=True), now))
        assert post is not None
        document = _member(1_000_000 + i, post).model_dump(mode="json", by_alias=True)
        pending["records"].append(_rows("member", document, now))
        pending["acts"].extend(_acts(document, now))
        pending["notifications"].append({
            "id": f"{document['id']}-0001-foreign-ministry", "record_id": document["id"],
            "recipient": "foreign-ministry", "article": "VCCR 24(1)(a)", "document": {}, "created_at": now,
            "delivered_at": now, "channel": "outbox", "attempts": 1, "reported_at": now})
        if len(pending["acts"]) >= CHUNK:
            for name, rows in pending.items():
                _flush(engine, tables[name], rows)
    for name, rows in pending.items():
        _flush(engine, tables[name], rows)


def load_measured(engine: Engine) -> list[str]:
    """The measured State's corps, recorded as the service records it (`record_acts`)."""
    now = datetime.now(UTC)
    ids = []
    for p in range(MEASURED_POSTS):
        post = _post(p, STATES[p % len(STATES)], MEASURED_STATE)
        document = post.model_dump(mode="json", by_alias=True)
        queries.record_act(engine, ActEntry(act_id=f"{post.id}:seed", kind="post", record_id=post.id, act="seed",
                                            party="SS", principal="bench", article="VCCR 4(1)",
                                            effective_date=date(2020, 1, 1), recorded_at=now, body={},
                                            document=document))
        for m in range(MEASURED_MEMBERS // MEASURED_POSTS):
            member = _member(p * 1000 + m, post).model_dump(mode="json", by_alias=True)
            queries.record_acts(engine, [ActEntry(
                act_id=f"{member['id']}:{seq}", kind="member", record_id=member["id"], act="seed", party="SS",
                principal="bench", article="VCCR 10(1)", effective_date=date(2020, 1, 1), recorded_at=now,
                body={}, document=member) for seq in range(1, ACTS_PER_MEMBER + 1)])
            ids.append(member["id"])
    return ids


def act_trip(engine: Engine, member_id: str, seq: int) -> float:
    """What an act costs the register, as the service makes the trip: the API's reads before it
    (`_act_reads`), the activity's write (`record_act`), the API's reads for the answer."""
    started = time.perf_counter()
    principal = Principal(name="state:FJI", state=MEASURED_STATE)
    record, *_ = _act_reads(engine, principal, "member", member_id, True, f"trip-{member_id}-{seq}")
    assert record is not None
    queries.record_act(engine, ActEntry(
        act_id=f"trip-{member_id}-{seq}", kind="member", record_id=member_id, act="note", party="RS",
        principal="state:FJI", article="VCCR 24(1)", effective_date=date.today(), recorded_at=datetime.now(UTC),
        body={}, document=record))
    _current_view_reads(engine, "member", member_id, principal)
    return time.perf_counter() - started


def measure(url: str, members: int, trips: int, repeats: int) -> dict[str, float]:
    engine = engine_for(url)
    ids = load_measured(engine)
    started = time.perf_counter()
    load_world(engine, members - MEASURED_MEMBERS)
    loaded = time.perf_counter() - started
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))
    for i in range(10):  # warm the pool and the caches
        act_trip(engine, ids[i], 0)
    samples = [act_trip(engine, ids[(i * 7) % len(ids)], 1 + i) for i in range(trips)]
    lists = []
    for _ in range(repeats):
        began = time.perf_counter()
        entries = consular_list_entries(engine, MEASURED_STATE, date.today())
        lists.append(time.perf_counter() - began)
    assert len(entries) == MEASURED_MEMBERS
    with engine.connect() as conn:
        counted = conn.execute(sa.select(sa.func.count()).select_from(acts)).scalar_one()
    return {"trip_p50": statistics.median(samples), "list": statistics.median(lists), "acts": counted,
            "load_s": loaded}


def plans(url: str) -> str:
    """EXPLAIN of the reads an act and the list make, as the database plans them at scale."""
    engine = engine_for(url)
    member_id = f"M-{0:08d}"
    statements = {
        "a record by id (get_record)": queries._RECORD_OF_KIND.params(record_id=member_id, kind="member"),
        "a record's acts (acts_of)": queries._ACTS_OF.params(record_id=member_id),
        "an act by its update id (act_by_id, the write's idempotence)": queries._ACT_RECORDED.params(act_id="x"),
        "a record's last act (the write's record_seq)": queries._LAST_RECORD_SEQ.params(record_id=member_id),
        "a post's heads in functions (facts: another head in functions)": queries._HEADS_IN_FUNCTIONS.params(
            post_id="P-1"),
        "a sending State's open posts in a receiving State (facts: 27(2)(a))": queries._OPEN_POSTS_OF_PAIR.params(
            sending_state="FRA", receiving_state=MEASURED_STATE),
        "the list's members in a State (consular_list_rows)": sa.select(records.c.id).where(
            records.c.kind == "member", records.c.receiving_state == MEASURED_STATE,
            records.c.role.in_(("head", "officer"))),
        "the relay's pending notices": sa.select(notifications.c.id).where(
            notifications.c.delivered_at.is_(None)).order_by(notifications.c.created_at).limit(50),
    }
    out = []
    with engine.connect() as conn:
        for what, statement in statements.items():
            sql = str(statement.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
            prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
            rows = conn.execute(sa.text(prefix + sql)).all()
            plan = [str(r[-1]) for r in rows]
            out.append(f"- {what}: " + "; ".join(p.strip() for p in plan))
    return "\n".join(out)


def run(small: int, large: int, trips: int, repeats: int, postgres: str | None) -> dict[str, Any]:
    """Each size in its own fresh database: SQLite files in a scratch folder; on PostgreSQL, a
    scratch schema of the given server (dropped after)."""
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        backends = {"SQLite": lambda n: f"sqlite:///{Path(folder) / f'scale-{n}.sqlite3'}"}
        if postgres:
            backends["PostgreSQL"] = lambda n: _pg_database(postgres, f"exequatur_scale_{n}")
        for name, url_of in backends.items():
            figures, urls = {}, {n: url_of(n) for n in (small, large)}
            for n, url in urls.items():
                migrate(url)
                figures[n] = measure(url, n, trips, repeats)
            results[name] = {"small": figures[small], "large": figures[large], "plans": plans(urls[large])}
            if name == "PostgreSQL":
                for n in (small, large):
                    engine_for(url_of(n)).dispose()
                    _pg_drop(postgres or "", f"exequatur_scale_{n}")
    return results


def _pg_database(server: str, name: str) -> str:
    admin = sa.create_engine(server.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.rsplit("/", 1)[0] + "/" + name


def _pg_drop(server: str, name: str) -> None:
    admin = sa.create_engine(server.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def postgres_answering(url: str) -> bool:
    try:
        engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"),
                                  connect_args={"connect_timeout": 2})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - no server: the bench reports SQLite only
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1,000 and 4,000 members")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    postgres = args.postgres if postgres_answering(args.postgres) else None
    result = run(1_000, 4_000 if args.quick else 100_000, 50 if args.quick else 200, 3 if args.quick else 5, postgres)
    for name, figures in result.items():
        small, large = figures["small"], figures["large"]
        print(f"{name}: act trip p50 {small['trip_p50'] * 1000:.2f} -> {large['trip_p50'] * 1000:.2f} ms "
              f"({large['trip_p50'] / small['trip_p50']:.2f}); list {small['list'] * 1000:.1f} -> "
              f"{large['list'] * 1000:.1f} ms ({large['list'] / small['list']:.2f}); acts {large['acts']:,}; "
              f"loaded in {large['load_s']:.0f} s")
        print(figures["plans"])


if __name__ == "__main__":
    main()
