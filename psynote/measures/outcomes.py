"""Reading measures for pages and the API: a client's scores grouped by instrument with
their change from baseline, the latest scores across a caseload, and what is due.

Every function here answers in a fixed number of queries however many clients or
administrations there are (a window function picks the latest two administrations per
client and instrument), so a caseload of 150 clients costs what a caseload of 1 does.

Scores are sealed under each client's key (ADR 0002): SQL selects rows by client,
instrument and date only, and every total, band or percentage is read, compared and
sorted here in Python. Rows come with their client, whose key is unwrapped once per
request however many rows it opens.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from typing import Any, NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from psynote.clients.models import Client
from psynote.measures import change, charts, library, score_rows, tables
from psynote.measures.instrument import Instrument
from psynote.measures.models import Administration, MeasureSchedule, RiskAlert
from psynote.measures.score_rows import ScoreRow, read
from psynote.visits.models import Session

ClientIds = Iterable[Any] | QuerySet[Client]


def _ids(clients: ClientIds) -> Any:
    if isinstance(clients, QuerySet):
        return clients.values("pk")
    return [getattr(client, "pk", client) for client in clients]


def reported(administration: Administration | ScoreRow) -> int:
    """The number clinicians read: the percentage when the instrument has one (WHO-5)."""
    percentage = (administration.flags or {}).get("percentage")
    return percentage if percentage is not None else administration.total


# --- due measures -----------------------------------------------------------------------


class Due(NamedTuple):
    instrument: Instrument
    due_date: date
    overdue: bool

    @property
    def is_due(self) -> bool:
        return self.due_date <= timezone.localdate()


def due_measures(
    clients: ClientIds = (), *, schedules: list[MeasureSchedule] | None = None
) -> dict[Any, list[Due]]:
    """Each client's active schedules with the date the next administration is due.

    Every N days: N days after the latest administration, or from the day the schedule
    was set when there is none yet. Before each session: the first session (scheduled or
    attended) after the latest administration — one on the session's own day counts for
    it — or after the schedule was set; nothing is due while no session is booked.
    Overdue means the due date has passed. Two queries.

    `schedules`, instead of `clients`: active schedules already read, each with `last_at`
    set (the latest administration's time or None), as the client's measures page has
    them for its own table and from its scores; then only sessions are read.
    """
    if schedules is None:
        latest = (
            Administration.objects.filter(
                client=OuterRef("client"), instrument=OuterRef("instrument")
            )
            .order_by("-administered_at")
            .values("administered_at")[:1]
        )
        schedules = list(
            MeasureSchedule.objects.filter(active=True, client__in=_ids(clients))
            .annotate(last_at=Subquery(latest))
            .order_by("client_id", "instrument")
        )
    today = timezone.localdate()

    def after(schedule: MeasureSchedule) -> date:
        # The last day already covered: an administration's day, or the day before the
        # schedule began.
        if schedule.last_at is not None:
            return timezone.localdate(schedule.last_at)
        return timezone.localdate(schedule.created_at) - timedelta(days=1)

    per_session = [s for s in schedules if s.before_each_session]
    session_dates: dict[Any, list[date]] = defaultdict(list)
    if per_session:
        rows = (
            Session.objects.filter(
                client_id__in={s.client_id for s in per_session},
                date__gt=min(after(s) for s in per_session),
                attendance__in=[Session.Attendance.SCHEDULED, Session.Attendance.ATTENDED],
            )
            .order_by("date")
            .values_list("client_id", "date")
        )
        for client_id, day in rows:
            session_dates[client_id].append(day)

    result: dict[Any, list[Due]] = {}
    for schedule in schedules:
        try:
            instrument = library.get(schedule.instrument)
        except KeyError:  # an instrument file removed after the schedule was set
            continue
        if schedule.before_each_session:
            covered = after(schedule)
            due = next((d for d in session_dates[schedule.client_id] if d > covered), None)
            if due is None:
                continue
        elif schedule.last_at is not None:
            due = timezone.localdate(schedule.last_at) + timedelta(days=schedule.every_n_days)
        else:
            due = timezone.localdate(schedule.created_at)
        result.setdefault(schedule.client_id, []).append(Due(instrument, due, due < today))
    return result


# --- latest scores and trend ------------------------------------------------------------


@dataclass(frozen=True)
class Latest:
    """A client's latest score on one instrument, against the one before it."""

    instrument: Instrument
    latest: ScoreRow
    previous: ScoreRow | None

    # Worked out once each: a caseload row asks for them several times over.
    @cached_property
    def score(self) -> int:
        return reported(self.latest)

    @property
    def band(self) -> str:
        return self.latest.band

    @cached_property
    def difference(self) -> int | None:
        return None if self.previous is None else self.score - reported(self.previous)

    @property
    def direction(self) -> str:
        """ "up", "down", "flat" or "" (a first score has no trend)."""
        diff = self.difference
        if diff is None:
            return ""
        return "flat" if diff == 0 else ("up" if diff > 0 else "down")

    @property
    def arrow(self) -> str:
        return {"up": "↑", "down": "↓", "flat": "→"}.get(self.direction, "")

    @property
    def better(self) -> bool | None:
        diff = self.difference
        if not diff:
            return None
        return (diff > 0) == self.instrument.higher_is_better

    @property
    def trend_words(self) -> str:
        diff = self.difference
        if diff is None:
            return "first score"
        if diff == 0:
            return f"no change from {reported(self.previous)}"  # type: ignore[arg-type]
        way = "better" if self.better else "worse"
        return f"{'up' if diff > 0 else 'down'} {abs(diff)} from {self.score - diff} ({way})"


def _latest_two_ids(clients: ClientIds) -> RawSQL:
    """The ids of each client's latest two administrations per instrument, as SQL.

    Each (client, instrument) pair present is found through the (client, instrument,
    administered_at) index, and its latest and second-latest rows are two scalar subqueries
    reading a few index entries each. A window function over the caseload (ROW_NUMBER per
    pair) sorts every administration of every client, sealed scores and all, to keep two;
    this reads two per pair. `id` breaks exact ties, so that both subqueries agree."""
    table = Administration._meta.db_table
    pairs, params = (
        Administration.objects.filter(client__in=_ids(clients))
        .order_by()
        .values("client_id", "instrument")
        .distinct()
        .query.sql_with_params()
    )
    pick = (
        f"(SELECT b.id FROM {table} b WHERE b.client_id = p.client_id "  # noqa: S608 - our names
        "AND b.instrument = p.instrument "
        "ORDER BY b.administered_at DESC, b.created_at DESC, b.id DESC LIMIT 1 OFFSET {})"
    )
    sql = (
        f"SELECT {pick.format(0)} FROM ({pairs}) p "
        f"UNION ALL SELECT {pick.format(1)} FROM ({pairs}) p"
    )
    return RawSQL(sql, (*params, *params))  # noqa: S611 - our names; values as parameters


def _clients(clients: ClientIds) -> list[Client]:
    """The clients themselves, for their keys: those given, and the rest read by id."""
    if isinstance(clients, QuerySet):
        return list(clients)
    given = list(clients)
    people = [client for client in given if isinstance(client, Client)]
    ids = [client for client in given if not isinstance(client, Client)]
    return people + list(Client.objects.filter(pk__in=ids)) if ids else people


def latest_scores(clients: ClientIds) -> dict[Any, dict[str, Latest]]:
    """client id → instrument key → Latest, in one query (two when given a QuerySet or
    ids: the clients are read first, for their keys). Rows are read as values, each opened
    with its client's key (`score_rows`): a caseload has hundreds of them."""
    people = _clients(clients)
    try:
        latest = _latest_two_ids(people)
    except EmptyResultSet:  # no clients: nothing to read
        return {}
    keys = {client.pk: score_rows.key_of(client) for client in people}
    rows = (
        Administration.objects.filter(pk__in=latest)
        .order_by()
        .values_list("client_id", "created_at", *score_rows.COLUMNS)
    )
    pairs: dict[tuple[Any, str], list[tuple[Any, ...]]] = defaultdict(list)
    for client_id, created_at, *values in rows:
        row = score_rows.opened(keys[client_id], tuple(values))
        pairs[(client_id, row.instrument)].append(
            (row.administered_at, created_at, row.pk, row)  # UUIDs order as their text does
        )
    result: dict[Any, dict[str, Latest]] = defaultdict(dict)
    instruments = library.load_all()
    for (client_id, key), found in sorted(pairs.items(), key=lambda pair: pair[0][1]):
        if key in instruments:
            found.sort(key=lambda entry: entry[:3], reverse=True)
            previous = found[1][3] if len(found) > 1 else None
            result[client_id][key] = Latest(instruments[key], found[0][3], previous)
    return dict(result)


def open_alerts(clients: ClientIds) -> dict[Any, list[RiskAlert]]:
    alerts = (
        RiskAlert.objects.open()
        .filter(client__in=_ids(clients))
        .select_related("administration__client")
        .order_by("opened_at")
    )
    result: dict[Any, list[RiskAlert]] = defaultdict(list)
    for alert in alerts:
        result[alert.client_id].append(alert)
    return dict(result)


# --- one client, every instrument -------------------------------------------------------


@dataclass(frozen=True)
class ChangeSummary:
    baseline: int
    latest: int
    difference: int
    classification: str  # "reliable improvement", "reliable deterioration", "no reliable change"
    method: str  # how the classification was reached, with its source
    rc: float | None = None

    @property
    def badge(self) -> str:
        return {"reliable improvement": "ok", "reliable deterioration": "danger"}.get(
            self.classification, ""
        )


def change_from_baseline(
    instrument: Instrument, first: Administration | ScoreRow, last: Administration | ScoreRow
) -> ChangeSummary:
    """The Jacobson–Truax RCI when the instrument carries a cited SD and r; otherwise its
    stated fixed threshold (NHS Talking Therapies points, WHO-5's 10 percentage points);
    otherwise the plain difference with no classification."""
    baseline, latest = reported(first), reported(last)
    diff = latest - baseline
    rci = change.reliable_change(instrument, first.total, last.total)
    if rci is not None:
        assert instrument.reliability is not None
        return ChangeSummary(
            baseline,
            latest,
            diff,
            rci.classification.label.lower(),
            f"Jacobson–Truax RC = {rci.rc:.2f} (reliable beyond ±1.96; "
            f"{instrument.reliability.source})",
            rci.rc,
        )
    threshold = change.change_threshold(instrument)
    if threshold is None:
        return ChangeSummary(
            baseline, latest, diff, "", "No reliable-change threshold is on file for this measure."
        )
    if abs(diff) >= threshold.points:
        better = (diff > 0) == instrument.higher_is_better
        words = "reliable improvement" if better else "reliable deterioration"
    else:
        words = "no reliable change"
    method = (
        f"{threshold.basis}: a change of {threshold.points:g} points or more ({threshold.source})"
    )
    return ChangeSummary(baseline, latest, diff, words, method)


@dataclass
class InstrumentHistory:
    instrument: Instrument
    administrations: list[ScoreRow] = field(default_factory=list)  # oldest first

    @property
    def newest_first(self) -> list[ScoreRow]:
        return self.administrations[::-1]

    @property
    def latest(self) -> ScoreRow | None:
        return self.administrations[-1] if self.administrations else None

    @property
    def change(self) -> ChangeSummary | None:
        if len(self.administrations) < 2:
            return None
        return change_from_baseline(
            self.instrument, self.administrations[0], self.administrations[-1]
        )

    @property
    def table_rows(self) -> SafeString:
        return tables.administration_rows(self.newest_first)

    def chart(self) -> SafeString:
        points = [(a.administered_at, a.reported) for a in self.administrations]
        # trend_chart escapes every text it draws and emits no script or style.
        return mark_safe(  # noqa: S308
            charts.trend_chart(self.instrument, points, chart_id=f"trend-{self.instrument.key}")
        )


def histories(client: Client) -> list[InstrumentHistory]:
    """Every instrument this client has scores on, in library order; one query, each row
    read once for the table, the chart and the change from baseline (`score_rows`)."""
    by_key: dict[str, InstrumentHistory] = {}
    instruments = library.load_all()
    for administration in read(client):
        instrument = instruments.get(administration.instrument)
        if instrument is None:
            continue
        by_key.setdefault(instrument.key, InstrumentHistory(instrument)).administrations.append(
            administration
        )
    return [by_key[key] for key in instruments if key in by_key]


def talking_therapies(found: list[InstrumentHistory]) -> change.TalkingTherapiesOutcome | None:
    """NHS Talking Therapies classes from the first to the latest PHQ-9 and GAD-7 totals,
    when at least one of them was given twice or more."""
    pairs: dict[str, tuple[int, int]] = {}
    for history in found:
        if history.instrument.key in ("phq9", "gad7") and len(history.administrations) >= 2:
            pairs[history.instrument.key] = (
                history.administrations[0].total,
                history.administrations[-1].total,
            )
    if not pairs:
        return None
    return change.talking_therapies(phq9=pairs.get("phq9"), gad7=pairs.get("gad7"))


# --- the caseload outcome view ----------------------------------------------------------


@dataclass
class OutcomeRow:
    client: Client
    scores: dict[str, Latest]
    due: list[Due]
    alerts: list[RiskAlert]

    def cells(self, keys: list[str]) -> list[Latest | None]:
        return [self.scores.get(key) for key in keys]

    @property
    def due_now(self) -> list[Due]:
        return [d for d in self.due if d.is_due]


@dataclass
class CaseloadOutcomes:
    rows: list[OutcomeRow]
    instruments: list[Instrument]  # the columns: instruments anyone here has a score on

    @property
    def keys(self) -> list[str]:
        return [instrument.key for instrument in self.instruments]


def caseload_outcomes(
    clients: QuerySet[Client], *, sort: str = "", descending: bool = True
) -> CaseloadOutcomes:
    """Latest score and trend per instrument, due measures and open risk alerts for each
    client in `clients`; five queries whatever the number of clients.

    `sort` is an instrument key (by its latest score; clients without one last) or ""
    (open risk alerts first, then by name)."""
    people = list(clients.order_by("last_name", "first_name"))
    ids = [client.pk for client in people]
    scores = latest_scores(people)
    due = due_measures(ids)
    alerts = open_alerts(ids)
    rows = [
        OutcomeRow(
            client, scores.get(client.pk, {}), due.get(client.pk, []), alerts.get(client.pk, [])
        )
        for client in people
    ]
    present = {key for row in rows for key in row.scores}
    instruments = [i for key, i in library.load_all().items() if key in present]
    if sort in present:
        scored = [row for row in rows if sort in row.scores]
        scored.sort(key=lambda row: row.scores[sort].score, reverse=descending)
        rows = scored + [row for row in rows if sort not in row.scores]
    else:
        rows.sort(key=lambda row: not row.alerts)  # stable: name order within each group
    return CaseloadOutcomes(rows, instruments)
