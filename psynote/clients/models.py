import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone

from psynote.accounts.models import Practice
from psynote.lib import crypto, sealed

# What `wrapped_key` holds once the record was destroyed under retention (records app):
# not empty, so `ensure_key` never makes a fresh key, and it unwraps to nothing.
SHREDDED_KEY = b"shredded"


class ClientQuerySet(models.QuerySet):
    def active(self) -> "ClientQuerySet":
        return self.filter(status=Client.Status.ACTIVE)


class Client(models.Model):
    """A person receiving care. Demographics are in clear; clinical text and facts (notes,
    diagnoses, scores, disclosures) are sealed under this client's data key (`wrapped_key`,
    itself wrapped by the master key; ADR 0002)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        DISCHARGED = "discharged", "Discharged"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="clients")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    pronouns = models.CharField(max_length=50, blank=True)
    date_of_birth = models.DateField()
    sex_assigned_at_birth = models.CharField(
        max_length=20, blank=True, choices=[("female", "Female"), ("male", "Male"),
                                            ("intersex", "Intersex"), ("unknown", "Unknown")]
    )
    gender_identity = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    emergency_contact = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    wrapped_key = models.BinaryField(editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ClientQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["active", "discharged"]), name="client_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.first_name
        return f"{first} {self.last_name}"

    @property
    def age(self) -> int:
        today = date.today()
        born = self.date_of_birth
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))

    @property
    def is_destroyed(self) -> bool:
        return bytes(self.wrapped_key or b"") == SHREDDED_KEY

    def _key_aad(self) -> bytes:
        return _key_aad(self.pk)

    def ensure_key(self) -> None:
        if not self.wrapped_key:
            self.wrapped_key = crypto.wrap(crypto.new_key(), self._key_aad())

    def data_key(self) -> bytes:
        if not hasattr(self, "_data_key"):
            if self.is_destroyed:
                raise crypto.KeyShredded("this record was destroyed under retention")
            self._data_key = crypto.unwrap_remembered(self.wrapped_key, self._key_aad())
        return self._data_key

    def save(self, *args, **kwargs) -> None:
        self.ensure_key()
        super().save(*args, **kwargs)


def _key_aad(client_id: object) -> bytes:
    return crypto.aad_for("clients_client", client_id, "data_key")


def data_key_for(client_id: object) -> bytes:
    """The data key of a client known only by id: remembered for the request once any row
    of theirs was opened, else one query."""
    key = crypto.remembered_key(_key_aad(client_id))
    if key is not None:
        return key
    return Client.objects.only("wrapped_key").get(pk=client_id).data_key()


class SealedUnderClient(sealed.SealedFacts):
    """Abstract: a row of a client's record whose facts are sealed under the client's key."""

    client_id: object

    class Meta:
        abstract = True

    def _facts_key(self) -> bytes:
        if type(self).client.is_cached(self):  # type: ignore[attr-defined]
            return self.client.data_key()  # type: ignore[attr-defined]
        return data_key_for(self.client_id)


class CareTeamMember(models.Model):
    class Role(models.TextChoices):
        PRIMARY = "primary", "Primary clinician"
        MEMBER = "member", "Care team member"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="care_team")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="care_teams")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "user"], name="care_team_unique"),
        ]


class DiagnosisQuerySet(models.QuerySet):
    def in_chart_order(self) -> list["Diagnosis"]:
        """Primary first, then by code: the chart's order, which the database cannot sort
        by since the code is sealed."""
        return sorted(self, key=lambda d: (not d.is_primary, d.code, d.pk))


class Diagnosis(SealedUnderClient):
    """An ICD-10-CM diagnosis on the chart; the code is checked against the shipped table.

    The code, its description and the onset date are sealed under the client's key
    (`facts_ct`); whether it is the primary diagnosis and its status stay in clear, so the
    chart can list the active ones without opening any (ADR 0002).
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        RESOLVED = "resolved", "Resolved"
        RULED_OUT = "ruled_out", "Ruled out"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="diagnoses")
    code = sealed.text()
    description = sealed.text()
    is_primary = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    onset_date = sealed.a_date()
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    added_at = models.DateTimeField(default=timezone.now)

    objects = DiagnosisQuerySet.as_manager()

    class Meta:
        # The code is sealed, so the database orders by what it can see;
        # `in_chart_order()` gives the chart's order (primary first, then by code).
        ordering = ["-is_primary", "pk"]
        verbose_name_plural = "diagnoses"

    def __str__(self) -> str:
        return f"{self.code} {self.description}"
