"""Therapy groups, their standing roster and their sessions (ADR 0014).

A group session is written once by its facilitator: a shared narrative and plan, and a
short individual part per attending member. Until it is signed, each attending member's
copy (shared part and that member's own part) is sealed under that member's data key, so
destroying one member's record shreds their part and nothing else. Signing files a normal
progress note in each attending member's chart; the group rows then only say where.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from psynote.accounts.models import Practice
from psynote.clients.models import Client, SealedUnderClient
from psynote.lib import sealed
from psynote.visits.models import Session

# The limit SimplePractice applies to a group on one plan; a larger roster is likely a
# mistake (support.simplepractice.com/hc/en-us/articles/28055118602765).
MAX_MEMBERS = 15


class Group(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    facilitators = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="groups_led")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class GroupMember(models.Model):
    """A client on the group's standing roster."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="members")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "client"], name="group_member_once"),
        ]


class GroupSession(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SIGNED = "signed", "Signed and filed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="sessions")
    facilitator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    date = models.DateField()
    start_time = models.TimeField()
    end_time = models.TimeField()
    modality = models.CharField(max_length=20, choices=Session.Modality.choices,
                                default=Session.Modality.IN_PERSON)
    place = models.CharField(max_length=20, choices=Session.Place.choices,
                             default=Session.Place.OFFICE)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(default=timezone.now)
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-date", "-start_time"]

    @property
    def is_signed(self) -> bool:
        return self.status == self.Status.SIGNED


class GroupAttendance(SealedUnderClient):
    """One member at one group session: attendance, and for an attending member their copy
    of the shared part and their own part, sealed under their key. Once signed, `session`
    is the visits session in the member's chart (with its progress note when attended)."""

    class Attendance(models.TextChoices):
        ATTENDED = "attended", "Attended"
        NO_SHOW = "no_show", "No-show"
        LATE_CANCELLED = "late_cancelled", "Late-cancelled"

    group_session = models.ForeignKey(GroupSession, on_delete=models.CASCADE,
                                      related_name="attendance")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    attendance = models.CharField(max_length=20, choices=Attendance.choices,
                                  default=Attendance.ATTENDED)
    shared = sealed.text()
    plan = sealed.text()
    individual = sealed.text()
    # The member's structured blocks for their note: risk, objective ratings, diagnoses
    # addressed, the reason no objective was addressed (notes.content.merge checks them).
    blocks = sealed.json_value()
    session = models.OneToOneField(Session, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="group_attendance")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["group_session", "client"],
                                    name="group_attendance_once"),
        ]
