"""What a FHIR export may contain: the record kinds (`SCOPES`) and a date range."""

from collections.abc import Iterable
from datetime import date

SCOPES = frozenset({"demographics", "diagnoses", "progress_notes", "measures", "plans",
                    "psychotherapy_notes"})
# Everything in the designated record set; psychotherapy notes are never a default.
RECORD_SCOPE = SCOPES - {"psychotherapy_notes"}

DateRange = tuple[date | None, date | None]


def in_range(day: date, date_range: DateRange) -> bool:
    start, end = date_range
    return (start is None or day >= start) and (end is None or day <= end)


def check_scope(scope: Iterable[str]) -> frozenset[str]:
    scope = frozenset(scope)
    unknown = scope - SCOPES
    if unknown:
        raise ValueError(f"unknown scope {', '.join(sorted(unknown))}; "
                         f"choose from {', '.join(sorted(SCOPES))}")
    return scope

