"""The privacy officer's audit log page and its CSV export."""

import csv
import io
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from psynote import testing as t
from psynote.accounts.models import Role
from psynote.audit import log
from psynote.audit.models import AuditEvent
from psynote.audit.views import PAGE_SIZE


def _rows(response) -> list[AuditEvent]:
    return [row.event for row in response.context["page"].rows]


def _record(practice_id: int, n: int, action: str = "test.event") -> None:
    for i in range(n):
        log.record(practice_id=practice_id, action=action, target_type="thing", target_id=i)


@pytest.mark.parametrize("who", ["alice", "sam", "ada", "fred"])
@pytest.mark.parametrize("url", ["/audit/", "/audit/export.csv"])
def test_only_the_privacy_officer_reads_the_log(cast, login, who, url):
    user = getattr(cast, who)
    assert login(user).get(url).status_code == 404
    denied = AuditEvent.objects.filter(action="access.denied", actor_id=str(user.pk)).get()
    assert denied.target_id == url
    assert not AuditEvent.objects.filter(action__in=["audit.view", "audit.export"]).exists()


def test_anonymous_visitor_is_sent_to_login_from_the_log(db, client):
    response = client.get("/audit/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_privacy_officer_sees_the_practice_events_newest_first(cast, login):
    response = login(cast.pria).get("/audit/")
    assert response.status_code == 200
    seqs = [e.seq for e in _rows(response)]
    assert seqs == sorted(seqs, reverse=True)
    assert "client.create" in response.content.decode()


def test_viewing_the_log_is_audited(cast, login):
    login(cast.pria).get("/audit/?action=client.")
    event = AuditEvent.objects.filter(action="audit.view").get()
    assert event.actor_id == str(cast.pria.pk)
    assert '"action":"client."' in event.detail


def test_the_log_shows_each_column(cast, login):
    client = login(cast.pria)
    response = client.get(f"/audit/?client={cast.client.pk}")
    page = response.content.decode()
    row = response.context["page"].rows[-1]  # the oldest: alice created the client
    assert row.event.action == "client.create"
    assert row.username == "alice" and row.client_name == "Avery Fictional"
    assert row.when is not None and row.when.tzinfo is not None
    assert "Alice Testperson, PhD" in page and "Avery Fictional" in page
    assert "127.0.0.1" not in page or row.event.ip  # the factory writes no address
    local = timezone.localtime(row.when).strftime("%Y-%m-%d %H:%M:%S")
    assert local in page


def test_the_log_shows_where_a_request_came_from(cast, login, client):
    client.post(
        "/login/", {"username": "alice", "password": "wrong-pass"}, REMOTE_ADDR="198.51.100.23"
    )
    page = login(cast.pria).get("/audit/?action=login.").content.decode()
    assert "198.51.100.23" in page and "login.failed" in page


def test_the_log_shows_no_other_practice(cast, login):
    elsewhere = t.make_practice("Elsewhere")
    t.make_user(elsewhere, "zed")
    log.record(practice_id=elsewhere.pk, action="secret.elsewhere")
    response = login(cast.pria).get("/audit/")
    assert "secret.elsewhere" not in response.content.decode()
    assert all(e.practice_id == cast.practice.pk for e in _rows(response))


def test_filter_by_action_prefix(cast, login):
    response = login(cast.pria).get("/audit/?action=diagnosis.")
    actions = {e.action for e in _rows(response)}
    assert actions == {"diagnosis.add"}


def test_filter_by_actor_username(cast, login):
    response = login(cast.pria).get("/audit/?actor=BOB")
    rows = _rows(response)
    assert rows and {e.actor_id for e in rows} == {str(cast.bob.pk)}


def test_filter_by_unknown_actor_shows_nothing(cast, login):
    assert _rows(login(cast.pria).get("/audit/?actor=nobody")) == []


def test_filter_by_client(cast, login):
    rows = _rows(login(cast.pria).get(f"/audit/?client={cast.other_client.pk}"))
    assert rows and {e.client_id for e in rows} == {str(cast.other_client.pk)}


def test_filters_combine(cast, login):
    rows = _rows(login(cast.pria).get(f"/audit/?client={cast.client.pk}&action=client."))
    assert [e.action for e in rows] == ["client.create"]


def _at(moment: datetime):
    return mock.patch("psynote.audit.log.timezone.now", return_value=moment)


def test_filter_by_date_range_in_local_days(db, login, settings):
    settings.TIME_ZONE = "America/New_York"
    timezone.deactivate()
    practice = t.make_practice()
    # Events are appended in time order; 2024-03-05 23:30 in New York is already
    # 2024-03-06 in UTC, and belongs to the 5th.
    moments = {
        "day.before": datetime(2024, 3, 4, 12, 0, tzinfo=UTC),
        "day.late_evening": datetime(2024, 3, 6, 4, 30, tzinfo=UTC),
        "day.after": datetime(2024, 3, 6, 14, 0, tzinfo=UTC),
    }
    for action, moment in moments.items():
        with _at(moment):
            log.record(practice_id=practice.pk, action=action)
    client = login(t.make_user(practice, "pria", Role.PRIVACY))
    only_the_fifth = _rows(
        client.get("/audit/?action=day.&date_from=2024-03-05&date_to=2024-03-05")
    )
    assert [e.action for e in only_the_fifth] == ["day.late_evening"]
    from_the_fifth = _rows(client.get("/audit/?action=day.&date_from=2024-03-05"))
    assert [e.action for e in from_the_fifth] == ["day.after", "day.late_evening"]
    up_to_the_fourth = _rows(client.get("/audit/?action=day.&date_to=2024-03-04"))
    assert [e.action for e in up_to_the_fourth] == ["day.before"]
    everything = _rows(client.get("/audit/?date_from=2024-03-01&date_to=2100-01-01"))
    assert len(everything) == AuditEvent.objects.filter(practice_id=practice.pk).count() - 1


def test_date_range_upside_down_is_explained(cast, login):
    response = login(cast.pria).get("/audit/?date_from=2024-03-05&date_to=2024-03-01")
    assert "end date is before the start date" in response.content.decode()


def test_dates_in_the_future_show_nothing(cast, login):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert _rows(login(cast.pria).get(f"/audit/?date_from={tomorrow}")) == []


def test_pagination_walks_back_and_forth_by_seq(cast, login):
    _record(cast.practice.pk, 2 * PAGE_SIZE + 7, action="bulk.event")
    client = login(cast.pria)
    first = client.get("/audit/?action=bulk.")
    page1 = _rows(first)
    assert len(page1) == PAGE_SIZE and first.context["page"].newer is None
    older = first.context["page"].older
    assert f"before={older}" in first.content.decode()
    second = client.get(f"/audit/?action=bulk.&before={older}")
    page2 = _rows(second)
    assert len(page2) == PAGE_SIZE and page2[0].seq == page1[-1].seq - 1
    third = client.get(f"/audit/?action=bulk.&before={second.context['page'].older}")
    page3 = _rows(third)
    assert len(page3) == 7 and third.context["page"].older is None
    back = client.get(f"/audit/?action=bulk.&after={third.context['page'].newer}")
    assert [e.seq for e in _rows(back)] == [e.seq for e in page2]
    top = client.get(f"/audit/?action=bulk.&after={back.context['page'].newer}")
    assert [e.seq for e in _rows(top)] == [e.seq for e in page1]
    assert top.context["page"].newer is None
    seen = page1 + page2 + page3
    assert len({e.seq for e in seen}) == 2 * PAGE_SIZE + 7


def test_page_links_keep_the_filters(cast, login):
    _record(cast.practice.pk, PAGE_SIZE + 1, action="bulk.event")
    page = login(cast.pria).get("/audit/?action=bulk.").content.decode()
    assert "action=bulk.&amp;before=" in page


def test_a_page_never_counts_or_offsets_through_the_log(cast, login):
    _record(cast.practice.pk, PAGE_SIZE + 5)
    client = login(cast.pria)
    with CaptureQueriesContext(connection) as queries:
        client.get("/audit/?date_from=2020-01-01&date_to=2100-01-01&before=999999")
    sql = [q["sql"].upper() for q in queries.captured_queries]
    assert not any("COUNT(" in q or "OFFSET" in q for q in sql)


def test_bad_page_parameters_are_ignored(cast, login):
    assert login(cast.pria).get("/audit/?before=abc&after=").status_code == 200


def test_export_downloads_the_filtered_events_as_csv(cast, login):
    client = login(cast.pria)
    response = client.get(f"/audit/export.csv?client={cast.client.pk}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows and {r["client_id"] for r in rows} == {str(cast.client.pk)}
    assert {r["client_name"] for r in rows} == {"Avery Fictional"}
    assert "client.create" in {r["action"] for r in rows}
    exported = AuditEvent.objects.filter(action="audit.export").get()
    assert str(cast.client.pk) in exported.detail


def test_export_holds_every_matching_event_not_just_one_page(cast, login):
    _record(cast.practice.pk, 3 * PAGE_SIZE, action="bulk.event")
    response = login(cast.pria).get("/audit/export.csv?action=bulk.")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 3 * PAGE_SIZE
    assert [int(r["seq"]) for r in rows] == sorted((int(r["seq"]) for r in rows), reverse=True)


def test_export_neutralises_spreadsheet_formulas(cast, login):
    log.record(practice_id=cast.practice.pk, action="test.formula", target_id="=HYPERLINK(1)")
    response = login(cast.pria).get("/audit/export.csv?action=test.formula")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0]["target_id"] == "'=HYPERLINK(1)"


def test_privacy_officer_of_another_practice_sees_only_theirs(cast, login):
    elsewhere = t.make_practice("Elsewhere")
    other_pria = t.make_user(elsewhere, "penny", Role.PRIVACY)
    response = login(other_pria).get(f"/audit/?client={cast.client.pk}")
    assert _rows(response) == []


def test_an_action_filter_searches_the_log_in_bounded_windows(cast, login, monkeypatch):
    monkeypatch.setattr("psynote.audit.views.SCAN_WINDOW", 40)
    log.record(practice_id=cast.practice.pk, action="rare.event")
    _record(cast.practice.pk, 100, action="common.event")
    client = login(cast.pria)
    first = client.get("/audit/?action=rare.")
    assert _rows(first) == []
    assert "Search older" in first.content.decode()
    found, before, hops = [], first.context["page"].older, 0
    while before and not found and hops < 10:
        response = client.get(f"/audit/?action=rare.&before={before}")
        found, before, hops = _rows(response), response.context["page"].older, hops + 1
    assert [e.action for e in found] == ["rare.event"]


def test_an_indexed_filter_is_not_windowed(cast, login, monkeypatch):
    monkeypatch.setattr("psynote.audit.views.SCAN_WINDOW", 5)
    _record(cast.practice.pk, 30, action="common.event")
    rows = _rows(login(cast.pria).get(f"/audit/?action=client.&client={cast.client.pk}"))
    assert [e.action for e in rows] == ["client.create"]
