"""Writing notes: drafts, signing, addenda, psychotherapy notes. Each action is one
transaction that includes its audit event."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from psynote.audit import log
from psynote.notes import carry, keyring
from psynote.notes import content as note_content
from psynote.notes.models import Addendum, ProgressNote, PsychotherapyNote
from psynote.notes.template_actions import version_for_new_note
from psynote.notes.templates import empty_content
from psynote.plans.queries import active_objectives
from psynote.visits.models import Session

MAX_ADDENDUM = 50_000


def _chart_codes(note_or_client: Any) -> set[str]:
    client = getattr(note_or_client, "client", note_or_client)
    # Codes are sealed (ADR 0002): opened here, not selected by the database.
    return {d.code for d in client.diagnoses.exclude(status="ruled_out")}


@transaction.atomic
def start_note(*, by: Any, session: Session, template: str,
               carry_sections: list[str] | None = None,
               changes: dict[str, Any] | None = None) -> ProgressNote:
    """Start the session's draft with the latest version of the practice's template, which
    the note keeps (ADR 0015); `carry_sections` copies those sections forward from the
    client's last signed note (`notes.carry`). `changes` (as `save_draft` takes them) fill
    the draft at once: still one `note.create`, its detail saying the content was set."""
    version = version_for_new_note(session.client.practice_id, template, session.service)
    if session.clinician_id != by.pk:
        raise ValidationError("only the session's clinician writes its progress note")
    if ProgressNote.objects.filter(session=session).exists():
        raise ValidationError("this session already has a progress note")
    if session.attendance in ("no_show", "late_cancelled", "cancelled"):
        raise ValidationError("no progress note for a session that did not take place; "
                              "its attendance is recorded on the session")
    note = ProgressNote(client=session.client, session=session, author=by, template=template,
                        template_version=version)
    content = empty_content(note.template_def) | {"diagnosis_codes": []}
    source = carry.source_for(session) if carry_sections else None
    if carry_sections and source is None:
        raise ValidationError("this client has no earlier signed progress note to carry "
                              "sections from")
    if source is not None:
        carried = carry.carried_content(source, note.template_def, list(carry_sections or []))
        content |= {"sections": content["sections"] | carried["sections"],
                    carry.CARRIED: carried[carry.CARRIED]}
    detail: dict[str, Any] = {"template": template, "template_version": version.number}
    if changes:
        content = _merged(note, content, changes)
        detail["content_set"] = True
    note.set_content(content)
    note.save()
    log.record_by(by, "note.create", target_type="progress_note", target_id=note.pk,
                  client_id=note.client_id, detail=detail)
    if source is not None:
        # Ids and section keys only: the carried text stays in the sealed content.
        log.record_by(by, "note.carry_forward", target_type="progress_note",
                      target_id=note.pk, client_id=note.client_id,
                      detail={"source_note": str(source.pk),
                              "sections": sorted(carried[carry.CARRIED]["sections"])})
    return note


def _merged(note: ProgressNote, current: dict[str, Any], changes: dict[str, Any],
            objectives: dict[str, str] | None = None) -> dict[str, Any]:
    """`changes` checked against the note's template, the chart and the plan (`objectives`,
    when the caller has read them already), applied to `current`; sets the note's risk
    flag from the result."""
    if objectives is None:
        objectives = _open_objectives(note)
    merged = note_content.merge(note.template_def, current, changes, _chart_codes(note),
                                objectives)
    note.risk_flagged = note_content.risk_is_flagged(merged)
    return merged


def _open_objectives(note: ProgressNote) -> dict[str, str]:
    return {o.key: o.text for o in active_objectives(note.client)}


def _save_changes(*, by: Any, note: ProgressNote, changes: dict[str, Any]) -> ProgressNote:
    """The author's changes saved into the locked draft, in the caller's transaction."""
    # The session comes along unlocked, as before: the index reads its date.
    note = (ProgressNote.objects.select_for_update(of=("self", "client"))
            .select_related("client", "session").get(pk=note.pk))
    if note.is_signed:
        raise ValidationError("this note is signed and locked; add an addendum instead")
    if note.author_id != by.pk:
        raise ValidationError("only the author edits a draft")
    note.set_content(_merged(note, note.content(), changes))
    note.updated_at = timezone.now()
    note.save()
    return note


@transaction.atomic
def save_draft(*, by: Any, note: ProgressNote, changes: dict[str, Any]) -> ProgressNote:
    note = _save_changes(by=by, note=note, changes=changes)
    log.record_by(by, "note.update", target_type="progress_note", target_id=note.pk,
                  client_id=note.client_id)
    return note


@transaction.atomic
def sign_with_content(*, by: Any, note: ProgressNote, changes: dict[str, Any],
                      late_reason: str = "", no_objective_reason: str = "") -> ProgressNote:
    """Save the final content and sign it, in one transaction and one save of the note.
    One real action, one event: `note.sign`, whose content hash covers the words signed
    and whose detail says they were set in the same call (`content_set`); no
    `note.update` for a draft state that was never committed. Anything refused refuses
    the whole: nothing saved."""
    note = _locked_for_signing(note)
    if note.is_signed:
        raise ValidationError("this note is signed and locked; add an addendum instead")
    if note.author_id != by.pk:
        raise ValidationError("only the author edits a draft")
    # Read once: the merge checks the ratings against them, the signing asks whether any
    # is open.
    objectives = _open_objectives(note)
    content = _merged(note, note.content(), changes, objectives)
    return _sign(by=by, note=note, content=content, late_reason=late_reason,
                 no_objective_reason=no_objective_reason, objectives=objectives,
                 content_set=True)


def late_entry_hours(note: ProgressNote) -> int:
    return note.client.practice.late_entry_hours or settings.LATE_ENTRY_HOURS


def is_late(note: ProgressNote, at: Any = None) -> bool:
    at = at or timezone.now()
    return at - note.session.ended_at > timedelta(hours=late_entry_hours(note))


def objectives_required(note: ProgressNote) -> bool:
    """The client's plan in force has open objectives, so a note should address one."""
    return bool(active_objectives(note.client))


