"""Request arguments of OAI-PMH: which verbs take which, UTC dates, and protocol errors."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

# The two granularities OAI-PMH allows, in ASCII digits only.
DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
SECOND = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\Z")

VERBS = {
    "Identify": {"required": set(), "optional": set(), "exclusive": None},
    "ListMetadataFormats": {"required": set(), "optional": {"identifier"}, "exclusive": None},
    "ListSets": {"required": set(), "optional": set(), "exclusive": "resumptionToken"},
    "GetRecord": {
        "required": {"identifier", "metadataPrefix"},
        "optional": set(),
        "exclusive": None,
    },
    "ListIdentifiers": {
        "required": {"metadataPrefix"},
        "optional": {"from", "until", "set"},
        "exclusive": "resumptionToken",
    },
    "ListRecords": {
        "required": {"metadataPrefix"},
        "optional": {"from", "until", "set"},
        "exclusive": "resumptionToken",
    },
}


class OAIError(Exception):
    """A protocol error; `code` is one of the error codes OAI-PMH 2.0 defines."""

    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


def parse_arguments(query) -> tuple[str, dict[str, str]]:
    """The verb and its arguments from a QueryDict, or the protocol error they earn."""
    verbs = query.getlist("verb")
    if not verbs:
        raise OAIError("badVerb", "The request has no verb argument.")
    if len(verbs) > 1:
        raise OAIError("badVerb", "The verb argument is repeated.")
    verb = verbs[0]
    if verb not in VERBS:
        raise OAIError("badVerb", f"“{verb}” is not an OAI-PMH verb.")
    rules = VERBS[verb]
    allowed = rules["required"] | rules["optional"] | ({rules["exclusive"]} - {None})
    arguments = {}
    for name in query:
        if name == "verb":
            continue
        if name not in allowed:
            raise OAIError("badArgument", f"{verb} does not take the argument “{name}”.")
        values = query.getlist(name)
        if len(values) > 1:
            raise OAIError("badArgument", f"The argument “{name}” is repeated.")
        arguments[name] = values[0]
    exclusive = rules["exclusive"]
    if exclusive and exclusive in arguments:
        if len(arguments) > 1:
            raise OAIError("badArgument", f"{exclusive} must be the only argument besides verb.")
        return verb, arguments
    missing = sorted(rules["required"] - arguments.keys())
    if missing:
        raise OAIError("badArgument", f"{verb} needs the argument(s): {', '.join(missing)}.")
    return verb, arguments


@dataclass(frozen=True)
class DateBound:
    """A from/until argument as a half-open UTC datetime bound, keeping its granularity."""

    text: str
    value: datetime
    is_day: bool


def parse_bound(text: str, *, is_until: bool) -> DateBound:
    """Parse YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ; `until` becomes the exclusive end it covers."""
    try:
        if DAY.match(text):
            day = date.fromisoformat(text)
            start = datetime.combine(day, time.min, tzinfo=UTC)
            return DateBound(text, _later(start, timedelta(days=1)) if is_until else start, True)
        if SECOND.match(text):
            moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            return DateBound(
                text, _later(moment, timedelta(seconds=1)) if is_until else moment, False
            )
    except ValueError:
        pass
    raise OAIError(
        "badArgument", f"“{text}” is not a date of the form YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ."
    )


def _later(moment: datetime, step: timedelta) -> datetime:
    """The moment one step on; the calendar's last moment when the calendar ends first
    (`until=9999-12-31` covers everything)."""
    try:
        return moment + step
    except OverflowError:
        return datetime.max.replace(tzinfo=UTC)


def parse_range(
    from_text: str | None, until_text: str | None
) -> tuple[DateBound | None, DateBound | None]:
    start = parse_bound(from_text, is_until=False) if from_text else None
    end = parse_bound(until_text, is_until=True) if until_text else None
    if start and end:
        if start.is_day != end.is_day:
            raise OAIError("badArgument", "from and until must have the same granularity.")
        if start.value >= end.value:
            raise OAIError("badArgument", "from is later than until.")
    return start, end


def datestamp(moment: datetime) -> str:
    """A UTC datestamp at seconds granularity, the form this repository declares."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
