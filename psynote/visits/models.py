import uuid
from collections.abc import Collection
from datetime import date as date_type
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.utils import timezone

from psynote.clients.models import Client, SealedUnderClient
from psynote.lib import sealed
from psynote.visits import cpt

# A stop time at or before the start time means the session crossed midnight and stopped
# the next day (23:30–00:30), when it started in the evening and stopped by early morning.
# The bounds keep a mistyped pair (14:00–11:00) from being read as a 21-hour session.
CROSSES_MIDNIGHT_FROM = time(18, 0)
CROSSES_MIDNIGHT_UNTIL = time(6, 0)


def crosses_midnight(start: time | None, end: time | None) -> bool:
    return start is not None and end is not None and end <= start


def may_cross_midnight(start: time, end: time) -> bool:
    return start >= CROSSES_MIDNIGHT_FROM and end <= CROSSES_MIDNIGHT_UNTIL


def stop_time_problem(start: time | None, end: time | None) -> str | None:
    """Why a start/stop pair is refused (the database constraint says the same), or None."""
    if start is None or end is None or not crosses_midnight(start, end):
        return None
    if may_cross_midnight(start, end):
        return None
    return (
        "The stop time must be after the start time. A session that crosses midnight "
        f"(e.g. 23:30–00:30) starts at {CROSSES_MIDNIGHT_FROM:%H:%M} or later and stops by "
        f"{CROSSES_MIDNIGHT_UNTIL:%H:%M} the next day."
    )


class SessionQuerySet(models.QuerySet):
    def attended(self) -> "SessionQuerySet":
        return self.filter(attendance=Session.Attendance.ATTENDED)


