"""The full demo practice with every kind of record a move must carry.

The demo has sessions, signed notes and drafts, addenda, psychotherapy notes, plans with
several versions, measures, schedules, self-report links and an open risk alert. What it
lacks is added here through the application's own actions: a destroyed record (its
tombstone), a legal hold, the retention policy, access and amendment requests, an
authorization with a disclosure, a Part 2 flag, emergency access, a second factor with
recovery codes, an API token and an account notice. Also run in subprocesses (as a script
through `python -c`), so it imports Django only inside its functions.
"""

import hashlib
import json
from datetime import date, timedelta
from typing import Any

PASSPHRASE = "a fictional moving passphrase"


def full_practice() -> None:
    from django.utils import timezone

    from psynote import demo
    from psynote import testing as t
    from psynote.accounts import mfa
    from psynote.accounts.models import AccountNotice, ApiToken, RecoveryCode, TotpDevice, User
    from psynote.clients import emergency
    from psynote.clients.models import Client
    from psynote.exchange import actions as exchange_actions
    from psynote.exchange import gate
    from psynote.notes import actions as note_actions
    from psynote.records import actions as records_actions
    from psynote.records import retention_actions
    from psynote.records.models import RetentionPolicy

    demo.load()
    users = {u.username: u for u in User.objects.all()}
    clinician, privacy, admin = users["clinician"], users["privacy"], users["admin"]
    RetentionPolicy.objects.get_or_create(practice=clinician.practice)
    clients = list(Client.objects.filter(care_team__user=clinician).order_by("last_name"))
    first, second = clients[0], clients[1]

    # A record destroyed under retention: its tombstone and its shredded key.
    old = t.make_client(clinician, first_name="Olden", last_name="Fictional",
                        date_of_birth=date(1970, 3, 3))
    session = t.make_session(old, clinician, day=date(2017, 6, 1))
    note = note_actions.start_note(by=clinician, session=session, template="soap")
    note = note_actions.save_draft(by=clinician, note=note, changes={
        "sections": t.SOAP, "diagnosis_codes": [d.code for d in old.diagnoses.all()]})
    note_actions.sign_note(by=clinician, note=note, late_reason="Fictional late entry.")
    destruction = retention_actions.request_destruction(by=privacy, client=old)
    retention_actions.confirm_destruction(by=admin, destruction=destruction)

    # A clinician allowed to edit note templates, and a template of the practice's own.
    from psynote.notes import template_actions
    template_actions.set_editor(by=admin, user=clinician, allowed=True)
    template_actions.create_template(by=clinician, name="Fictional check-in", sections=[
        template_actions.SectionIn(label="Check-in", prompt="How the week went.")],
        blocks=["mse"], session_kinds=[])

    retention_actions.place_hold(by=privacy, client=first, reason="Fictional subpoena.")
    records_actions.record_access_request(by=privacy, client=first,
                                          requested_on=timezone.localdate())
    signed = first.progress_notes.filter(signed_at__isnull=False).first()
    records_actions.record_amendment_request(
        by=privacy, client=first, requested_on=timezone.localdate(), note=signed,
        request="Fictional: the date of the move is wrong.")

    authorization = exchange_actions.create_authorization(
        by=clinician, client=first, scope={"progress_notes"},
        recipient_name="Dr Fictional Receiver", recipient_organisation="Imaginary Clinic",
        purpose="Continuity of care", expires_on=timezone.localdate() + timedelta(days=365),
        signed_on_screen_name="Avery Fictional")
    grant = gate.authorise(clinician, first, {"progress_notes"}, (None, None),
                           "Continuity of care", authorization)
    gate.export_client(clinician, first, grant, "fhir-bundle")
    exchange_actions.set_part2(by=clinician, client=second, part2=True)

    outsider = users["clinician2"]
    stranger = Client.objects.exclude(care_team__user=outsider).exclude(pk=old.pk).first()
    emergency.break_glass(by=outsider, client=stranger, reason="Fictional crisis call.")

    _group_and_family(clinician)

    TotpDevice.objects.create(user=clinician, secret_sealed=mfa.seal_secret(
        clinician.pk, mfa.new_secret()), confirmed_at=timezone.now())
    for code in mfa.new_recovery_codes()[:2]:
        RecoveryCode.objects.create(user=clinician, code_hash=mfa.hash_recovery_code(code))
    _supervision(users)
    ApiToken.issue(user=clinician, name="Fictional script")
    from psynote.visits import calendar_actions
    calendar_actions.reset_feed(by=clinician)  # the clinician's calendar feed
    AccountNotice.objects.create(user=clinician, kind=AccountNotice.Kind.PASSWORD_RESET,
                                 by=admin)
    from psynote.hours.tests.records import hours_for_move

    hours_for_move(users["supervisee"], users["supervisor"])


