"""The long tables of the measures pages as HTML, built in Python.

A client with two years of weekly scores has hundreds of rows, and a caseload 150 clients
by several measures: through the template engine those rows cost more than everything
else on the page together (docs/benchmarks.md, "Measures pages"). Each function here
writes exactly the markup the template's loop wrote for the same rows (the tests compare
them byte for byte), escaping every value it puts in the page.
"""

from collections.abc import Iterable, Sequence
from datetime import tzinfo
from html import escape
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from psynote.measures.models import Administration
from psynote.measures.score_rows import ScoreRow


def _text(value: Any) -> str:
    """A value as `{{ value }}` shows it: escaped, None as "None" (Django's `escape` is
    this same `html.escape`, behind a wrapper that costs more than the escaping)."""
    return escape(str(value))


def _yes_no(value: Any) -> str:
    return "yes" if value else "no"


_NO_FLAGS = "\n          \n          "


def _flags(flags: dict[str, Any]) -> str:
    """The Flags cell of one administration: critical answers, screens, provisional PTSD."""
    if not (
        flags.get("critical_items") or flags.get("screens") or flags.get("provisional_diagnosis")
    ):
        return _NO_FLAGS  # most scores: nothing to flag, and a long history has hundreds
    parts = [
        f'<span class="badge danger">Item {_text(hit.get("item", ""))}: '
        f'{_text(hit.get("answer", ""))}</span> '
        for hit in flags.get("critical_items") or ()
    ]
    parts.append("\n          ")
    for screen in flags.get("screens") or ():
        if not screen.get("positive"):
            continue
        label = _text(screen.get("label", ""))
        if screen.get("review"):
            parts.append(f'<span class="badge warn review" title="{label}">Review: {label}</span> ')
        else:
            sex = screen.get("sex")
            who = f" ({_text(sex)})" if sex else ""
            parts.append(f'<span class="badge warn" title="{label}">Positive screen{who}</span> ')
    parts.append("\n          ")
    provisional = flags.get("provisional_diagnosis")
    if provisional:
        parts.append(
            '<span class="small">Provisional PTSD: cut-off '
            f"{_yes_no(provisional.get('by_cutoff'))}, DSM rule "
            f"{_yes_no(provisional.get('by_dsm_rule'))}</span>"
        )
    return "".join(parts)


def administration_rows(administrations: Iterable[Administration | ScoreRow]) -> SafeString:
    """The rows of one instrument's table on the client's measures page, as given."""
    sources = {value: _text(label) for value, label in Administration.Source.choices}
    zone = timezone.get_current_timezone()  # once: `localtime` looks it up per call
    rows = []
    for a in administrations:
        flags = a.flags or {}
        percentage = flags.get("percentage")
        score = _text(percentage if percentage is not None else a.total)
        if flags.get("prorated"):
            score += ' <span class="muted small">(prorated)</span>'
        when = a.administered_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        source = sources.get(a.source) or _text(a.source)
        rows.append(
            "\n      <tr>\n"
            f'        <td class="nowrap">{when}</td>\n'
            f"        <td>{source}</td>\n"
            f"        <td>{score}</td>\n"
            f"        <td>{_text(a.band) if a.band else '—'}</td>\n"
            f"        <td>{_flags(flags)}</td>\n"
            "      </tr>\n    "
        )
    return mark_safe("".join(rows))  # noqa: S308 - every value above is escaped


# --- the caseload outcome view ----------------------------------------------------------

NONE = '<span class="muted">—</span>'


def _cell(cell: Any, zone: tzinfo) -> str:
    if not cell:
        return NONE
    html = f"<strong>{_text(cell.score)}</strong>"
    if cell.arrow:
        better = cell.better
        way = "flat" if better is None else ("better" if better else "worse")
        said = "same" if better is None else way
        words = _text(cell.trend_words)
        html += (
            f' <span class="trend-{way}" title="{words}"><span aria-hidden="true">'
            f"{_text(cell.arrow)} {said}</span>"
            f'<span class="visually-hidden">{words}</span></span>'
        )
    day = cell.latest.administered_at.astimezone(zone).strftime("%Y-%m-%d")
    return html + f'\n        <br><span class="muted small">{_text(cell.band)} · {day}</span>'


def outcome_rows(rows: Sequence[tuple[Any, list[Any]]]) -> SafeString:
    """The rows of the caseload outcome view: (OutcomeRow, its cells) in display order."""
    # One reverse for the whole table: the client's id is the only part that varies.
    marker = "00000000-0000-0000-0000-000000000000"
    link = reverse("measures_client", args=[marker])
    head, tail = link.split(marker)
    zone = timezone.get_current_timezone()  # once: `localtime` looks it up per call
    out = []
    for row, cells in rows:
        client = row.client
        href = escape(f"{head}{client.pk}{tail}")
        name = client.preferred_name or client.first_name
        parts = [
            f'\n    <tr data-client="{_text(client.pk)}">\n'
            f'      <td><a href="{href}">{_text(client.last_name)}, {_text(name)}</a></td>\n      '
        ]
        parts.extend(
            f'\n      <td class="score-cell">{_cell(cell, zone)}</td>\n      ' for cell in cells
        )
        due = [
            f'<span class="badge {"danger" if d.overdue else "warn"}">'
            f"{_text(d.instrument.short_name)} "
            + (
                f"overdue since {d.due_date:%Y-%m-%d}" if d.overdue else "due"
            )
            + "</span> "
            for d in row.due_now
        ]
        parts.append(f"\n      <td>{''.join(due) or NONE}</td>\n")
        if row.alerts:
            alerts = (
                f'<a class="badge danger" href="{href}#alerts">{len(row.alerts)} open</a>'
            )
        else:
            alerts = NONE
        parts.append(f"      <td>{alerts}</td>\n    </tr>\n  ")
        out.append("".join(parts))
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
