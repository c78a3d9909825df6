"""Sealed facts (psynote.lib.sealed) and the request-scoped cache of unwrapped data keys
(psynote.lib.crypto), on real rows: a diagnosis (integer id) and an administration."""

from datetime import date

import pytest

from psynote.clients.models import SHREDDED_KEY, Client, Diagnosis
from psynote.lib import crypto
from psynote.measures import actions as measure_actions
from psynote.measures.models import Administration

PHQ9 = {n: 1 for n in range(1, 9)} | {9: 0}


def _aad(client: Client) -> bytes:
    return crypto.aad_for("clients_client", client.pk, "data_key")


def test_a_row_with_an_integer_id_is_sealed_under_that_id(cast):
    diagnosis = Diagnosis.objects.create(
        client=cast.client, code="F32.A", description="Depression, unspecified",
        onset_date=date(2024, 1, 2), added_by=cast.alice,
    )
    stored = Diagnosis.objects.get(pk=diagnosis.pk)
    assert (stored.code, stored.onset_date) == ("F32.A", date(2024, 1, 2))
    aad = crypto.aad_for("clients_diagnosis", stored.pk, "facts")
    assert b'"code":"F32.A"' in crypto.open_sealed(cast.client.data_key(), stored.facts_ct, aad)


def test_setting_one_fact_keeps_the_others_and_update_fields_names_facts(cast):
    diagnosis = Diagnosis.objects.get(client=cast.client)
    diagnosis.description = "Edited description (fictional)"
    diagnosis.save(update_fields=["description"])
    stored = Diagnosis.objects.get(pk=diagnosis.pk)
    assert (stored.code, stored.description) == ("F41.1", "Edited description (fictional)")


def test_refresh_from_db_forgets_what_was_opened(cast):
    diagnosis = Diagnosis.objects.get(client=cast.client)
    assert diagnosis.code == "F41.1"
    other = Diagnosis.objects.get(pk=diagnosis.pk)
    other.code = "F43.10"
    other.save()
    diagnosis.refresh_from_db()
    assert diagnosis.code == "F43.10"


def test_a_shredded_key_reads_as_nothing_not_an_error(cast):
    administration = measure_actions.administer(
        by=cast.alice, client=cast.client, instrument_key="phq9", answers=PHQ9
    )
    Client.objects.filter(pk=cast.client.pk).update(wrapped_key=SHREDDED_KEY)
    stored = Administration.objects.get(pk=administration.pk)
    assert (stored.total, stored.answers, stored.facts_shredded) == (0, {}, True)


def test_keys_are_remembered_inside_a_block_only(cast):
    assert crypto.remembered_key(_aad(cast.client)) is None
    with crypto.keys_cached():
        key = Client.objects.get(pk=cast.client.pk).data_key()
        assert crypto.remembered_key(_aad(cast.client)) == key
        # A row that knows only its client's id opens with the remembered key.
        assert Administration(client_id=cast.client.pk)._facts_key() == key
    assert crypto.remembered_key(_aad(cast.client)) is None


def test_a_remembered_key_is_not_used_for_other_wrapped_bytes(cast):
    with crypto.keys_cached():
        Client.objects.get(pk=cast.client.pk).data_key()
        moved = Client.objects.get(pk=cast.client.pk)
        moved.wrapped_key = cast.other_client.wrapped_key  # another client's, in memory
        with pytest.raises(crypto.DecryptionError):
            moved.data_key()


def test_no_key_outlives_the_request_that_unwrapped_it(cast, login):
    browser = login(cast.alice)
    assert browser.get(f"/clients/{cast.client.pk}/measures/").status_code == 200
    assert crypto.remembered_key(_aad(cast.client)) is None