def _locked_for_signing(note: ProgressNote) -> ProgressNote:
    # Locks the rows it always locked; the author and the template version (a nullable
    # join PostgreSQL cannot lock) come along unlocked, saving three queries.
    return (ProgressNote.objects
            .select_for_update(of=("self", "client", "client__practice", "session"))
            .select_related("client__practice", "session", "author",
                            "template_version__template")
            .get(pk=note.pk))


@transaction.atomic
def sign_note(*, by: Any, note: ProgressNote, late_reason: str = "",
              no_objective_reason: str = "") -> ProgressNote:
    """Sign the author's draft. `no_objective_reason`, when given, replaces the draft's:
    it is asked for when the client's plan in force has open objectives and the note
    rates none of them."""
    note = _locked_for_signing(note)
    if note.is_signed:
        raise ValidationError("this note is already signed")
    if note.author_id != by.pk:
        raise ValidationError("only the author signs a note")
    return _sign(by=by, note=note, content=note.content(), late_reason=late_reason,
                 no_objective_reason=no_objective_reason)


def _sign(*, by: Any, note: ProgressNote, content: dict[str, Any], late_reason: str,
          no_objective_reason: str, objectives: dict[str, str] | None = None,
          content_set: bool = False) -> ProgressNote:
    """Sign `content` into the locked draft `note`, in the caller's transaction: one save
    and one event."""
    problems = note_content.completeness_problems(note.template_def, content, note.session)
    now = timezone.now()
    late = is_late(note, now)
    late_reason = (late_reason or "").strip()
    if late and not late_reason:
        problems.append(f"signed more than {late_entry_hours(note)} h after the session: "
                        "give the reason for the late entry")
    no_objective_reason = (no_objective_reason or content.get("no_objective_reason")
                           or "").strip()
    addressed = bool(content.get("objectives"))
    if not addressed and not no_objective_reason and (
            bool(objectives) if objectives is not None else objectives_required(note)):
        problems.append("this note addresses none of the objectives of the client's "
                        "treatment plan: rate progress on at least one, or say why this "
                        "session worked on none")
    if len(no_objective_reason) > note_content.MAX_TEXT:
        problems.append(f"the reason is longer than {note_content.MAX_TEXT} characters")
    if problems:
        raise ValidationError(problems)
    session = note.session
    content = content | {
        "late_reason": late_reason if late else "",
        "session": {
            "date": session.date.isoformat(),
            "start": session.start_time.isoformat(timespec="minutes"),
            "end": session.end_time.isoformat(timespec="minutes"),
            "minutes": session.minutes,
            "service": session.service,
            "modality": session.modality,
            "place": session.place,
        },
    }
    # Couples and family sessions: the other participants, by role only (ADR 0014).
    if roles := [p.get_role_display() for p in session.participants.all()]:
        content["session"]["participants"] = roles
    content.pop("no_objective_reason", None)
    if no_objective_reason and not addressed:
        content["no_objective_reason"] = no_objective_reason
    note.set_content(content)
    note.late_entry = late
    note.cpt_code = session.cpt_suggestion().text
    note.signed_at, note.signed_by, note.signer_name = now, by, by.signature_name
    note.content_hash = note.compute_hash()
    note.updated_at = now
    note.save()
    log.record_by(by, "note.sign", target_type="progress_note", target_id=note.pk,
                  client_id=note.client_id,
                  detail={"content_hash": note.content_hash, "late_entry": late}
                  | ({"content_set": True} if content_set else {}))
    return note


