"""Treatment plans: one plan per client, kept as numbered versions.

A version is a draft until a clinician signs it; once signed it never changes (the model
refuses, and database triggers refuse writes that bypass the model). The newest signed
version is the one in force; every earlier signed version is superseded. Being "in force"
is derived, not stored, so signing a new version changes no signed row (ADR 0005).

Inside a version: problems (each linked to a diagnosis on the chart), their goals, each
goal's measurable objectives, and each problem's interventions. The structure (keys,
order, links, statuses, dates) is in columns so other apps can join on it; the clinical
free text of the whole version is one canonical-JSON document sealed under the client's
data key, keyed by the items' stable `key`s. An item keeps its `key` from version to
version, so a progress note that rated objective K still points at it after a revision.
"""

import hashlib
import uuid
from datetime import UTC
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef
from django.utils import timezone

from psynote.clients.models import Client, Diagnosis
from psynote.lib import canonical_json, crypto
from psynote.lib.immutable import SignedRecordChange


class SignedPlanLocked(SignedRecordChange):
    """A signed plan version never changes; start a new version instead."""


class TreatmentPlan(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.OneToOneField(Client, on_delete=models.PROTECT, related_name="treatment_plan")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Treatment plan of {self.client}"


class AgreementMethod(models.TextChoices):
    SIGNED_PAPER = "signed_paper", "Signed on paper"
    SIGNED_SCREEN = "signed_screen", "Signed on screen"
    VERBAL = "verbal", "Verbal agreement, recorded here"


class PlanVersionQuerySet(models.QuerySet):
    def signed(self) -> "PlanVersionQuerySet":
        return self.filter(signed_at__isnull=False)

    def drafts(self) -> "PlanVersionQuerySet":
        return self.filter(signed_at__isnull=True)

    def with_superseded(self) -> "PlanVersionQuerySet":
        """Annotate `superseded`: a later version of the same plan is signed."""
        later = PlanVersion.objects.filter(
            plan=OuterRef("plan"), signed_at__isnull=False, number__gt=OuterRef("number")
        )
        return self.annotate(superseded=Exists(later))


class PlanVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_FORCE = "in_force", "Signed, in force"
        SUPERSEDED = "superseded", "Superseded"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    texts_ct = models.BinaryField()
    client_agreement_date = models.DateField(null=True, blank=True)
    client_agreement_method = models.CharField(
        max_length=20, blank=True, choices=AgreementMethod.choices
    )
    review_due = models.DateField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signer_name = models.CharField(max_length=250, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)

    objects = PlanVersionQuerySet.as_manager()

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plan_version_number_unique"),
            models.UniqueConstraint(
                fields=["plan"], condition=models.Q(signed_at__isnull=True), name="plan_one_draft"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        signed_at__isnull=True,
                        signed_by__isnull=True,
                        signer_name="",
                        content_hash="",
                    )
                    | models.Q(signed_at__isnull=False, signed_by__isnull=False)
                    & ~models.Q(signer_name="")
                    & ~models.Q(content_hash="")
                ),
                name="plan_signature_fields_together",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(signed_at__isnull=True)
                    | models.Q(client_agreement_date__isnull=False, review_due__isnull=False)
                    & ~models.Q(client_agreement_method="")
                ),
                name="plan_signed_with_agreement_and_review",
            ),
        ]

    def __str__(self) -> str:
        return f"Treatment plan version {self.number}"

    @classmethod
    def from_db(cls, db, field_names, values):  # type: ignore[no-untyped-def]
        instance = super().from_db(db, field_names, values)
        instance._stored_signed = instance.signed_at is not None
        return instance

    def save(self, *args: Any, **kwargs: Any) -> None:
        if getattr(self, "_stored_signed", False):
            raise SignedPlanLocked(
                "this plan version is signed and cannot change; start a new version instead"
            )
        super().save(*args, **kwargs)
        self._stored_signed = self.signed_at is not None

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self.signed_at is not None:
            raise SignedPlanLocked("a signed plan version cannot be deleted")
        return super().delete(*args, **kwargs)

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    @property
    def status(self) -> str:
        if not self.is_signed:
            return self.Status.DRAFT
        superseded = getattr(self, "superseded", None)
        if superseded is None:
            superseded = self.plan.versions.signed().filter(number__gt=self.number).exists()
        return self.Status.SUPERSEDED if superseded else self.Status.IN_FORCE

    def get_status_display(self) -> str:
        return self.Status(self.status).label

    # --- the sealed texts -----------------------------------------------------------------

    def _aad(self) -> bytes:
        return crypto.aad_for("plans_planversion", self.pk, "texts")

    def texts(self) -> dict[str, dict[str, str]]:
        """Item key → that item's text fields."""
        if not hasattr(self, "_texts"):
            key = self.plan.client.data_key()
            self._texts = canonical_json.loads(crypto.open_sealed(key, self.texts_ct, self._aad()))
        return self._texts

    def set_texts(self, texts: dict[str, dict[str, str]]) -> None:
        self._texts = texts
        self.texts_ct = crypto.seal(
            self.plan.client.data_key(), canonical_json.dumps(texts), self._aad()
        )

    # --- the whole version as one document --------------------------------------------------

    def structure(self) -> dict[str, Any]:
        """The version as nested JSON: the shape the editor, the API and the signature use."""
        texts = self.texts()
        problems = list(self.problems.all())
        goals = list(self.goals.all())
        objectives = list(self.objectives.all())
        interventions = list(self.interventions.all())

        def text(key: uuid.UUID, field: str) -> str:
            return texts.get(str(key), {}).get(field, "")

        return {
            "client_agreement_date": _date(self.client_agreement_date),
            "client_agreement_method": self.client_agreement_method,
            "review_due": _date(self.review_due),
            "problems": [
                {
                    "key": str(p.key),
                    "diagnosis_id": p.diagnosis_id,
                    "diagnosis_code": p.diagnosis_code,
                    "text": text(p.key, "text"),
                    "goals": [
                        {
                            "key": str(g.key),
                            "text": text(g.key, "text"),
                            "objectives": [
                                {
                                    "key": str(o.key),
                                    "text": text(o.key, "text"),
                                    "baseline": text(o.key, "baseline"),
                                    "target": text(o.key, "target"),
                                    "target_date": _date(o.target_date),
                                    "status": o.status,
                                }
                                for o in objectives
                                if o.goal_id == g.pk
                            ],
                        }
                        for g in goals
                        if g.problem_id == p.pk
                    ],
                    "interventions": [
                        {
                            "key": str(i.key),
                            "modality": text(i.key, "modality"),
                            "frequency": text(i.key, "frequency"),
                            "responsible_user_id": i.responsible_user_id,
                            "responsible": text(i.key, "responsible"),
                        }
                        for i in interventions
                        if i.problem_id == p.pk
                    ],
                }
                for p in problems
            ],
        }

    def signature_payload(self) -> dict[str, Any]:
        """Exactly what a signature vouches for; its SHA-256 is the content hash."""
        return {
            "kind": "treatment_plan_version",
            "id": str(self.pk),
            "plan": str(self.plan_id),
            "client": str(self.plan.client_id),
            "number": self.number,
            "structure": self.structure(),
            "signed_by": self.signed_by_id,
            "signer_name": self.signer_name,
            "signed_at": self.signed_at.astimezone(UTC).isoformat() if self.signed_at else "",
        }

    def compute_hash(self) -> str:
        return hashlib.sha256(canonical_json.dumps(self.signature_payload())).hexdigest()


