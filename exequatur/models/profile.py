"""The receiving State's profile: its national law and usage (VCCR 10(2), 20, 22(3), 68)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pydantic import Field, StrictBool

from exequatur.models.common import Period, Strict


class Profile(Strict):
    """Reasonable periods and choices the Convention leaves to the receiving State."""

    departure_period: Period = Field(timedelta(days=30), description="VCCR 26, 53(3)")
    recall_period: Period = Field(timedelta(days=30), description="VCCR 23(2)")
    custody_response_period: Period = Field(timedelta(days=14), description="VCCR 27")
    staff_notice_period: Period = Field(timedelta(days=14), description="VCCR 19(2)")
    incident_followup_period: Period = Field(
        timedelta(days=90), description="UNGA res. 61/31 para. 11(d): reminders of the reports due"
    )
    notification_replaces_commission: StrictBool = Field(False, description="VCCR 11(3)")
    receives_honorary: StrictBool = Field(True, description="VCCR 68")
    third_state_nationals_need_consent: StrictBool = Field(False, description="VCCR 22(3)")
    acting_heads_need_consent: StrictBool = Field(
        True,
        description="VCCR 15(2): admission of an acting head who is neither a diplomatic agent nor a "
        "consular officer of the sending State is conditional on consent",
    )
    staff_ceiling: dict[str, int] = Field(default_factory=dict, description="VCCR 20, per post id")
    tie_break: Literal["sending-state-name", "post-id"] = Field(
        "sending-state-name", description="last resort in precedence (VCCR 16, usage)"
    )
    force_of_law: list[str] | None = Field(
        None,
        description='the Convention\'s articles ("43") or paragraphs ("41(1)") with force of law in the '
        "receiving State (Samoa Act s.14(1)); a status certificate rests only on these; null: all",
    )
    employee_nationals_official_acts: StrictBool = Field(
        False,
        description="consular employees of a career-headed post who are nationals or permanent residents of the "
        "receiving State have immunity for official acts (Samoa Act s.15; VCCR 71(2) leaves it to the receiving State)",
    )

    def periods(self) -> dict[str, timedelta]:
        return {
            "departure_period": self.departure_period,
            "recall_period": self.recall_period,
            "custody_response_period": self.custody_response_period,
            "staff_notice_period": self.staff_notice_period,
            "incident_followup_period": self.incident_followup_period,
        }

    @classmethod
    def of(cls, state: str, stored: dict[str, Any] | None) -> Profile:
        """A State's profile: what it has set, over what its own law says where the service knows
        that law (`NATIONAL_LAW`), over the Convention's defaults."""
        return cls.model_validate({**NATIONAL_LAW.get(state, {}), **(stored or {})})


# What a receiving State's own statute settles, where the service carries it (docs/domain.md).
NATIONAL_LAW: dict[str, dict[str, Any]] = {
    # Samoa, Diplomatic Privileges and Immunities Act 1978: s.14(1)(a)-(c) (articles with force
    # of law; Art. 58(1)-(3) and Art. 71 as far as the articles they refer to have it) and s.15.
    "WSM": {
        "force_of_law": [
            "1",
            "5",
            "15",
            "17(1)",
            "31(1)",
            "31(2)",
            "31(4)",
            "32",
            "33",
            "35",
            "39",
            "41(1)",
            "41(2)",
            "43",
            "44",
            "45",
            "48",
            "49",
            "50",
            "51",
            "52",
            "53",
            "54",
            "55(2)",
            "55(3)",
            "57(2)",
            "58(1)",
            "58(2)",
            "58(3)",
            "60",
            "61",
            "62",
            "66",
            "67",
            "70(1)",
            "70(2)",
            "70(4)",
            "71",
        ],
        "employee_nationals_official_acts": True,
    },
}
