import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


def validate_npi(value: str) -> None:
    """A US National Provider Identifier: 10 digits whose last is the Luhn check digit of
    the first nine prefixed with 80840 (CMS, "Requirements for NPI check digit")."""
    if not (len(value) == 10 and value.isascii() and value.isdigit()):
        raise ValidationError("An NPI is 10 digits.")
    digits = [int(d) for d in "80840" + value[:9]]
    total = sum(
        (d * 2 - 9 if d * 2 > 9 else d * 2) if i % 2 == 0 else d
        for i, d in enumerate(reversed(digits))
    )
    if (10 - total % 10) % 10 != int(value[9]):
        raise ValidationError("This is not a valid NPI: its check digit does not match.")


class Practice(models.Model):
    """A practice owns its users, clients and its own audit hash chain."""

    name = models.CharField(max_length=200)
    # What a receiving provider's system identifies the practice by (FHIR Organization).
    npi = models.CharField("NPI", max_length=10, blank=True, validators=[validate_npi],
                           help_text="The practice's (type 2) National Provider Identifier.")
    address = models.TextField(max_length=300, blank=True)
    late_entry_hours = models.PositiveIntegerField(
        null=True, blank=True, help_text="Overrides PSYNOTE_LATE_ENTRY_HOURS when set."
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Roles that must sign in with a second factor, beyond ALWAYS_MFA_ROLES (ADR 0007).
    mfa_required_roles = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(npi="") | models.Q(npi__regex=r"^[0-9]{10}$"),
                name="practice_npi_ten_digits",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    CLINICIAN = "clinician", "Clinician"
    SUPERVISOR = "supervisor", "Supervisor"
    ADMIN = "admin", "Practice admin"
    FRONT_DESK = "frontdesk", "Front desk"
    PRIVACY = "privacy", "Privacy officer"
    # Runs the installation: creates practices and their first admin, sees counts and
    # health only. Belongs to no practice, so no access function ever matches (ADR 0017).
    OPERATOR = "operator", "Operator"


CLINICAL_ROLES = {Role.CLINICIAN, Role.SUPERVISOR}
# The roles a member of a practice may have: everything but the installation's operator.
PRACTICE_ROLES = [role for role in Role if role != Role.OPERATOR]
# The roles that manage accounts or practices, or read the whole audit log, sign in with
# two factors, whatever the practice chose (ADR 0007, ADR 0017).
ALWAYS_MFA_ROLES = {Role.ADMIN, Role.PRIVACY, Role.OPERATOR}


class User(AbstractUser):
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, null=True, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CLINICIAN)
    credentials = models.CharField(
        max_length=100, blank=True, help_text="As signed on notes, e.g. “PhD, LP” or “LCSW”."
    )
    licence_number = models.CharField(max_length=50, blank=True)
    licence_state = models.CharField(max_length=50, blank=True)
    # Who supervises whom, and how closely, is in psynote.supervision (several supervisors
    # per supervisee, a mode each).
    # Set when someone else chose the password (an admin's reset or new account): it is a
    # one-time password, and every page but the password change refuses until it is changed.
    must_change_password = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="user_role_valid"
            ),
            # A user belongs to exactly one practice, except the operator, who belongs to
            # none (ADR 0017).
            models.CheckConstraint(
                condition=(models.Q(role=Role.OPERATOR, practice__isnull=True)
                           | (~models.Q(role=Role.OPERATOR)
                              & models.Q(practice__isnull=False))),
                name="user_practice_unless_operator",
            ),
        ]

    @property
    def is_clinical(self) -> bool:
        return self.role in CLINICAL_ROLES

    @property
    def is_operator(self) -> bool:
        return self.role == Role.OPERATOR

    @property
    def signature_name(self) -> str:
        name = self.get_full_name() or self.username
        return f"{name}, {self.credentials}" if self.credentials else name

    def __str__(self) -> str:
        return self.signature_name


class ApiTokenQuerySet(models.QuerySet):
    def active(self) -> "ApiTokenQuerySet":
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


def _token_expiry() -> datetime:
    return timezone.now() + timedelta(days=settings.TOKEN_DAYS)


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the token is shown once.

    It ends at `expires_at` (PSYNOTE_TOKEN_DAYS after it was made), when its owner revokes
    it, and when the owner's password is changed or reset or the account deactivated."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=_token_expiry)
    # A read-only token may only read (GET): anything else is refused with 403.
    read_only = models.BooleanField(default=False)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    PREFIX = "psn_"

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, *, user: User, name: str, read_only: bool = False
              ) -> tuple["ApiToken", str]:
        token = cls.PREFIX + secrets.token_urlsafe(32)
        row = cls.objects.create(user=user, name=name, token_hash=cls.hash(token),
                                 read_only=read_only)
        return row, token

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


class SignedInSession(models.Model):
    """One signed-in browser session, so its owner can see it and end it (and an admin can
    end them all). Keyed by Django's session key; the row goes when the session ends."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="signed_in_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    ip = models.CharField(max_length=64, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)


class TotpDevice(models.Model):
    """A user's authenticator app (RFC 6238 TOTP). The shared secret is sealed under the
    master key (AES-256-GCM, bound to the user's row), never stored in clear. Until
    `confirmed_at` is set the user has not yet proved the app shows the right codes."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    secret_sealed = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The last time step whose code was accepted: a code of that step or an older one is
    # refused, so a code seen over a shoulder cannot be replayed within its window.
    last_step = models.BigIntegerField(default=0)


class RecoveryCode(models.Model):
    """A single-use code for signing in without the authenticator; only its SHA-256 is kept
    (each code is 16 random characters, ~79 bits, so the hash cannot be searched back)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "code_hash"], name="recovery_code_unique"),
        ]


class AccountNotice(models.Model):
    """Something done to a user's account by someone else, shown to the user at their next
    sign-in: who did it and when (an admin's password reset, two-factor reset, sign-out)."""

    class Kind(models.TextChoices):
        ACCOUNT_CREATED = "account_created", "created your account and chose its first password"
        PASSWORD_RESET = "password_reset", "reset your password"
        MFA_RESET = "mfa_reset", "turned off your two-factor sign-in"
        SIGNED_OUT = "signed_out", "signed you out everywhere and revoked your API tokens"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    by_name = models.CharField(max_length=300)  # as it was then, should the user be renamed
    at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        when = timezone.localtime(self.at).strftime("%Y-%m-%d %H:%M")
        return f"{self.by_name} {self.get_kind_display()} on {when}."
