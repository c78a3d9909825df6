"""The privacy officer's audit pages: the log, its integrity check, and a CSV export.

The log can hold millions of events, so no page ever counts or offsets through it: pages
are seq ranges (keyset pagination on the practice's (practice_id, seq) index), and a date
range becomes a seq range by binary search, since a practice's events are appended in
time order under the chain head's lock.

Audit knows nothing clinical, so these views take what only the clinical apps know as
arguments: `client_names` puts names on client ids, `record_problems` checks the signed
records against the chain. `chart/audit_views.py` supplies both and routes the URLs.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from psynote.accounts.access import check_role
from psynote.accounts.models import Role, User
from psynote.audit import log, verify
from psynote.audit.models import AuditEvent, ChainHead
from psynote.lib import canonical_json, spreadsheet
from psynote.lib.forms import IsoDateInput

PAGE_SIZE = 50
# The most events one page looks through when its filter has no index of its own (an
# action prefix): about 0.1 s of index scan on SQLite on a 2-core machine.
SCAN_WINDOW = 100_000
EXPORT_CHUNK = 2000
SHOWN_PROBLEMS = 20

# (practice id, client ids as events store them) -> display name by client id; an id that
# is no client of the practice is left out.
ClientNames = Callable[[int, set[str]], dict[str, str]]
# practice id -> one problem (shown with str()) per signed record that fails its check.
RecordProblems = Callable[[int], Iterator[object]]


class FilterForm(forms.Form):
    action = forms.CharField(
        required=False, max_length=64, help_text="Starts with, e.g. “note.” or “login.failed”."
    )
    actor = forms.CharField(required=False, max_length=150, label="Who (username)")
    client = forms.CharField(required=False, max_length=64, label="Client id")
    date_from = forms.DateField(
        required=False, label="From", widget=IsoDateInput()
    )
    date_to = forms.DateField(
        required=False, label="To (inclusive)", widget=IsoDateInput()
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return data


@dataclass
class Row:
    event: AuditEvent
    when: datetime | None
    username: str
    client_name: str
    detail: str


@dataclass
class Page:
    rows: list[Row]
    newer: int | None = None  # seq to page from with ?after=
    older: int | None = None  # seq to page from with ?before=
    searched: tuple[int, int] | None = None  # seq range searched when it held too few
    filters: dict[str, str] = field(default_factory=dict)


def _utc_text(day: date) -> str:
    """The start of a local calendar day, as the UTC text stored in `AuditEvent.at`."""
    local = timezone.make_aware(datetime.combine(day, time.min))
    return local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _first_seq_at_or_after(practice_id: int, at: str, head: int) -> int:
    """The first seq whose event happened at or after `at` (head + 1 if none): ~20 lookups."""
    events = AuditEvent.objects.filter(practice_id=practice_id)
    low, high = 1, head + 1
    while low < high:
        middle = (low + high) // 2
        found = events.filter(seq__gte=middle).order_by("seq").values_list("at", flat=True).first()
        if found is None or found >= at:
            high = middle
        else:
            low = middle + 1
    return low


def _filtered(practice_id: int, data: dict[str, Any]) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.filter(practice_id=practice_id)
    if data.get("action"):
        events = events.filter(action__startswith=data["action"].strip())
    if data.get("actor"):
        ids = User.objects.filter(
            practice_id=practice_id, username__iexact=data["actor"].strip()
        ).values_list("pk", flat=True)
        events = events.filter(actor_id__in=[str(pk) for pk in ids])
    if data.get("client"):
        events = events.filter(client_id=data["client"].strip())
    if data.get("date_from") or data.get("date_to"):
        head = ChainHead.objects.filter(practice_id=practice_id).values_list("seq", flat=True)
        last = head.first() or 0
        if data.get("date_from"):
            start = _utc_text(data["date_from"])
            events = events.filter(
                seq__gte=_first_seq_at_or_after(practice_id, start, last), at__gte=start
            )
        if data.get("date_to"):
            end = _utc_text(data["date_to"] + timedelta(days=1))
            events = events.filter(
                seq__lt=_first_seq_at_or_after(practice_id, end, last), at__lt=end
            )
    return events


def _when(event: AuditEvent) -> datetime | None:
    try:
        return datetime.fromisoformat(event.at)
    except ValueError:  # shown as stored rather than hidden: this is evidence
        return None


def _rows(practice_id: int, events: list[AuditEvent], client_names: ClientNames) -> list[Row]:
    """Rows with names: two queries per page, whatever its length."""
    actor_ids = {e.actor_id for e in events if e.actor_id.isdigit()}
    usernames = {
        str(pk): name
        for pk, name in User.objects.filter(pk__in=actor_ids).values_list("pk", "username")
    }
    client_ids = {e.client_id for e in events if e.client_id}
    names = client_names(practice_id, client_ids) if client_ids else {}
    return [
        Row(
            e,
            _when(e),
            usernames.get(e.actor_id, ""),
            names.get(e.client_id, ""),
            pretty_detail(e.detail),
        )
        for e in events
    ]


def _page(
    practice_id: int,
    events: QuerySet[AuditEvent],
    params: Any,
    *,
    head: int,
    windowed: bool,
    client_names: ClientNames,
) -> Page:
    """One page of at most PAGE_SIZE events, newest first, bounded by seq.

    `windowed`: the filter has no index of its own (an action prefix), so a page looks at
    no more than SCAN_WINDOW events; if it finds fewer than a page there, it says which
    events it searched and offers to search further back.
    """
    before, after = _seq_param(params.get("before")), _seq_param(params.get("after"))
    page = Page([])
    if after is not None:
        upper = after + SCAN_WINDOW if windowed else None
        scan = events.filter(seq__gt=after)
        if upper is not None:
            scan = scan.filter(seq__lte=upper)
        window = list(scan.order_by("seq")[: PAGE_SIZE + 1])
        if len(window) > PAGE_SIZE:
            window = window[:PAGE_SIZE]
            page.newer = window[-1].seq
        elif upper is not None and upper < head:
            page.newer, page.searched = upper, (after + 1, upper)
        window.reverse()
        lowest = window[-1].seq if window else after + 1
        page.older = lowest if lowest > 1 else None
    else:
        upper = before if before is not None else head + 1
        lower = max(1, upper - SCAN_WINDOW) if windowed else 1
        scan = events.filter(seq__lt=upper) if before is not None or windowed else events
        if windowed:
            scan = scan.filter(seq__gte=lower)
        window = list(scan.order_by("-seq")[: PAGE_SIZE + 1])
        if len(window) > PAGE_SIZE:
            window = window[:PAGE_SIZE]
            page.older = window[-1].seq
        elif lower > 1:
            page.older, page.searched = lower, (lower, upper - 1)
        if before is not None:
            page.newer = window[0].seq if window else upper - 1
    page.rows = _rows(practice_id, window, client_names)
    return page


def _seq_param(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def _filter_detail(data: dict[str, Any]) -> dict[str, str]:
    return {key: str(value) for key, value in data.items() if value}


def audit_log(request: HttpRequest, *, client_names: ClientNames) -> HttpResponse:
    check_role(request, Role.PRIVACY)
    practice_id = request.user.practice_id
    form = FilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    events = _filtered(practice_id, data)
    head = ChainHead.objects.filter(practice_id=practice_id).values_list("seq", flat=True).first()
    windowed = bool(data.get("action")) and not (data.get("actor") or data.get("client"))
    page = _page(
        practice_id,
        events,
        request.GET,
        head=head or 0,
        windowed=windowed,
        client_names=client_names,
    )
    page.filters = _filter_detail({k: request.GET.get(k, "") for k in FilterForm.base_fields})
    log.record_by(
        request.user,
        "audit.view",
        target_type="audit_log",
        detail={
            **_filter_detail(data),
            **{k: request.GET[k] for k in ("before", "after") if k in request.GET},
        },
    )
    base = urlencode(page.filters)
    return render(
        request,
        "audit/log.html",
        {
            "form": form,
            "page": page,
            "head_seq": head or 0,
            "query": base,
            "time_zone": timezone.get_current_timezone_name(),
        },
    )


def audit_verify(request: HttpRequest, *, record_problems: RecordProblems) -> HttpResponse:
    check_role(request, Role.PRIVACY)
    practice_id = request.user.practice_id
    check = verify.check_practice(practice_id)  # chain, checkpoints, and a new checkpoint
    report = check.report
    problems = record_problems(practice_id)
    shown = list(islice(problems, SHOWN_PROBLEMS))
    problem_count = len(shown) + sum(1 for _ in problems)
    intact = check.intact and not problem_count
    log.record_by(
        request.user,
        "audit.verify",
        target_type="audit_log",
        detail={
            "events": report.events,
            "head": report.head.hex(),
            "intact": intact,
            "first_break": check.problems[0] if check.problems else "",
            "checkpoints": check.checkpoints,
            "checkpoint_written": check.written.head.seq if check.written else None,
            "warnings": len(check.warnings),
            "signed_record_problems": problem_count,
        },
    )
    return render(
        request,
        "audit/verify.html",
        {
            "report": report,
            "first_break": check.problems[0] if check.problems else None,
            "check": check,
            "problems": shown,
            "problem_count": problem_count,
            "intact": intact,
            "checked_at": timezone.now(),
        },
    )


_CSV_HEADER = [
    "seq",
    "when_utc",
    "when_local",
    "actor_id",
    "actor_name",
    "actor_username",
    "action",
    "target_type",
    "target_id",
    "client_id",
    "client_name",
    "ip",
    "detail",
]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(
    practice_id: int, events: QuerySet[AuditEvent], client_names: ClientNames
) -> Iterator[str]:
    writer = spreadsheet.writer(_Echo())
    yield writer.writerow(_CSV_HEADER)
    before: int | None = None
    while True:
        chunk = events if before is None else events.filter(seq__lt=before)
        batch = list(chunk.order_by("-seq")[:EXPORT_CHUNK])
        if not batch:
            return
        for row in _rows(practice_id, batch, client_names):
            e = row.event
            local = timezone.localtime(row.when).isoformat() if row.when else ""
            yield writer.writerow(
                (
                    e.seq,
                    e.at,
                    local,
                    e.actor_id,
                    e.actor_name,
                    row.username,
                    e.action,
                    e.target_type,
                    e.target_id,
                    e.client_id,
                    row.client_name,
                    e.ip,
                    shown_detail(e.detail),
                )
            )
        before = batch[-1].seq


def audit_export(request: HttpRequest, *, client_names: ClientNames) -> HttpResponse:
    check_role(request, Role.PRIVACY)
    practice_id = request.user.practice_id
    form = FilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    log.record_by(
        request.user, "audit.export", target_type="audit_log", detail=_filter_detail(data)
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        _csv_lines(practice_id, _filtered(practice_id, data), client_names),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="psynote-audit-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


# Keys that events written before the log stopped carrying clinical content used (a
# diagnosis code, an instrument, a score, critical items, how a risk alert was resolved).
# Those events keep their bytes, so the chain still verifies; the log never shows the keys.
WITHHELD_KEYS = frozenset({"code", "instrument", "total", "items", "resolution"})


def _shown(detail: str) -> dict[str, object] | None:
    try:
        data = canonical_json.loads(detail)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    return {key: value for key, value in data.items() if key not in WITHHELD_KEYS}


def shown_detail(detail: str) -> str:
    """The stored detail as the log shows it: JSON without the withheld keys."""
    data = _shown(detail)
    return detail if data is None else canonical_json.dumps(data).decode()


def pretty_detail(detail: str) -> str:
    """Detail JSON as `key: value` pairs, for people rather than parsers."""
    data = _shown(detail)
    if data is None:
        return detail
    return "; ".join(
        f"{key}: {value if isinstance(value, str) else canonical_json.dumps(value).decode()}"
        for key, value in data.items()
    )
