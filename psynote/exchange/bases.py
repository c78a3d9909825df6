"""What may be disclosed, and on what basis other than the client's authorization.

The record kinds are what an authorization or a disclosure names. The exceptions are the
fixed list a clinician chooses from when there is no authorization; each says whether it
appears in the client's accounting of disclosures and whether it can carry psychotherapy
notes. Sources: 45 CFR 164.508(a)(2) (the exceptions for psychotherapy notes,
docs/clinical-sources.md#authorization-for-psychotherapy-notes) and 45 CFR 164.528 (what
the accounting leaves out, docs/clinical-sources.md#accounting-of-disclosures). Anything not
on 164.528's exempt list is accounted for: listing a disclosure that could have been
left out harms nobody, leaving out one that belonged there breaks the rule. Citations
are given only where our sources give them; the practice's privacy officer should
confirm the list against the rule.
"""

from dataclasses import dataclass

from django.db import models


class RecordKind(models.TextChoices):
    DEMOGRAPHICS = "demographics", "Demographics"
    DIAGNOSES = "diagnoses", "Diagnoses"
    PROGRESS_NOTES = "progress_notes", "Progress notes (signed)"
    PLANS = "plans", "Treatment plans"
    MEASURES = "measures", "Measures (scores)"
    PSYCHOTHERAPY_NOTES = "psychotherapy_notes", "Psychotherapy notes"


KINDS = tuple(RecordKind.values)
PSYCHOTHERAPY = RecordKind.PSYCHOTHERAPY_NOTES.value


def kind_labels(scope: object) -> str:
    labels = dict(RecordKind.choices)
    return ", ".join(labels.get(kind, kind) for kind in KINDS if kind in scope)  # type: ignore[operator]


@dataclass(frozen=True)
class DisclosureException:
    code: str
    label: str
    citation: str
    accountable: bool  # appears in the accounting of disclosures (164.528)
    psychotherapy_notes: bool  # may carry psychotherapy notes unauthorised (164.508(a)(2))


EXCEPTIONS: dict[str, DisclosureException] = {
    e.code: e
    for e in (
        # Exempt from the accounting (164.528): TPO, to the individual, persons involved in
        # care, national security, custody, limited data set.
        DisclosureException(
            "treatment",
            "Treatment (to another provider)",
            "",
            accountable=False,
            psychotherapy_notes=False,
        ),
        DisclosureException("payment", "Payment", "", accountable=False, psychotherapy_notes=False),
        DisclosureException(
            "operations", "Health care operations", "", accountable=False, psychotherapy_notes=False
        ),
        DisclosureException(
            "to_individual",
            "To the client themself",
            "",
            accountable=False,
            psychotherapy_notes=False,
        ),
        DisclosureException(
            "involved_in_care",
            "Persons involved in the client's care",
            "",
            accountable=False,
            psychotherapy_notes=False,
        ),
        DisclosureException(
            "national_security",
            "National security or intelligence",
            "",
            accountable=False,
            psychotherapy_notes=False,
        ),
        DisclosureException(
            "custody",
            "Correctional institution or law-enforcement custody",
            "",
            accountable=False,
            psychotherapy_notes=False,
        ),
        DisclosureException(
            "limited_data_set", "Limited data set", "", accountable=False, psychotherapy_notes=False
        ),
        # Accounted for. Those 164.508(a)(2) names may carry psychotherapy notes.
        DisclosureException(
            "required_by_law",
            "Required by law",
            "164.512(a)",
            accountable=True,
            psychotherapy_notes=True,
        ),
        DisclosureException(
            "serious_threat",
            "To avert a serious threat to health or safety",
            "164.512(j)(1)(i)",
            accountable=True,
            psychotherapy_notes=True,
        ),
        DisclosureException(
            "oversight_of_originator",
            "Health oversight of the clinician who wrote the notes",
            "164.512(d)",
            accountable=True,
            psychotherapy_notes=True,
        ),
        DisclosureException(
            "health_oversight",
            "Health oversight",
            "164.512(d)",
            accountable=True,
            psychotherapy_notes=False,
        ),
        DisclosureException(
            "coroner",
            "Coroner or medical examiner",
            "164.512(g)(1)",
            accountable=True,
            psychotherapy_notes=True,
        ),
        DisclosureException(
            "hhs_compliance",
            "HHS compliance investigation",
            "164.502(a)(2)(ii)",
            accountable=True,
            psychotherapy_notes=True,
        ),
        DisclosureException(
            "legal_defense",
            "Defending a legal action the client brought",
            "",
            accountable=True,
            psychotherapy_notes=True,
        ),
        DisclosureException(
            "supervised_training",
            "The practice's own supervised mental-health training program",
            "",
            accountable=True,
            psychotherapy_notes=True,
        ),
        DisclosureException(
            "judicial",
            "Judicial or administrative proceedings",
            "",
            accountable=True,
            psychotherapy_notes=False,
        ),
        DisclosureException(
            "law_enforcement", "Law enforcement", "", accountable=True, psychotherapy_notes=False
        ),
    )
}
EXCEPTION_CHOICES = [
    (e.code, f"{e.label} ({e.citation})" if e.citation else e.label) for e in EXCEPTIONS.values()
]
ACCOUNTABLE = tuple(code for code, e in EXCEPTIONS.items() if e.accountable)