def _date(value: Any) -> str | None:
    return value.isoformat() if value else None


class PlanItem(models.Model):
    """Structure shared by every item of a version. Its texts live in the version's sealed
    document under `key`, which an item keeps across versions."""

    key = models.UUIDField(default=uuid.uuid4)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position"]


class Problem(PlanItem):
    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="problems")
    # Snapshot of the code beside the link: the signed version says what it meant.
    diagnosis = models.ForeignKey(
        Diagnosis, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    diagnosis_code = models.CharField(max_length=10, blank=True)

    class Meta(PlanItem.Meta):
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="plan_problem_key_unique"),
        ]


class Goal(PlanItem):
    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="goals")
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="goals")

    class Meta(PlanItem.Meta):
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="plan_goal_key_unique"),
        ]


class Objective(PlanItem):
    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        ACHIEVED = "achieved", "Achieved"
        REVISED = "revised", "Revised"
        DISCONTINUED = "discontinued", "Discontinued"

    # Objectives a progress note may still work on.
    OPEN = (Status.NOT_STARTED, Status.IN_PROGRESS, Status.REVISED)

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="objectives")
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="objectives")
    target_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_STARTED)

    class Meta(PlanItem.Meta):
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="plan_objective_key_unique"),
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["not_started", "in_progress", "achieved", "revised", "discontinued"]
                ),
                name="plan_objective_status_valid",
            ),
        ]


class PlanIntervention(PlanItem):
    """What will be done for a problem: modality, frequency and who (a colleague on the
    care team, or in words: "client", "psychiatrist")."""

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="interventions")
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="interventions")
    responsible_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta(PlanItem.Meta):
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="plan_intervention_key_unique"),
        ]
