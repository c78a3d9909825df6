"""Administrations, self-report links and schedules: the database keeps them honest."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from psynote.measures import library, scoring
from psynote.measures.models import Administration, MeasureSchedule, SelfReportLink


def administer(client, user, key="phq9", answers=None, **fields) -> Administration:
    answers = answers or {n: 1 for n in range(1, 10)}
    result = scoring.score(library.get(key), answers)
    administration = Administration(client=client, instrument=key, created_by=user, **fields)
    administration.apply(result)
    administration.full_clean()
    administration.save()
    return administration


def test_administration_stores_numbers_total_band_and_flags(cast):
    answers = {n: 1 for n in range(1, 9)} | {9: 2}
    a = administer(cast.client, cast.alice, answers=answers)
    a.refresh_from_db()
    assert a.answers == {str(n): v for n, v in answers.items()}
    assert (a.total, a.band) == (10, "Moderate")
    assert a.flags["critical_items"][0]["item"] == 9
    assert a.flags["screens"][0]["positive"] is True
    assert a.rescore().total == 10


def test_administration_with_a_total_that_disagrees_with_its_answers_is_invalid(cast):
    a = administer(cast.client, cast.alice)
    a.total = 12
    with pytest.raises(ValidationError, match="does not match the answers, which score 9"):
        a.full_clean()


def test_administration_with_free_text_answers_is_invalid(cast):
    a = Administration(client=cast.client, instrument="phq2", answers={"1": "often", "2": 0},
                       total=0)  # fmt: skip
    with pytest.raises(ValidationError, match="must be a whole number"):
        a.full_clean()


def test_administration_of_an_unknown_instrument_is_invalid(cast):
    a = Administration(client=cast.client, instrument="bdi2", answers={}, total=0)
    with pytest.raises(ValidationError, match="no instrument 'bdi2'"):
        a.full_clean()


def test_chronological_series_for_a_chart(cast):
    now = timezone.now()
    later = administer(cast.client, cast.alice, administered_at=now)
    earlier = administer(cast.client, cast.alice, administered_at=now - timedelta(days=14))
    administer(cast.client, cast.alice, key="phq2", answers={1: 0, 2: 0})
    series = Administration.objects.filter(client=cast.client).of("phq9").chronological()
    assert list(series) == [earlier, later]


def test_self_report_link_expires_after_7_days_by_default(cast):
    token = SelfReportLink.new_token()
    link = SelfReportLink.objects.create(
        client=cast.client, instrument="phq9", token_hash=SelfReportLink.hash_token(token)
    )
    assert timedelta(days=7) - (link.expires_at - link.created_at) < timedelta(seconds=5)
    assert link.is_usable()
    assert not link.is_usable(link.expires_at)
    assert SelfReportLink.objects.usable().get() == link
    assert not SelfReportLink.objects.usable(link.expires_at + timedelta(seconds=1)).exists()
    assert link.token_hash != token and len(link.token_hash) == 64


def test_used_self_report_link_must_point_at_its_answers(cast):
    link = SelfReportLink.objects.create(client=cast.client, instrument="phq9",
                                         token_hash=SelfReportLink.hash_token("t"))  # fmt: skip
    link.used_at = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        link.save()
    link.administration = administer(cast.client, None, source=Administration.Source.SELF_REPORT)
    link.save()
    assert not link.is_usable()


def test_schedule_has_exactly_one_rhythm(cast):
    MeasureSchedule.objects.create(client=cast.client, instrument="phq9", every_n_days=14)
    MeasureSchedule.objects.create(client=cast.client, instrument="gad7",
                                   before_each_session=True)  # fmt: skip
    for fields in ({"every_n_days": 14, "before_each_session": True}, {}, {"every_n_days": 0}):
        with pytest.raises(IntegrityError), transaction.atomic():
            MeasureSchedule.objects.create(client=cast.client, instrument="who5", **fields)


def test_only_one_active_schedule_per_instrument(cast):
    first = MeasureSchedule.objects.create(client=cast.client, instrument="phq9", every_n_days=14)
    with pytest.raises(IntegrityError), transaction.atomic():
        MeasureSchedule.objects.create(client=cast.client, instrument="phq9", every_n_days=7)
    first.active = False
    first.save()
    MeasureSchedule.objects.create(client=cast.client, instrument="phq9", every_n_days=7)


def test_interval_schedule_is_due_n_days_after_the_last_administration(cast):
    schedule = MeasureSchedule(client=cast.client, instrument="phq9", every_n_days=14)
    last = timezone.now() - timedelta(days=3)
    assert schedule.due_on(last) == timezone.localdate(last) + timedelta(days=14)
    assert schedule.due_on(None) == timezone.localdate()
    assert MeasureSchedule(before_each_session=True).due_on(last) is None
    assert schedule.describe() == "every 14 days"
