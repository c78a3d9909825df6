from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from psynote.audit import log
from psynote.clients.access import Need, can
from psynote.clients.models import Client
from psynote.visits.models import Session, stop_time_problem

FIELDS = ("date", "start_time", "end_time", "service", "modality", "place", "attendance",
          "interactive_complexity")


def _apply(session: Session, fields: dict[str, Any]) -> list[str]:
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValidationError(f"unknown fields: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(session, name, value)
    if problem := stop_time_problem(session.start_time, session.end_time):
        raise ValidationError({"end_time": problem})
    # No uniqueness check: the primary key is the session's only unique field, a fresh
    # UUID or the row's own (the check was a query to learn so).
    session.full_clean(exclude=["client", "clinician"], validate_unique=False)
    return sorted(fields)


@transaction.atomic
def create_session(*, by: Any, client: Client, clinician: Any, **fields: Any) -> Session:
    return add_session(by=by, client=client, clinician=clinician, **fields)


def add_session(*, by: Any, client: Client, clinician: Any, **fields: Any) -> Session:
    """`create_session` in the caller's transaction: for a caller that writes more in
    the same one (`POST /sessions` with a note), without a savepoint of its own."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("add_session writes in the caller's transaction: open one")
    if not can(clinician, client, Need.WRITE_CLINICAL):
        raise ValidationError("the clinician must be on the client's care team")
    session = Session(client=client, clinician=clinician)
    _apply(session, fields)
    session.save()
    log.record_by(by, "session.create", target_type="session", target_id=session.pk,
                  client_id=client.pk)
    return session


@transaction.atomic
def update_session(*, by: Any, session: Session, **fields: Any) -> Session:
    session = Session.objects.select_for_update().get(pk=session.pk)
    note = getattr(session, "progress_note", None)
    if note is not None and note.is_signed:
        raise ValidationError("this session's progress note is signed; its time, service and "
                              "attendance are part of the signed record (add an addendum)")
    changed = _apply(session, fields)
    session.save()
    log.record_by(by, "session.update", target_type="session", target_id=session.pk,
                  client_id=session.client_id, detail={"fields": changed})
    return session
