"""The measures pages' long tables, built in Python (`measures.tables`), give the very
bytes the template loops they replaced gave, for every kind of flag and for text that
must be escaped."""
# The template loops are quoted as they were, long lines and all.
# ruff: noqa: E501

import uuid
from datetime import UTC, date, datetime

from django.template import Context, Template
from django.utils import timezone

from psynote.clients.models import Client
from psynote.measures import library, tables
from psynote.measures.models import Administration
from psynote.measures.outcomes import Due, Latest, OutcomeRow

# The loops of measures/client.html and measures/caseload.html before they were replaced.
CLIENT_LOOP = """{% autoescape on %}    {% for a in h.newest_first %}
      <tr>
        <td class="nowrap">{{ a.administered_at|date:"Y-m-d H:i" }}</td>
        <td>{{ a.get_source_display }}</td>
        <td>{% if a.flags.percentage is not None %}{{ a.flags.percentage }}{% else %}{{ a.total }}{% endif %}{% if a.flags.prorated %} <span class="muted small">(prorated)</span>{% endif %}</td>
        <td>{{ a.band|default:"—" }}</td>
        <td>{% for hit in a.flags.critical_items %}<span class="badge danger">Item {{ hit.item }}: {{ hit.answer }}</span> {% endfor %}
          {% for s in a.flags.screens %}{% if s.positive %}{% if s.review %}<span class="badge warn review" title="{{ s.label }}">Review: {{ s.label }}</span>{% else %}<span class="badge warn" title="{{ s.label }}">Positive screen{% if s.sex %} ({{ s.sex }}){% endif %}</span>{% endif %} {% endif %}{% endfor %}
          {% if a.flags.provisional_diagnosis %}<span class="small">Provisional PTSD: cut-off {{ a.flags.provisional_diagnosis.by_cutoff|yesno:"yes,no" }}, DSM rule {{ a.flags.provisional_diagnosis.by_dsm_rule|yesno:"yes,no" }}</span>{% endif %}</td>
      </tr>
    {% endfor %}{% endautoescape %}"""
CASELOAD_LOOP = """{% autoescape on %}  {% for row, cells in rows %}
    <tr data-client="{{ row.client.pk }}">
      <td><a href="{% url 'measures_client' row.client.pk %}">{{ row.client.last_name }}, {{ row.client.preferred_name|default:row.client.first_name }}</a></td>
      {% for cell in cells %}
      <td class="score-cell">{% if cell %}<strong>{{ cell.score }}</strong>{% if cell.arrow %} <span class="trend-{% if cell.better is None %}flat{% elif cell.better %}better{% else %}worse{% endif %}" title="{{ cell.trend_words }}"><span aria-hidden="true">{{ cell.arrow }} {% if cell.better is None %}same{% elif cell.better %}better{% else %}worse{% endif %}</span><span class="visually-hidden">{{ cell.trend_words }}</span></span>{% endif %}
        <br><span class="muted small">{{ cell.band }} · {{ cell.latest.administered_at|date:"Y-m-d" }}</span>{% else %}<span class="muted">—</span>{% endif %}</td>
      {% endfor %}
      <td>{% for d in row.due_now %}<span class="badge {% if d.overdue %}danger{% else %}warn{% endif %}">{{ d.instrument.short_name }} {% if d.overdue %}overdue since {{ d.due_date|date:"Y-m-d" }}{% else %}due{% endif %}</span> {% empty %}<span class="muted">—</span>{% endfor %}</td>
      <td>{% if row.alerts %}<a class="badge danger" href="{% url 'measures_client' row.client.pk %}#alerts">{{ row.alerts|length }} open</a>{% else %}<span class="muted">—</span>{% endif %}</td>
    </tr>
  {% endfor %}{% endautoescape %}"""

TRICKY = 'A <b>"label"</b> & \'more\''


def administration(total, *, band="", source="in_session", flags=None, day=1, hour=9):
    a = Administration(
        id=uuid.uuid4(), instrument="phq9", source=source,
        administered_at=datetime(2026, 3, day, hour, 5, tzinfo=UTC),
    )
    a.total, a.band, a.flags = total, band, flags or {}
    return a


ADMINISTRATIONS = [
    administration(4, band="Minimal"),
    administration(60, source="self_report", flags={"percentage": 60, "prorated": True}, day=2),
    administration(0, flags={"percentage": 0}, day=3, hour=23),
    administration(21, band=TRICKY, flags={
        "critical_items": [{"item": 9, "answer": 2, "label": "x"}, {"item": 9}],
        "screens": [
            {"key": "a", "label": TRICKY, "positive": True, "sex": None},
            {"key": "b", "label": "Review range", "positive": True, "review": True},
            {"key": "c", "label": "AUDIT-C men", "positive": True, "sex": "male"},
            {"key": "d", "label": "not shown", "positive": False},
        ],
        "provisional_diagnosis": {"by_cutoff": True, "by_dsm_rule": None},
    }, day=4),
    administration(7, flags={"provisional_diagnosis": {"by_cutoff": False, "by_dsm_rule": 1},
                             "screens": [], "critical_items": [{"item": None, "answer": 0}]}),
]


def test_the_administration_rows_are_the_template_loops_bytes():
    class History:
        newest_first = ADMINISTRATIONS

    for zone in ("America/New_York", "Europe/Berlin"):
        with timezone.override(zone):
            expected = Template(CLIENT_LOOP).render(Context({"h": History()}))
            assert "    " + tables.administration_rows(ADMINISTRATIONS) == expected


def test_the_outcome_rows_are_the_template_loops_bytes():
    phq9, gad7 = library.get("phq9"), library.get("gad7")
    clients = [
        Client(id=uuid.uuid4(), first_name="Fay", last_name=TRICKY, preferred_name=""),
        Client(id=uuid.uuid4(), first_name="Ben", last_name="Nobody", preferred_name="B&B"),
        Client(id=uuid.uuid4(), first_name="Al", last_name="Same", preferred_name=""),
    ]
    first = administration(12, band="Moderate", day=1)
    worse = administration(19, band="Moderately severe", day=8)
    better = administration(5, band=TRICKY, day=9, hour=3)
    same = administration(5, band="Mild", day=10)
    rows = [
        OutcomeRow(clients[0],
                   {"phq9": Latest(phq9, worse, first), "gad7": Latest(gad7, first, None)},
                   [Due(gad7, date(2026, 3, 1), True), Due(phq9, date(2000, 1, 1), False)],
                   [object(), object()]),
        OutcomeRow(clients[1], {"phq9": Latest(phq9, better, first)},
                   [Due(phq9, date(2999, 1, 1), False)], []),
        OutcomeRow(clients[2], {"gad7": Latest(gad7, same, better)}, [], [object()]),
    ]
    pairs = [(row, row.cells(["phq9", "gad7"])) for row in rows]
    for zone in ("America/New_York", "Asia/Tokyo"):
        with timezone.override(zone):
            expected = Template(CASELOAD_LOOP).render(Context({"rows": pairs}))
            assert "  " + tables.outcome_rows(pairs) == expected
