"""`psynote verify` checks a signed note by hashing its stored canonical bytes, written into
its signature payload as they stand (`signed_notes.holds`), instead of parsing and
serialising the note again. That fast path must agree with `ProgressNote.compute_hash` for
every note, including text that JSON escapes, and cost a fixed number of queries however
many notes there are. (What it must catch is in psynote/audit/tests/test_tamper.py.)"""

from datetime import time

from psynote import testing as t
from psynote.notes import integrity, signed_notes
from psynote.notes.models import ProgressNote
from psynote.plans.models import PlanVersion


def _signed(cast, clinician, client, hour: int, **changes) -> ProgressNote:
    session = t.make_session(client, clinician, start=time(hour, 0))
    return t.make_note(session, sign=True, **changes)


def test_the_fast_hash_agrees_with_compute_hash_on_every_note(cast):
    odd = t.make_user(cast.practice, "zoe", first_name='Zoë "Z" \\ Ünal', last_name="O'Brien\u2028")
    client = t.make_client(odd, last_name="Quotes")
    _signed(cast, cast.alice, cast.client, 9)
    _signed(cast, odd, client, 10)
    text = 'Said "hi" \\ 😀\n\u2028 <b>&</b>'
    _signed(cast, odd, client, 11,
            sections={"subjective": text, "objective": "x", "assessment": "y", "plan": "z"})
    chained = integrity._chained(cast.practice.pk)["note.sign"]
    ciphers = signed_notes.ClientCiphers(cast.practice.pk)
    rows = list(signed_notes.rows(cast.practice.pk))
    assert len(rows) == 3
    for row in rows:
        note = ProgressNote.objects.select_related("client").get(pk=row[0])
        assert note.compute_hash() == note.content_hash
        assert signed_notes.holds(row, ciphers, chained)


def test_checking_signed_notes_costs_the_same_queries_for_many(cast, django_assert_max_num_queries):
    def queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert list(integrity.signed_records_problems(cast.practice.pk)) == []
        return len(captured)

    _signed(cast, cast.alice, cast.client, 9)
    few = queries()
    for hour in range(10, 16):
        _signed(cast, cast.alice, cast.client, hour)
        _signed(cast, cast.bob, cast.other_client, hour)
    with django_assert_max_num_queries(few):
        assert list(integrity.signed_records_problems(cast.practice.pk)) == []


def test_plan_items_read_as_rows_hash_as_the_models_do(cast):
    # `_plan_versions` hands the structure rows of values instead of item instances.
    t.make_plan(cast.client, cast.alice, objectives=3)
    t.make_plan(cast.other_client, cast.bob, objectives=2)
    versions = list(integrity._plan_versions(cast.practice.pk))
    assert len(versions) == 2
    for version in versions:
        model = PlanVersion.objects.get(pk=version.pk)
        assert len(version.structure()["problems"][0]["goals"][0]["objectives"]) >= 2
        assert version.structure() == model.structure()
        assert version.compute_hash() == model.content_hash
