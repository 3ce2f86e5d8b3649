"""A consular corps of any size for the benchmark and the tests: `n_posts` posts of several
sending States in one receiving State, each with a head (commission, provisional admission for
some, exequatur, arrival, duties) and staff. Deterministic: the same arguments give the same rows,
so a second import of them changes nothing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

SENDING_STATES = (
    "AUS",
    "NZL",
    "JPN",
    "CHN",
    "USA",
    "GBR",
    "DEU",
    "ITA",
    "KOR",
    "IND",
    "CAN",
    "NLD",
    "SWE",
    "NOR",
    "CHL",
    "MEX",
    "BRA",
    "ESP",
    "PRT",
    "IRL",
    "SGP",
    "IDN",
    "PHL",
    "THA",
    "MYS",
)
CLASSES = (
    ("consulate-general", "consul-general"),
    ("consulate", "consul"),
    ("vice-consulate", "vice-consul"),
    ("consular-agency", "consular-agent"),
)
STAFF_ROLES = ("officer", "employee", "service")


def example_corps(
    n_posts: int, members_per_post: int = 3, receiving_state: str = "WSM", tag: str = "corps"
) -> list[dict[str, Any]]:
    """Rows with the import file's columns (onboarding.rows.COLUMNS). `tag` prefixes the posts'
    keys: another tag gives another corps (new records), the same tag the same one."""
    start = date(2015, 1, 5)
    rows: list[dict[str, Any]] = []
    for i in range(n_posts):
        sending = SENDING_STATES[i % len(SENDING_STATES)]
        if sending == receiving_state:
            sending = "FJI"
        classification, head_class = CLASSES[i % len(CLASSES)]
        requested = start + timedelta(days=i % 200)
        consented = requested + timedelta(days=30)
        key = f"{tag}-{i:05d}"
        rows.append(
            {
                "record": "post",
                "post": key,
                "sending_state": sending,
                "receiving_state": receiving_state,
                "seat": f"Seat {i}",
                "classification": classification,
                "district": f"District {i}",
                "headed_by": "career",
                "requested_on": requested.isoformat(),
                "consented_on": consented.isoformat(),
                "relations_since": start.isoformat(),
                "ss_diplomatic_mission": "yes" if i % len(SENDING_STATES) % 2 == 0 else "no",
            }
        )
        for j in range(members_per_post):
            appointed = consented + timedelta(days=10 + j)
            member: dict[str, Any] = {
                "record": "member",
                "post": key,
                "category": "career",
                "full_name": f"Member {i}-{j}",
                "nationalities": sending,
                "appointed_on": appointed.isoformat(),
            }
            if j == 0:
                presented = appointed + timedelta(days=5)
                exequatur = presented + timedelta(days=20 + i % 50)
                member.update(
                    role="head",
                    **{"class": head_class},
                    commission_presented_on=presented.isoformat(),
                    exequatur_on=exequatur.isoformat(),
                    arrived_on=(exequatur + timedelta(days=3)).isoformat(),
                    entered_duties_on=(exequatur + timedelta(days=4)).isoformat(),
                )
                if i % 3 == 0:  # 16(2): admitted provisionally first, that date kept
                    member["provisionally_admitted_on"] = (presented + timedelta(days=7)).isoformat()
            else:
                role = STAFF_ROLES[(j - 1) % len(STAFF_ROLES)]
                member.update(
                    role=role,
                    arrived_on=(appointed + timedelta(days=40)).isoformat(),
                    entered_duties_on=(appointed + timedelta(days=41)).isoformat(),
                )
                if role == "officer":  # notified with his class (VCCR 19(2))
                    member["class"] = "vice-consul"
            rows.append(member)
    return rows
