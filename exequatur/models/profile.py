"""The receiving State's profile: its national law and usage (VCCR 10(2), 20, 22(3), 68)."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field

from exequatur.models.common import Period, Strict


class Profile(Strict):
    """Reasonable periods and choices the Convention leaves to the receiving State."""

    departure_period: Period = Field(timedelta(days=30), description="VCCR 26, 53(3)")
    recall_period: Period = Field(timedelta(days=30), description="VCCR 23(2)")
    custody_response_period: Period = Field(timedelta(days=14), description="VCCR 27")
    staff_notice_period: Period = Field(timedelta(days=14), description="VCCR 19(2)")
    notification_replaces_commission: bool = Field(False, description="VCCR 11(3)")
    receives_honorary: bool = Field(True, description="VCCR 68")
    third_state_nationals_need_consent: bool = Field(False, description="VCCR 22(3)")
    acting_heads_need_consent: bool = Field(
        True,
        description="VCCR 15(2): admission of an acting head who is neither a diplomatic agent nor a "
        "consular officer of the sending State is conditional on consent",
    )
    staff_ceiling: dict[str, int] = Field(default_factory=dict, description="VCCR 20, per post id")
    tie_break: Literal["sending-state-name", "post-id"] = Field(
        "sending-state-name", description="last resort in precedence (VCCR 16, usage)"
    )
    force_of_law: list[str] | None = Field(
        None, description="articles given force of law (Samoa Act s.14(1)); null: all"
    )

    def periods(self) -> dict[str, timedelta]:
        return {
            "departure_period": self.departure_period,
            "recall_period": self.recall_period,
            "custody_response_period": self.custody_response_period,
            "staff_notice_period": self.staff_notice_period,
        }