class Session(models.Model):
    """A therapy session as scheduled and held."""

    class Modality(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        VIDEO = "video", "Telehealth (video)"
        AUDIO = "audio", "Telehealth (audio only)"

    class Place(models.TextChoices):
        OFFICE = "office", "Office"
        CLIENT_HOME = "client_home", "Client at home (telehealth)"
        OTHER = "other", "Client elsewhere (telehealth) / other"

    class Attendance(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        ATTENDED = "attended", "Attended"
        NO_SHOW = "no_show", "No-show"
        LATE_CANCELLED = "late_cancelled", "Late-cancelled"
        CANCELLED = "cancelled", "Cancelled"

    class CancelReason(models.TextChoices):
        # Who or what called it off, never why in the client's words: the calendar and
        # front desk see it, so it holds no clinical content.
        CLIENT = "client", "Client cancelled"
        CLINICIAN = "clinician", "Clinician cancelled"
        PRACTICE = "practice", "Practice closed or booking error"
        OTHER = "other", "Other"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="sessions")
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="sessions")
    date = models.DateField()
    start_time = models.TimeField(null=True, blank=True)
    end_time = models.TimeField(null=True, blank=True)
    service = models.CharField(max_length=30, choices=cpt.SERVICES, default=cpt.PSYCHOTHERAPY)
    modality = models.CharField(max_length=20, choices=Modality.choices,
                                default=Modality.IN_PERSON)
    place = models.CharField(max_length=20, choices=Place.choices, default=Place.OFFICE)
    attendance = models.CharField(max_length=20, choices=Attendance.choices,
                                  default=Attendance.SCHEDULED)
    interactive_complexity = models.BooleanField(default=False)
    # The appointments booked together as one recurring series share this id; each is
    # still its own session, rescheduled or cancelled on its own.
    series_id = models.UUIDField(null=True, blank=True, editable=False)
    cancel_reason = models.CharField(max_length=20, choices=CancelReason.choices, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-start_time"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_time__isnull=True) | models.Q(end_time__isnull=True)
                | models.Q(end_time__gt=models.F("start_time"))
                | models.Q(start_time__gte=CROSSES_MIDNIGHT_FROM,
                           end_time__lte=CROSSES_MIDNIGHT_UNTIL),
                name="session_stop_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(attendance__in=["scheduled", "attended", "no_show",
                                                     "late_cancelled", "cancelled"]),
                name="session_attendance_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["client", "date"]),
            # The calendar: a clinician's days.
            models.Index(fields=["clinician", "date"], name="session_clinician_date"),
            models.Index(fields=["series_id"], name="session_series"),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_service_display()}"

    def validate_constraints(self, exclude: Collection[str] | None = None) -> None:
        """Django's check of the two constraints above, with the same errors, made here
        instead of by the database: Django runs each as a query in a savepoint, three
        statements apiece, and a session recorded through the API is checked twice (its
        form, then its action). Both compare the row's own fields; the database still
        enforces them on write. `test_constraints_checked_in_python_as_in_the_database`
        holds the two to the same answers."""
        skip = set(exclude or ())
        broken = []
        if not skip & {"start_time", "end_time"} and stop_time_problem(self.start_time,
                                                                        self.end_time):
            broken.append("session_stop_after_start")
        if "attendance" not in skip and self.attendance not in self.Attendance.values:
            broken.append("session_attendance_valid")
        if broken:
            named = {c.name: c for c in self._meta.constraints}
            raise ValidationError({NON_FIELD_ERRORS: [
                ValidationError(named[name].get_violation_error_message(),
                                code=named[name].violation_error_code) for name in broken]})

    @property
    def crosses_midnight(self) -> bool:
        """The session stopped the day after its date (23:30–00:30)."""
        return crosses_midnight(self.start_time, self.end_time)

    @property
    def end_date(self) -> date_type:
        """The day the session stopped: the next day when it crossed midnight."""
        return self.date + timedelta(days=1) if self.crosses_midnight else self.date

    @property
    def minutes(self) -> int | None:
        if self.start_time is None or self.end_time is None:
            return None
        start = datetime.combine(self.date, self.start_time)
        end = datetime.combine(self.end_date, self.end_time)
        return int((end - start).total_seconds() // 60)

    @property
    def ended_at(self) -> datetime:
        """When the session ended (its date's end of day if no stop time), aware."""
        end = self.end_time or datetime.max.time()
        return timezone.make_aware(datetime.combine(self.end_date, end))

    def cpt_suggestion(self) -> cpt.Suggestion:
        return cpt.suggest(self.service, self.minutes,
                           interactive_complexity=self.interactive_complexity)

    @property
    def pos_code(self) -> str:
        """Medicare telehealth place of service: 10 = patient at home, 02 = elsewhere."""
        if self.modality == self.Modality.IN_PERSON:
            return ""
        return "10" if self.place == self.Place.CLIENT_HOME else "02"

    @property
    def telehealth_modifier(self) -> str:
        return {"video": "95", "audio": "93"}.get(self.modality, "")


class SessionParticipant(SealedUnderClient):
    """Someone besides the identified client in a couples or family session (ADR 0014).

    The note stays in the identified client's chart (`client`, the session's client, whose
    key seals the participant's name: a name is identifying). The signed note and every
    export list participants by role only. `participant_client` links a participant who is
    also a client of the practice; it does not put the note in that client's record.
    """

    class Role(models.TextChoices):
        PARTNER = "partner", "Partner"
        PARENT = "parent", "Parent"
        CHILD = "child", "Child"
        SIBLING = "sibling", "Sibling"
        OTHER = "other", "Other family member"

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="participants")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    participant_client = models.ForeignKey(Client, on_delete=models.PROTECT, null=True,
                                           blank=True, related_name="+")
    role = models.CharField(max_length=20, choices=Role.choices)
    name = sealed.text()
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=["partner", "parent", "child", "sibling", "other"]),
                name="participant_role_valid",
            ),
        ]
class CalendarFeed(models.Model):
    """A clinician's iCalendar feed for their phone. Only the SHA-256 of the secret in its
    URL is kept (like API tokens): the URL is shown once, and resetting it makes a new one."""

    clinician = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                     related_name="calendar_feed")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