@transaction.atomic
def add_addendum(*, by: Any, note: ProgressNote, body: str,
                 kind: str = Addendum.Kind.CORRECTION) -> Addendum:
    note = ProgressNote.objects.select_related("client").get(pk=note.pk)
    if not note.is_signed:
        raise ValidationError("addenda go under signed notes; edit the draft instead")
    body = (body or "").strip()
    if not body:
        raise ValidationError("the addendum is empty")
    if len(body) > MAX_ADDENDUM:
        raise ValidationError(f"the addendum is longer than {MAX_ADDENDUM} characters")
    if kind not in Addendum.Kind.values:
        raise ValidationError(f"kind must be one of {', '.join(Addendum.Kind.values)}")
    now = timezone.now()
    addendum = Addendum(note=note, author=by, kind=kind, signed_at=now, signed_by=by,
                        signer_name=by.signature_name, created_at=now)
    addendum.set_body(body)
    addendum.content_hash = addendum.compute_hash()
    addendum.save()
    log.record_by(by, "addendum.sign", target_type="addendum", target_id=addendum.pk,
                  client_id=note.client_id,
                  detail={"note": str(note.pk), "content_hash": addendum.content_hash})
    return addendum


@transaction.atomic
def write_psychotherapy_note(*, by: Any, client: Any, body: str, session: Session | None = None,
                             note: PsychotherapyNote | None = None) -> PsychotherapyNote:
    """Raises keyring.Sealed unless the author's key is open here (ADR 0009)."""
    keyring.key_for(by.pk)
    body = (body or "").strip()
    if not body:
        raise ValidationError("the psychotherapy note is empty")
    if len(body) > MAX_ADDENDUM:
        raise ValidationError(f"the note is longer than {MAX_ADDENDUM} characters")
    if session is not None and session.client_id != client.pk:
        raise ValidationError("that session belongs to another client")
    if note is None:
        note = PsychotherapyNote(author=by, client=client, session=session)
        action = "psychotherapy_note.create"
    else:
        if note.author_id != by.pk:
            raise ValidationError("only the author edits a psychotherapy note")
        note.updated_at = timezone.now()
        action = "psychotherapy_note.update"
    note.set_body(body)
    note.save()
    # The event names the note, never its content.
    log.record_by(by, action, target_type="psychotherapy_note", target_id=note.pk,
                  client_id=client.pk)
    return note