def _supervision(users: dict[str, Any]) -> None:
    """A draft returned with a comment, and a co-signed note (ADR 0013)."""
    from psynote import testing as t
    from psynote.clients.models import Client
    from psynote.notes.models import ProgressNote
    from psynote.supervision import actions as supervision_actions

    supervisee, supervisor = users["supervisee"], users["supervisor"]
    client = Client.objects.filter(care_team__user=supervisee).order_by("last_name").first()
    draft = t.make_note(t.make_session(client, supervisee))
    supervision_actions.mark_ready(by=supervisee, note=draft)
    supervision_actions.return_note(by=supervisor, note=draft,
                                    comments=[("", "Fictional: say what comes next.")])
    signed = ProgressNote.objects.signed().filter(author=supervisee).first()
    supervision_actions.cosign(by=supervisor, note=signed)


def opened_texts() -> dict[str, str]:
    """SHA-256 of every clinical text the record opens to its own keys (no psychotherapy
    notes: those open only for their author, in a browser session)."""
    from psynote.lib import crypto
    from psynote.notes.models import Addendum, ProgressNote
    from psynote.plans.models import PlanVersion
    from psynote.supervision.models import ReviewComment

    def digest(value: Any) -> str:
        return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()

    texts: dict[str, str] = {}
    with crypto.keys_cached():
        for note in ProgressNote.objects.select_related("client").order_by("pk"):
            if not note.client.is_destroyed:
                texts[f"note {note.pk}"] = digest(note.content())
        for addendum in Addendum.objects.select_related("note__client").order_by("pk"):
            if not addendum.note.client.is_destroyed:
                texts[f"addendum {addendum.pk}"] = digest(addendum.body())
        for version in PlanVersion.objects.select_related("plan__client").order_by("pk"):
            texts[f"plan {version.pk}"] = digest(version.texts())
        from psynote.hours.tests.records import hours_texts

        texts |= {name: digest(text) for name, text in hours_texts().items()}
        for comment in ReviewComment.objects.select_related("note__client").order_by("pk"):
            texts[f"review comment {comment.pk}"] = digest(comment.body())
    return texts


def _group_and_family(clinician) -> None:  # type: ignore[no-untyped-def]
    """A signed group session of two (ADR 0014) and a family session with a participant."""
    from datetime import time

    from django.utils import timezone

    from psynote import testing as t
    from psynote.groups import actions as group_actions
    from psynote.visits import participants

    members = [t.make_client(clinician, first_name=name, last_name="Groupfictional")
               for name in ("Gale", "Hollis")]
    group = group_actions.create_group(by=clinician, name="Fictional group", members=members)
    group_session = group_actions.create_group_session(
        by=clinician, group=group, date=timezone.localdate() - timedelta(days=1),
        start_time=time(9), end_time=time(10))
    group_actions.save_group_session(
        by=clinician, group_session=group_session, shared="Fictional shared part.",
        plan="Fictional plan.", members=[{"client_id": m.pk, "individual": "Fictional part."}
                                         for m in members])
    group_actions.sign_group_session(by=clinician, group_session=group_session)
    family = t.make_session(members[0], clinician, service="family_with_client")
    participants.add_participant(by=clinician, session=family, role="partner",
                                 name="Fictional Partner", participant_client_id=members[1].pk)
