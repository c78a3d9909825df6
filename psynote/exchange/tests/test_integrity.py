"""`psynote verify` checks the disclosure log (a legal record) against the audit chain."""

import pytest

from psynote.exchange import gate
from psynote.exchange.integrity import disclosure_problems
from psynote.exchange.models import Disclosure
from psynote.exchange.tests.conftest import authorize
from psynote.lib.tests import triggers


@pytest.fixture
def disclosed(record):
    authorization = authorize(record.alice, record.client, {"progress_notes"})
    grant = gate.authorise(record.alice, record.client, {"progress_notes"}, (None, None),
                           "Continuity of care", authorization)
    gate.export_client(record.alice, record.client, grant, "fhir-bundle")
    return Disclosure.objects.get()


def test_an_intact_disclosure_log_verifies(record, disclosed):
    assert list(disclosure_problems(record.cast.practice.pk)) == []


def test_a_changed_package_hash_is_reported(record, disclosed):
    triggers.disable()
    Disclosure.objects.filter(pk=disclosed.pk).update(package_sha256="0" * 64)
    problems = [str(p) for p in disclosure_problems(record.cast.practice.pk)]
    assert problems == [f"disclosure {disclosed.pk}: its package hash, format, scope or "
                        "record count differs from the audit chain's"]


def test_a_deleted_disclosure_is_reported(record, disclosed):
    triggers.disable()
    Disclosure.objects.filter(pk=disclosed.pk).delete()
    problems = [str(p) for p in disclosure_problems(record.cast.practice.pk)]
    assert problems and "missing from the disclosure log" in problems[0]
