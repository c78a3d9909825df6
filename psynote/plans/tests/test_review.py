"""Review dates: the practice's interval by default, the clinician's date when set, and
overdue reviews for one client or a whole caseload."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from psynote import testing as t
from psynote.plans import actions, queries


def test_the_review_is_due_after_the_configured_interval(cast, settings):
    settings.PLAN_REVIEW_DAYS = 30
    version = t.make_plan(cast.client, cast.alice)
    assert version.review_due == timezone.localdate() + timedelta(days=30)


def test_the_clinician_may_set_the_review_date(cast):
    chosen = timezone.localdate() + timedelta(days=45)
    version = t.make_plan(cast.client, cast.alice, review_due=chosen.isoformat())
    assert version.review_due == chosen


def test_a_review_date_in_the_past_is_refused_at_signing(cast):
    version = t.make_plan(
        cast.client, cast.alice, sign=False, review_due=timezone.localdate().isoformat()
    )
    with pytest.raises(ValidationError, match="review date must be after today"):
        actions.sign_version(by=cast.alice, version=version)


def test_no_plan_means_no_review(cast):
    assert queries.review_status(cast.client) == (None, False)
    assert queries.reviews_due([cast.client.pk]) == {}


def test_a_draft_alone_has_no_review_date(cast):
    t.make_plan(cast.client, cast.alice, sign=False)
    assert queries.review_status(cast.client) == (None, False)


def test_a_plan_within_its_review_date_is_not_overdue(cast):
    version = t.make_plan(cast.client, cast.alice)
    assert queries.review_status(cast.client) == (version.review_due, False)


def test_a_plan_past_its_review_date_is_overdue(cast):
    version = t.make_plan(cast.client, cast.alice)
    status = queries.review_status(cast.client, today=version.review_due + timedelta(days=1))
    assert status.due == version.review_due and status.overdue


def test_the_review_date_itself_is_not_yet_overdue(cast):
    version = t.make_plan(cast.client, cast.alice)
    assert not queries.review_status(cast.client, today=version.review_due).overdue


def test_reviews_due_answers_for_a_caseload_in_one_query(cast):
    clients = [cast.client] + [
        t.make_client(cast.alice, first_name=f"Fictional{n}", last_name="Caseload")
        for n in range(5)
    ]
    for client in clients[:4]:
        t.make_plan(client, cast.alice)
    # The newest signed version counts: a later one with a nearer review date.
    later = timezone.localdate() + timedelta(days=10)
    draft = actions.start_version(by=cast.alice, client=clients[0])
    actions.save_structure(
        by=cast.alice,
        version=draft,
        structure=draft.structure()
        | {
            "client_agreement_date": timezone.localdate().isoformat(),
            "client_agreement_method": "verbal",
            "review_due": later.isoformat(),
        },
    )
    actions.sign_version(by=cast.alice, version=draft)
    with CaptureQueriesContext(connection) as queries_run:
        due = queries.reviews_due([c.pk for c in clients], today=later + timedelta(days=1))
    assert len(queries_run.captured_queries) == 1
    assert set(due) == {c.pk for c in clients[:4]}
    assert due[clients[0].pk] == (later, True)
    assert not due[clients[1].pk].overdue
