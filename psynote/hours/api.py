"""API routes for supervision-hour logs: the same rules and actions as the pages
(`hours.views`). A supervisee logs, edits and deletes their own unconfirmed entries and
reads their totals; a supervisor reads their supervisees' entries and totals and confirms
entries (a confirmed entry answers 409 to a change). Anyone else gets a 404."""

import datetime as dt
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from psynote.api import ERRORS, MAX_ID, Conflict, ErrorOut, InputSchema, PageOut, PageParams, page
from psynote.audit import log
from psynote.hours import access, actions
from psynote.hours.forms import default_period
from psynote.hours.models import MAX_MINUTES, Category, Entry
from psynote.hours.totals import Totals, totals

router = Router(tags=["hours"])

LOCKED = "this entry is confirmed by the supervisor and can no longer change"

EntryFormat = StrEnum("EntryFormat", {v: v for v in Entry.Format.values})  # type: ignore[misc]


class EntryIn(InputSchema):
    date: dt.date = Field(description="The meeting's date; not in the future")
    minutes: int = Field(ge=1, le=MAX_MINUTES, description="Duration, 1 to 720 minutes")
    category_id: int = Field(ge=1, le=MAX_ID, description="A logged category of your licence")
    format: EntryFormat = Entry.Format.IN_PERSON  # type: ignore[valid-type]
    supervisor_id: int = Field(ge=1, le=MAX_ID, description="One of your supervisors")
    notes: str = Field("", max_length=actions.MAX_NOTES,
                       description="Meeting notes, sealed; never name clients here")


class EntryPatch(InputSchema):
    date: dt.date | None = None
    minutes: int | None = Field(None, ge=1, le=MAX_MINUTES)
    category_id: int | None = Field(None, ge=1, le=MAX_ID)
    format: EntryFormat | None = None  # type: ignore[valid-type]
    supervisor_id: int | None = Field(None, ge=1, le=MAX_ID)
    notes: str | None = Field(None, max_length=actions.MAX_NOTES)


class EntryOut(Schema):
    id: UUID
    supervisee_id: int
    supervisor_id: int
    supervisor_name: str
    category_id: int
    category_name: str
    date: dt.date
    minutes: int
    format: str
    notes: str
    created_at: datetime
    confirmed_at: datetime | None
    confirmed_by_id: int | None

    @staticmethod
    def resolve_supervisor_name(entry: Entry) -> str:
        return entry.supervisor.signature_name

    @staticmethod
    def resolve_category_name(entry: Entry) -> str:
        return entry.category.name

    @staticmethod
    def resolve_notes(entry: Entry) -> str:
        return entry.notes()


class EntryPageOut(PageOut):
    items: list[EntryOut]


class LineOut(Schema):
    category_id: int
    category: str
    source: str
    minutes: int
    pending_minutes: int
    sessions: int
    untimed_sessions: int
    target_hours: str | None


class TotalsOut(Schema):
    supervisee_id: int
    licence_type: str
    start: date
    end: date
    total_minutes: int
    categories: list[LineOut]


class PeriodParams(Schema):
    start: date | None = None
    end: date | None = None


def _period(params: PeriodParams) -> tuple[date, date]:
    default_start, default_end = default_period()
    start, end = params.start or default_start, params.end or default_end
    if start > end:
        raise ValidationError({"start": "The period's first day comes before its last day."})
    return start, end


def _totals_out(found: Totals) -> dict[str, Any]:
    return {
        "supervisee_id": found.supervisee.pk, "licence_type": found.licence_type.name,
        "start": found.start, "end": found.end, "total_minutes": found.total_minutes,
        "categories": [
            {"category_id": line.category.pk, "category": line.category.name,
             "source": line.category.source, "minutes": line.minutes,
             "pending_minutes": line.pending_minutes, "sessions": line.sessions,
             "untimed_sessions": line.untimed_sessions,
             "target_hours": str(line.target) if line.target is not None else None}
            for line in found.lines
        ],
    }


