import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone


class Practice(models.Model):
    """A practice owns its users, clients and its own audit hash chain."""

    name = models.CharField(max_length=200)
    late_entry_hours = models.PositiveIntegerField(
        null=True, blank=True, help_text="Overrides PSYNOTE_LATE_ENTRY_HOURS when set."
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    CLINICIAN = "clinician", "Clinician"
    SUPERVISOR = "supervisor", "Supervisor"
    ADMIN = "admin", "Practice admin"
    FRONT_DESK = "frontdesk", "Front desk"
    PRIVACY = "privacy", "Privacy officer"


CLINICAL_ROLES = {Role.CLINICIAN, Role.SUPERVISOR}


class User(AbstractUser):
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, null=True, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CLINICIAN)
    credentials = models.CharField(
        max_length=100, blank=True, help_text="As signed on notes, e.g. “PhD, LP” or “LCSW”."
    )
    licence_number = models.CharField(max_length=50, blank=True)
    licence_state = models.CharField(max_length=50, blank=True)
    supervisor = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="supervisees"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="user_role_valid"
            ),
        ]

    @property
    def is_clinical(self) -> bool:
        return self.role in CLINICAL_ROLES

    @property
    def signature_name(self) -> str:
        name = self.get_full_name() or self.username
        return f"{name}, {self.credentials}" if self.credentials else name

    def __str__(self) -> str:
        return self.signature_name


class ApiTokenQuerySet(models.QuerySet):
    def active(self) -> "ApiTokenQuerySet":
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    PREFIX = "psn_"

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, *, user: User, name: str) -> tuple["ApiToken", str]:
        token = cls.PREFIX + secrets.token_urlsafe(32)
        return cls.objects.create(user=user, name=name, token_hash=cls.hash(token)), token
