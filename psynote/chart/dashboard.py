"""The clinician's day: everything they owe, in one list, each item linking to where it
is resolved. A fixed number of queries however long the lists (one per section, the
measures two), and each thing counted once: a session whose note is a draft is a draft,
not also "needs a note".

Sections: today's and tomorrow's sessions; attended sessions without a note; drafts;
overdue plan reviews; overdue measures; open risk alerts; clients' rights requests with
their due dates; for supervisors, notes awaiting their review and notes returned to the
user for revision (from `psynote.supervision`, when it is there)."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from psynote.accounts.models import Role
from psynote.clients.access import Need, clients_for
from psynote.clients.models import Client
from psynote.measures.models import RiskAlert
from psynote.measures.outcomes import Due, due_measures
from psynote.notes.models import ProgressNote
from psynote.plans import queries as plan_queries
from psynote.records.models import AccessRequest, AmendmentRequest
from psynote.supervision import queries as supervision_queries
from psynote.supervision.models import NoteReview, ReviewState
from psynote.visits.models import Session

Attendance = Session.Attendance
# Past sessions without a note, as far back as the dashboard looks: older ones are still
# on the caseload and the chart, but a day list of years of gaps helps no one.
NOTE_LOOKBACK = timedelta(days=366)


def notes_awaiting_review(user: Any) -> QuerySet[ProgressNote]:
    # Joined here so that the section stays one query however many notes it lists.
    return supervision_queries.notes_awaiting_review(user).select_related(
        "client", "session", "author")


def notes_returned_for_revision(user: Any) -> list[ProgressNote]:
    # Asked first of the few reviews in the returned state (their index): usually there
    # is none, and the listing, access filters and all, is not compiled or run at all.
    if not NoteReview.objects.filter(state=ReviewState.RETURNED, note__author=user).exists():
        return []
    return list(supervision_queries.notes_returned_for_revision(user)
                .select_related("client", "session"))


def _with_clients(rows: Any, clients: dict[Any, Client]) -> list[Any]:
    """`rows` (of the user's own clients) with their client from `clients`, already read:
    no join and no client built again per row."""
    rows = list(rows)
    for row in rows:
        row.client = clients[row.client_id]
    return rows


@dataclass
class Request:
    kind: str  # "access" or "amendment"
    client: Client
    deadline: date
    overdue: bool


@dataclass
class Dashboard:
    today: date
    sessions_today: list[Session] = field(default_factory=list)
    sessions_tomorrow: list[Session] = field(default_factory=list)
    needs_note: list[Session] = field(default_factory=list)
    drafts: list[ProgressNote] = field(default_factory=list)
    plan_reviews: list[tuple[Client, date]] = field(default_factory=list)
    measures: list[tuple[Client, Due]] = field(default_factory=list)
    risk_alerts: list[RiskAlert] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    awaiting_review: list[ProgressNote] = field(default_factory=list)
    returned: list[ProgressNote] = field(default_factory=list)

    @property
    def owed(self) -> int:
        """Things waiting on the user (sessions are not owed, they are the day)."""
        return (len(self.needs_note) + len(self.drafts) + len(self.plan_reviews)
                + len(self.measures) + len(self.risk_alerts) + len(self.requests)
                + len(self.awaiting_review) + len(self.returned))


def dashboard_for(user: Any) -> Dashboard:
    today = timezone.localdate()
    result = Dashboard(today=today)
    # The user's own clients (the care teams they are on), never an emergency grant's.
    own = clients_for(user, Need.CLINICAL, emergency=False).filter(care_team__user=user)
    clients = {c.pk: c for c in Client.objects.filter(pk__in=own.values("pk")).active()
               .order_by("last_name", "first_name")}
    mine = Session.objects.filter(clinician=user, client__in=list(clients))

    for session in _with_clients(mine.filter(date__in=[today, today + timedelta(days=1)])
                                 .exclude(attendance=Attendance.CANCELLED)
                                 .order_by("date", "start_time"), clients):
        (result.sessions_today if session.date == today else result.sessions_tomorrow
         ).append(session)
    result.needs_note = _with_clients(
        mine.attended().filter(progress_note__isnull=True,
                               date__range=(today - NOTE_LOOKBACK, today))
        .order_by("-date", "-start_time"), clients)
    # Only a supervisor has supervisees' notes to review.
    if user.role == Role.SUPERVISOR:
        result.awaiting_review = list(notes_awaiting_review(user))
    if user.is_clinical:
        result.returned = notes_returned_for_revision(user)
    # A draft returned for revision is listed there, not twice.
    result.drafts = _with_clients(
        ProgressNote.objects.drafts().filter(author=user, client__in=list(clients))
        .exclude(pk__in=[note.pk for note in result.returned])
        .select_related("session").order_by("-session__date"), clients)

    for client_id, status in plan_queries.reviews_due(list(clients), today=today).items():
        if status.overdue:
            result.plan_reviews.append((clients[client_id], status.due))
    result.plan_reviews.sort(key=lambda pair: pair[1])
    for client_id, dues in due_measures(list(clients)).items():
        result.measures += [(clients[client_id], due) for due in dues if due.overdue]
    result.measures.sort(key=lambda pair: pair[1].due_date)
    result.risk_alerts = _with_clients(
        RiskAlert.objects.open().filter(client__in=list(clients)).order_by("opened_at"),
        clients)

    for kind, model in (("access", AccessRequest), ("amendment", AmendmentRequest)):
        for request in (model.objects.filter(client__in=list(clients), status="open")
                        .only("id", "client_id", "due_on", *(
                            ["extended_to"] if model is AmendmentRequest else []))):
            deadline = request.deadline
            result.requests.append(Request(kind, clients[request.client_id], deadline,
                                           deadline < today))
    result.requests.sort(key=lambda r: r.deadline)
    return result