def _category(user: Any, category_id: int) -> Category:
    found = Category.objects.filter(pk=category_id,
                                    licence_type__practice_id=user.practice_id).first()
    if found is None:
        raise ValidationError({"category_id": "Choose a logged category of your licence."})
    return found


def _supervisor(user: Any, supervisor_id: int) -> Any:
    return next((s for s in access.supervisors_of(user) if s.pk == supervisor_id), None)


@router.get("/hours/entries", response={200: EntryPageOut, **ERRORS})
def list_entries(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    """Your own logged entries, newest first."""
    entries = access.entries_for(request.user).filter(supervisee_id=request.user.pk)
    return page(entries, params)


@router.post("/hours/entries", response={201: EntryOut, **ERRORS})
def log_entry(request: HttpRequest, payload: EntryIn) -> tuple[int, Entry]:
    user = request.user
    access.require_keeper(user)
    entry = actions.log_entry(
        by=user, supervisor=_supervisor(user, payload.supervisor_id),
        category=_category(user, payload.category_id), day=payload.date,
        minutes=payload.minutes, format=payload.format, notes=payload.notes)
    return 201, access.get_entry_for(user, entry.pk)


@router.patch("/hours/entries/{uuid:entry_id}", response={200: EntryOut, 409: ErrorOut, **ERRORS})
def update_entry(request: HttpRequest, entry_id: UUID, payload: EntryPatch) -> Entry:
    """Change your own entry; a confirmed one answers 409."""
    user = request.user
    entry = access.get_entry_for(user, entry_id, write=True)
    if entry.is_confirmed:
        raise Conflict(LOCKED)
    changes = payload.dict(exclude_unset=True)
    actions.update_entry(
        by=user, entry=entry,
        supervisor=(_supervisor(user, changes["supervisor_id"]) if "supervisor_id" in changes
                    else entry.supervisor),
        category=(_category(user, changes["category_id"]) if "category_id" in changes
                  else entry.category),
        day=changes.get("date") or entry.date, minutes=changes.get("minutes") or entry.minutes,
        format=changes.get("format") or entry.format,
        notes=changes["notes"] if changes.get("notes") is not None else entry.notes())
    return access.get_entry_for(user, entry.pk)


@router.post("/hours/entries/{uuid:entry_id}/confirm",
             response={200: EntryOut, 409: ErrorOut, **ERRORS})
def confirm_entry(request: HttpRequest, entry_id: UUID) -> Entry:
    """Confirm a supervisee's entry (their supervisor only); it is then locked."""
    entry = access.get_entry_for(request.user, entry_id, confirm=True)
    if entry.is_confirmed:
        raise Conflict("this entry is already confirmed")
    actions.confirm_entry(by=request.user, entry=entry)
    return access.get_entry_for(request.user, entry.pk)


@router.get("/hours/totals", response={200: TotalsOut, **ERRORS})
def my_totals(request: HttpRequest, params: Query[PeriodParams]) -> dict[str, Any]:
    """Your hours by category for the period (default: this year so far), with targets."""
    access.require_keeper(request.user)
    return _totals_out(totals(request.user, *_period(params)))


@router.get("/hours/supervisees/{supervisee_id}/entries", response={200: EntryPageOut, **ERRORS})
def supervisee_entries(request: HttpRequest, supervisee_id: int,
                       params: Query[PageParams]) -> dict[str, Any]:
    supervisee = access.get_supervisee_for(request.user, supervisee_id)
    log.record_by(request.user, "hours.view", target_type="user", target_id=supervisee.pk)
    return page(access.entries_for(request.user).filter(supervisee=supervisee), params)


@router.get("/hours/supervisees/{supervisee_id}/totals", response={200: TotalsOut, **ERRORS})
def supervisee_totals(request: HttpRequest, supervisee_id: int,
                      period: Query[PeriodParams]) -> dict[str, Any]:
    supervisee = access.get_supervisee_for(request.user, supervisee_id)
    return _totals_out(totals(supervisee, *_period(period)))
