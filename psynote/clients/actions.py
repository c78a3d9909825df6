"""Writes to clients, care teams and diagnoses, each with its audit event."""

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from psynote.accounts.models import CLINICAL_ROLES
from psynote.audit import log
from psynote.clients import icd10
from psynote.clients.models import CareTeamMember, Client, Diagnosis
from psynote.lib.request_memo import forget

DEMOGRAPHIC_FIELDS = ("first_name", "last_name", "preferred_name", "pronouns", "date_of_birth",
                      "sex_assigned_at_birth", "gender_identity", "phone", "email", "address",
                      "emergency_contact", "status")


def _apply(client: Client, fields: dict[str, Any]) -> list[str]:
    unknown = set(fields) - set(DEMOGRAPHIC_FIELDS)
    if unknown:
        raise ValidationError(f"unknown fields: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(client, name, value)
    if isinstance(client.date_of_birth, date) and client.date_of_birth > date.today():
        raise ValidationError({"date_of_birth": "date of birth is in the future"})
    client.full_clean(exclude=["practice", "wrapped_key"])
    return sorted(fields)


@transaction.atomic
def create_client(*, by: Any, primary_clinician: Any = None, **fields: Any) -> Client:
    client = Client(practice_id=by.practice_id)
    _apply(client, fields)
    client.save()
    if primary_clinician is not None:
        _add_member(client, primary_clinician, CareTeamMember.Role.PRIMARY)
    log.record_by(by, "client.create", target_type="client", target_id=client.pk,
                  client_id=client.pk)
    return client


@transaction.atomic
def update_client(*, by: Any, client: Client, **fields: Any) -> Client:
    changed = _apply(client, fields)
    client.save()
    log.record_by(by, "client.update", target_type="client", target_id=client.pk,
                  client_id=client.pk, detail={"fields": changed})
    return client


def _add_member(client: Client, user: Any, role: str) -> CareTeamMember:
    if user.practice_id != client.practice_id or user.role not in CLINICAL_ROLES:
        raise ValidationError("care team members are clinicians or supervisors of this practice")
    if not user.is_active:
        raise ValidationError("that user is deactivated")
    if role == CareTeamMember.Role.PRIMARY:
        client.care_team.filter(role=CareTeamMember.Role.PRIMARY).update(
            role=CareTeamMember.Role.MEMBER)
    member, _ = CareTeamMember.objects.update_or_create(client=client, user=user,
                                                        defaults={"role": role})
    forget()
    return member


@transaction.atomic
def add_care_team_member(*, by: Any, client: Client, user: Any,
                         role: str = CareTeamMember.Role.MEMBER) -> CareTeamMember:
    if role not in CareTeamMember.Role.values:
        raise ValidationError(f"role must be one of {', '.join(CareTeamMember.Role.values)}")
    member = _add_member(client, user, role)
    log.record_by(by, "care_team.add", target_type="client", target_id=client.pk,
                  client_id=client.pk, detail={"user": user.pk, "role": role})
    return member


@transaction.atomic
def remove_care_team_member(*, by: Any, client: Client, user: Any) -> None:
    deleted, _ = CareTeamMember.objects.filter(client=client, user=user).delete()
    forget()
    if not deleted:
        raise ValidationError("that user is not on this care team")
    log.record_by(by, "care_team.remove", target_type="client", target_id=client.pk,
                  client_id=client.pk, detail={"user": user.pk})


@transaction.atomic
def add_diagnosis(*, by: Any, client: Client, code: str, is_primary: bool = False,
                  onset_date: date | None = None) -> Diagnosis:
    code = icd10.normalise(code or "")
    description = icd10.describe(code)
    if description is None:
        raise ValidationError(
            f"{code or '(blank)'} is not a billable code in the shipped table "
            f"({icd10.EDITION}: {icd10.SCOPE})")
    # The code is sealed: compare the client's active diagnoses in Python.
    if any(d.code == code for d in client.diagnoses.filter(status=Diagnosis.Status.ACTIVE)):
        raise ValidationError(f"{code} is already an active diagnosis")
    if is_primary:
        client.diagnoses.filter(is_primary=True).update(is_primary=False)
    diagnosis = Diagnosis.objects.create(client=client, code=code, description=description,
                                         is_primary=is_primary, onset_date=onset_date,
                                         added_by=by)
    log.record_by(by, "diagnosis.add", target_type="diagnosis", target_id=diagnosis.pk,
                  client_id=client.pk)
    return diagnosis


@transaction.atomic
def set_diagnosis_status(*, by: Any, diagnosis: Diagnosis, status: str) -> Diagnosis:
    if status not in Diagnosis.Status.values:
        raise ValidationError(f"status must be one of {', '.join(Diagnosis.Status.values)}")
    diagnosis.status = status
    diagnosis.save(update_fields=["status"])
    log.record_by(by, "diagnosis.update", target_type="diagnosis", target_id=diagnosis.pk,
                  client_id=diagnosis.client_id, detail={"fields": ["status"]})
    return diagnosis
