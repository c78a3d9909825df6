"""The caseload: a clinician's clients with what needs doing, in a constant number of
queries however many clients there are (every figure is a correlated subquery, and the
primary diagnoses, sealed under each client's key, are one more query opened in Python)."""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from psynote.accounts.models import Role
from psynote.chart.links import link_maker
from psynote.chart.timeline import day_text
from psynote.clients.access import Need, clients_for
from psynote.clients.models import CareTeamMember, Client, Diagnosis
from psynote.measures.models import RiskAlert
from psynote.measures.outcomes import due_measures
from psynote.notes.models import ProgressNote
from psynote.plans import queries as plan_queries
from psynote.supervision.access import supervisees_of
from psynote.visits.models import Session

Attendance = Session.Attendance


def _count(queryset: QuerySet) -> Coalesce:
    counted = queryset.order_by().values("client").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def annotate(clients: QuerySet[Client]) -> QuerySet[Client]:
    """Next and last session, notes still owed, drafts and risk."""
    today = timezone.localdate()
    sessions = Session.objects.filter(client=OuterRef("pk"))
    upcoming = sessions.filter(date__gte=today, attendance=Attendance.SCHEDULED).order_by(
        "date", "start_time"
    )
    past = (
        sessions.filter(date__lte=today)
        .exclude(attendance=Attendance.SCHEDULED)
        .order_by("-date", "-start_time")
    )
    notes = ProgressNote.objects.filter(client=OuterRef("pk"))
    latest_signed = notes.signed().order_by("-session__date", "-session__start_time", "-signed_at")
    return clients.annotate(
        next_date=Subquery(upcoming.values("date")[:1]),
        next_time=Subquery(upcoming.values("start_time")[:1]),
        last_date=Subquery(past.values("date")[:1]),
        last_attendance=Subquery(past.values("attendance")[:1]),
        # Attended and no note begun: a session whose note is a draft counts as a draft
        # only, not twice (issue 11).
        needs_note=_count(
            Session.objects.filter(client=OuterRef("pk"))
            .attended()
            .filter(progress_note__isnull=True)
        ),
        drafts=_count(notes.drafts()),
        at_risk=Coalesce(Subquery(latest_signed.values("risk_flagged")[:1]), Value(False)),
        open_risk_alerts=_count(RiskAlert.objects.open().filter(client=OuterRef("pk"))),
    ).order_by("last_name", "first_name")


@dataclass
class Caseload:
    own: list[Client]
    supervised: list[Client] = field(default_factory=list)

    @property
    def owed(self) -> int:
        """Sessions still without a signed note: none begun, or a draft."""
        return sum(client.needs_note + client.drafts for client in self.own)


def _labelled(clients: QuerySet[Client]) -> list[Client]:
    """The rows with their links and the next session's day: one reverse per kind of link
    for the whole list, where the table reversed three routes per client."""
    rows = list(clients)
    chart, measures, plan = (
        link_maker("client_chart"), link_maker("measures_client"), link_maker("plan_detail"))
    for client in rows:
        client.last_attendance_label = (
            Attendance(client.last_attendance).label if client.last_attendance else ""
        )
        client.chart_link, client.measures_link, client.plan_link = (
            chart(client.pk), measures(client.pk), plan(client.pk))
        client.next_day_text = day_text(client.next_date) if client.next_date else ""
    return rows


def _with_primary_diagnoses(clients: list[Client]) -> None:
    """Each client's active primary diagnosis, code and description (one query). They are
    sealed, so each row is opened with its client's key, unwrapped once per client."""
    by_id = {client.pk: client for client in clients}
    primaries: dict[Any, Diagnosis] = {}
    rows = Diagnosis.objects.filter(
        client__in=list(by_id), is_primary=True, status=Diagnosis.Status.ACTIVE
    ).order_by("pk")
    for diagnosis in rows:
        diagnosis.client = by_id[diagnosis.client_id]
        primaries.setdefault(diagnosis.client_id, diagnosis)
    for client in clients:
        primary = primaries.get(client.pk)
        client.diagnosis_code = primary.code if primary else None
        client.diagnosis_text = primary.description if primary else None


def _with_due_measures(clients: list[Client]) -> None:
    """Measures due today or overdue, from the clients' schedules (two queries for all)."""
    due = due_measures(clients)
    for client in clients:
        client.measures_due = [d for d in due.get(client.pk, []) if d.is_due]


def _with_plan_reviews(clients: list[Client]) -> None:
    """Each client's treatment-plan review date and whether it is overdue (one query)."""
    reviews = plan_queries.reviews_due([client.pk for client in clients])
    for client in clients:
        client.plan_review = reviews.get(client.pk)


def caseload_for(user: Any) -> Caseload:
    """Active clients on the user's care teams; a supervisor also gets their supervisees'
    clients (read-only), each tagged with the supervisee(s) who see them."""
    visible = clients_for(user, Need.CLINICAL).active()
    own = annotate(Client.objects.filter(pk__in=visible.filter(care_team__user=user).values("pk")))
    result = Caseload(own=_labelled(own))
    if user.role == Role.SUPERVISOR:
        supervisees = supervisees_of(user).values("pk")
        theirs = (
            visible.filter(care_team__user__in=supervisees)
            .exclude(care_team__user=user)
            .values("pk")
        )
        supervised = _labelled(annotate(Client.objects.filter(pk__in=theirs)))
        members = (
            CareTeamMember.objects.filter(
                client__in=[c.pk for c in supervised], user__in=supervisees
            )
            .select_related("user")
            .order_by("user__last_name")
        )
        by_client: dict[Any, list[Any]] = {}
        for member in members:
            by_client.setdefault(member.client_id, []).append(member.user)
        for client in supervised:
            client.supervisees = by_client.get(client.pk, [])
        result.supervised = supervised
    _with_primary_diagnoses(result.own + result.supervised)
    _with_due_measures(result.own + result.supervised)
    _with_plan_reviews(result.own + result.supervised)
    return result
