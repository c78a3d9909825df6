"""Writing the hour logs. Each action is one transaction with its audit event; the events
name who, which entry or report, and numbers (minutes, hashes), never a meeting note."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from psynote.audit import log
from psynote.hours import access
from psynote.hours.models import MAX_MINUTES, Category, Entry, Licence, LicenceType, Target
from psynote.hours.totals import add_default_categories, default_licence_type

MAX_NOTES = 20_000
MAX_TARGET_HOURS = Decimal("99999.9")


def ensure_licence(user: Any, licence_type: LicenceType | None = None) -> Licence:
    """The user's hour-log settings, made (with their own notes key) on first use."""
    licence = Licence.objects.select_for_update().filter(user_id=user.pk).first()
    if licence is None:
        licence = Licence(user_id=user.pk,
                          licence_type=licence_type or default_licence_type(user.practice_id))
        licence.new_key()
        licence.save(force_insert=True)
        user.hours_licence = licence
    return licence


def _check_entry(*, by: Any, supervisor: Any, category: Category, day: date, minutes: int,
                 format: str, notes: str) -> None:
    errors: dict[str, str] = {}
    if supervisor is None or not access.supervises(supervisor, by):
        errors["supervisor"] = "Choose one of your supervisors."
    licence_type = ensure_licence(by).licence_type
    if category.licence_type_id != licence_type.pk or not category.active:
        errors["category"] = f"Choose one of the categories of your licence ({licence_type})."
    elif category.counted_from_sessions:
        errors["category"] = (f"{category.name} is counted from your attended sessions; "
                              "it is not logged by hand.")
    if day > timezone.localdate():
        errors["date"] = "The date cannot be in the future."
    if not 0 < minutes <= MAX_MINUTES:
        errors["minutes"] = f"The duration is between 1 and {MAX_MINUTES} minutes (12 hours)."
    if format not in Entry.Format.values:
        errors["format"] = "Choose in person or video."
    if len(notes) > MAX_NOTES:
        errors["notes"] = f"Meeting notes are at most {MAX_NOTES} characters."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def log_entry(*, by: Any, supervisor: Any, category: Category, day: date, minutes: int,
              format: str, notes: str = "") -> Entry:
    access.require_keeper(by)
    _check_entry(by=by, supervisor=supervisor, category=category, day=day, minutes=minutes,
                 format=format, notes=notes)
    entry = Entry(supervisee=by, supervisor=supervisor, category=category, date=day,
                  minutes=minutes, format=format)
    entry.set_notes(notes)
    entry.save(force_insert=True)
    log.record_by(by, "hours.entry_create", target_type="hours_entry", target_id=entry.pk,
                  detail={"minutes": minutes, "category_id": category.pk})
    return entry


def _unconfirmed_own(by: Any, entry: Entry) -> Entry:
    entry = Entry.objects.select_for_update().get(pk=entry.pk)
    if entry.supervisee_id != by.pk:
        raise ValidationError("Only the supervisee changes their own entries.")
    if entry.is_confirmed:
        raise ValidationError("This entry is confirmed by the supervisor and can no longer "
                              "change.")
    return entry


@transaction.atomic
def update_entry(*, by: Any, entry: Entry, supervisor: Any, category: Category, day: date,
                 minutes: int, format: str, notes: str) -> Entry:
    entry = _unconfirmed_own(by, entry)
    _check_entry(by=by, supervisor=supervisor, category=category, day=day, minutes=minutes,
                 format=format, notes=notes)
    entry.supervisor, entry.category, entry.date = supervisor, category, day
    entry.minutes, entry.format, entry.updated_at = minutes, format, timezone.now()
    entry.set_notes(notes)
    entry.save()
    log.record_by(by, "hours.entry_update", target_type="hours_entry", target_id=entry.pk,
                  detail={"minutes": minutes, "category_id": category.pk})
    return entry


@transaction.atomic
def delete_entry(*, by: Any, entry: Entry) -> None:
    entry = _unconfirmed_own(by, entry)
    entry_id = entry.pk
    entry.delete()
    log.record_by(by, "hours.entry_delete", target_type="hours_entry", target_id=entry_id)


@transaction.atomic
def confirm_entry(*, by: Any, entry: Entry) -> Entry:
    entry = Entry.objects.select_for_update().select_related("supervisee").get(pk=entry.pk)
    if not access.supervises(by, entry.supervisee):
        raise ValidationError("Only a supervisor of this supervisee confirms their hours.")
    if entry.is_confirmed:
        raise ValidationError("This entry is already confirmed.")
    entry.confirmed_at, entry.confirmed_by = timezone.now(), by
    entry.save(update_fields=["confirmed_at", "confirmed_by"])
    log.record_by(by, "hours.entry_confirm", target_type="hours_entry", target_id=entry.pk,
                  detail={"supervisee_id": entry.supervisee_id, "minutes": entry.minutes})
    return entry


@transaction.atomic
def set_targets(*, by: Any, owner: Any, licence_type: LicenceType,
                targets: dict[int, Decimal | None]) -> Licence:
    """The owner's licence type and their target hours per category (None: no target)."""
    if licence_type.practice_id != owner.practice_id:
        raise ValidationError({"licence_type": "Choose one of the practice's licence types."})
    licence = ensure_licence(owner, licence_type)
    if licence.licence_type_id != licence_type.pk:
        licence.licence_type = licence_type
        licence.save(update_fields=["licence_type"])
    known = set(licence_type.categories.values_list("pk", flat=True))
    for category_id, hours in targets.items():
        if category_id not in known:
            raise ValidationError("A target names a category of another licence type.")
        if hours is not None and not Decimal(0) <= hours <= MAX_TARGET_HOURS:
            raise ValidationError(f"Targets are between 0 and {MAX_TARGET_HOURS} hours.")
        if hours is None:
            Target.objects.filter(licence=licence, category_id=category_id).delete()
        else:
            Target.objects.update_or_create(licence=licence, category_id=category_id,
                                            defaults={"hours": hours})
    log.record_by(by, "hours.targets_set", target_type="user", target_id=owner.pk,
                  detail={"licence_type_id": licence_type.pk})
    return licence


@transaction.atomic
def create_licence_type(*, by: Any, name: str) -> LicenceType:
    access.require_admin(by)
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationError({"name": "Give the licence a name of at most 100 characters."})
    if LicenceType.objects.filter(practice_id=by.practice_id, name=name).exists():
        raise ValidationError({"name": "The practice already has a licence type by that name."})
    licence_type = LicenceType.objects.create(practice_id=by.practice_id, name=name)
    add_default_categories(licence_type)
    log.record_by(by, "hours.licence_type_create", target_type="hours_licence_type",
                  target_id=licence_type.pk)
    return licence_type


@transaction.atomic
def save_category(*, by: Any, licence_type: LicenceType, category: Category | None,
                  name: str, active: bool = True) -> Category:
    """Add a logged category (category None), or rename / retire / restore one."""
    access.require_admin(by)
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationError({"name": "Give the category a name of at most 100 characters."})
    clash = licence_type.categories.filter(name=name)
    if category is not None:
        clash = clash.exclude(pk=category.pk)
    if clash.exists():
        raise ValidationError({"name": "This licence type already has a category by that name."})
    if category is None:
        position = licence_type.categories.count()
        category = Category.objects.create(licence_type=licence_type, name=name,
                                           position=position)
        action = "hours.category_create"
    else:
        category.name, category.active = name, active
        category.save(update_fields=["name", "active"])
        action = "hours.category_update"
    log.record_by(by, action, target_type="hours_category", target_id=category.pk)
    return category
