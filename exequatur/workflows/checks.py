"""The pure checks of an act: may it happen now on this record, by this party, with this body?

Pure: no Temporal, no register. The workflows' update validators and handlers ask them (and
turn what they raise into an `ApplicationError` at the workflow's edge, `workflows/engine.py`),
and the operators' import rehearses a CSV row with them before anything is recorded
(`onboarding/importer.py`). What they raise is the law's answer, not a transport's:

- `Refusal` (models/lifecycle.py): the act may not happen now, with its article, the record's
  state and the acts that may (403, 404 or 409);
- `InvalidInput`: the body is wrong, naming each field (422).

Both may name the act they refuse (`act`), for a refusal among several acts (the import, the
`record-past-acts` update).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from exequatur.models.common import ActBody, Party
from exequatur.models.lifecycle import Act, Case, Context, Refusal


class InvalidInput(Exception):
    """An act's body that does not validate: each error names its field (`loc`). 422 when the
    body is malformed; 409 when it is well formed but conflicts with the record or the day (a
    date before the record's last act or in the future), which no schema can know beforehand."""

    def __init__(self, errors: list[dict[str, Any]], act: str | None = None, status: int = 422) -> None:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) or "body" for e in errors)
        super().__init__(f"Invalid input: {fields}")
        self.message, self.errors, self.act, self.status = str(self), errors, act, status


def refusal_details(refusal: Refusal | InvalidInput) -> dict[str, Any]:
    """What a refusal says to the caller, in one shape for the API's problem+json and the import's
    report: status, article, state and allowed acts, or the bad fields; the act when it names one."""
    if isinstance(refusal, InvalidInput):
        details: dict[str, Any] = {"status": refusal.status, "errors": refusal.errors}
    else:
        details = {
            "status": refusal.status,
            "article": refusal.article,
            "state": refusal.state,
            "allowed_acts": list(refusal.allowed_acts or []),
        }
    if refusal.act is not None:
        details["act"] = refusal.act
    return details


def refuse(refusal: Refusal, case: Case, party: Party) -> Refusal:
    """The refusal with the acts the party may perform instead, unless it already names them."""
    if refusal.allowed_acts is None:
        refusal.allowed_acts = case.allowed([party])
    return refusal


def parse_body(act: Act, body: dict[str, Any]) -> ActBody:
    try:
        return act.body.model_validate(body)
    except ValidationError as exc:
        raise InvalidInput(
            [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors(include_url=False)]
        ) from None


def check_dates(body: ActBody, today: date, last: date | None) -> None:
    """docs/api.md "Dates": an act's dates are never in the future, never before the record's last act."""
    errors = []
    for name, value in body:
        if isinstance(value, date) and not isinstance(value, datetime):
            if value > today:
                errors.append({"loc": [name], "msg": f"{value} is in the future", "type": "date_in_future"})
            if name == "effective_date" and last and value < last:
                errors.append(
                    {
                        "loc": [name],
                        "msg": f"{value} is before the record's last act ({last})",
                        "type": "date_before_last_act",
                    }
                )
    if errors:
        raise InvalidInput(errors, status=409)


def with_facts(case: Case, facts: dict[str, Any]) -> Case:
    """The case as an act sees it: the record with the register's current facts."""
    facts = {k: v for k, v in facts.items() if k in case.lifecycle.facts}
    if all(getattr(case.record, k) == v for k, v in facts.items()):
        return case
    return Case(case.lifecycle, case.record.model_copy(update=facts))


def check_act(case: Case, act: Act, party: Party, body: dict[str, Any], created: bool, today: date) -> ActBody:
    """Everything that decides whether an act may happen now on the case: the party, the state
    and the rules (the declaration), the body and its dates. Raises Refusal or InvalidInput."""
    first = act.creates and not created
    if not first:
        if not created:
            raise Refusal("The record is not created yet", act.article, "none", allowed_acts=[])
        refusal = case.decide(act.name, [party])
        if refusal is not None:
            raise refuse(refusal, case, party)
    elif act.party not in (party, Party.EITHER):
        raise Refusal(f"'{act.name}' belongs to {act.party.value}", act.article, "none", 403, allowed_acts=[])
    parsed = parse_body(act, body)
    check_dates(parsed, today, None if first else case.record.last_effective_date)
    refusal = case.body_refusal(act.name, parsed)
    if refusal is not None:
        raise refuse(refusal, case, party)
    return parsed


def apply_act(case: Case, act: Act, body: ActBody, ctx: Context, creating: bool) -> list[Any]:
    """The act's effect on the record (the declaration's engine) and the record's bookkeeping;
    returns the notices it causes. Raises Refusal."""
    notices = case.perform(act.name, body, ctx, creating=creating)
    record = case.record
    if not act.automatic:  # the service's own acts do not constrain the callers' legal dates
        record.last_effective_date = max(ctx.effective_date, record.last_effective_date or ctx.effective_date)
    record.acts_count += 1
    return notices


def naming(refusal: Refusal | InvalidInput, act: Act) -> Refusal | InvalidInput:
    """The refusal of one of several acts, naming the act (the import names the file's column)."""
    refusal.act = act.name
    return refusal


def rehearse(
    case: Case,
    steps: list[tuple[Act, dict[str, Any], str]],
    created: bool,
    today: date,
    now: datetime,
    periods: dict[str, timedelta],
) -> None:
    """Perform acts (act, body, act id) in order on a copy of a record, each by its own party,
    with every check the workflow makes: a record's past acts are refused before anything is
    recorded (the import's rows and the validator of `record-past-acts`).
    Raises Refusal or InvalidInput naming the act refused."""
    for act, body_input, act_id in steps:
        try:
            body = check_act(case, act, act.party, body_input, created, today)
            ctx = Context(act.name, body.effective_date or today, now, periods, act_id=act_id)
            apply_act(case, act, body, ctx, creating=act.creates and not created)
        except Refusal as refusal:
            raise naming(refuse(refusal, case, act.party), act) from None
        except InvalidInput as invalid:
            raise naming(invalid, act) from None
        created = True
