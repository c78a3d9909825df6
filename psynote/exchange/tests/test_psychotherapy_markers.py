"""A marker word in a psychotherapy note never leaves in any package, in any format, unless
the disclosure is made under an authorization naming psychotherapy notes alone (or an
exception 45 CFR 164.508(a)(2) allows), and then only the disclosing author's own notes."""

import base64
import binascii
import json
import zipfile
from collections.abc import Iterator
from io import BytesIO
from itertools import combinations

import pytest

from psynote import testing as t
from psynote.exchange import gate
from psynote.exchange.bases import KINDS, PSYCHOTHERAPY
from psynote.exchange.models import Disclosure
from psynote.exchange.tests.conftest import NOTE_MARKER, PN_MARKER, authorize
from psynote.notes import actions as note_actions

RECORD_KINDS = [kind for kind in KINDS if kind != PSYCHOTHERAPY]
# Every non-empty combination of the record's parts: 31 scopes.
SCOPES = [
    set(combo) for n in range(1, len(RECORD_KINDS) + 1) for combo in combinations(RECORD_KINDS, n)
]


def _decoded(value: object) -> Iterator[str]:
    """Every string in a JSON value, and what base64 attachments decode to."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "data" and isinstance(item, str):
                try:
                    decoded = base64.b64decode(item, validate=True).decode(errors="replace")
                except (binascii.Error, ValueError):
                    decoded = ""
                yield decoded
            yield from _decoded(item)
    elif isinstance(value, list):
        for item in value:
            yield from _decoded(item)
    elif isinstance(value, str):
        yield value


def package_text(data: bytes) -> str:
    """Everything a recipient could read in the package, as one string."""
    parts = [data.decode("latin-1")]
    with zipfile.ZipFile(BytesIO(data)) as archive:
        for name in archive.namelist():
            body = archive.read(name)
            parts.append(body.decode("utf-8", errors="replace"))
            lines = body.splitlines() if name.endswith(".ndjson") else [body]
            for line in lines:
                try:
                    parts.extend(_decoded(json.loads(line)))
                except ValueError:
                    continue
    return "\n".join(parts)


@pytest.mark.parametrize("fmt", list(Disclosure.Format.values))
def test_no_record_scope_in_any_format_carries_psychotherapy_notes(record, fmt):
    available = fmt in gate.available_formats()
    for scope in SCOPES:
        grant = gate.authorise(
            record.alice,
            record.client,
            scope,
            (None, None),
            "Care",
            gate.UnderException(
                "treatment", "Referral for fictional care.", "Dr Fictional Receiver"
            ),
        )
        if not available:
            with pytest.raises(gate.Refused, match="not available"):
                gate.export_client(record.alice, record.client, grant, fmt)
            continue
        package = gate.export_client(record.alice, record.client, grant, fmt)
        assert PN_MARKER not in package_text(package.data), scope


def test_the_progress_note_marker_is_found_when_progress_notes_are_disclosed(record):
    """The search itself works: what is disclosed is found (so absence above means absence)."""
    if "fhir-bundle" not in gate.available_formats():
        pytest.fail("the FHIR bundle builder should exist in this checkout")
    grant = gate.authorise(
        record.alice,
        record.client,
        {"progress_notes"},
        (None, None),
        "Care",
        gate.UnderException("treatment", "Referral.", "Dr Receiver"),
    )
    package = gate.export_client(record.alice, record.client, grant, "fhir-bundle")
    assert NOTE_MARKER in package_text(package.data)


@pytest.mark.parametrize("fmt", list(Disclosure.Format.values))
def test_an_ordinary_authorization_never_carries_psychotherapy_notes(record, fmt):
    authorization = authorize(record.alice, record.client, set(RECORD_KINDS))
    with pytest.raises(gate.Refused):
        gate.authorise(
            record.alice, record.client, {PSYCHOTHERAPY}, (None, None), "Care", authorization
        )
    if fmt in gate.available_formats():
        grant = gate.authorise(
            record.alice, record.client, set(RECORD_KINDS), (None, None), "Care", authorization
        )
        package = gate.export_client(record.alice, record.client, grant, fmt)
        assert PN_MARKER not in package_text(package.data)


@pytest.mark.parametrize("fmt", list(Disclosure.Format.values))
def test_the_psychotherapy_note_authorization_carries_them_in_every_format(record, fmt):
    authorization = authorize(record.alice, record.client, {PSYCHOTHERAPY})
    grant = gate.authorise(
        record.alice, record.client, {PSYCHOTHERAPY}, (None, None), "Care", authorization
    )
    package = gate.export_client(record.alice, record.client, grant, fmt)
    text = package_text(package.data)
    assert PN_MARKER in text
    assert NOTE_MARKER not in text  # and nothing of the rest of the record


def test_only_the_disclosing_authors_own_psychotherapy_notes_leave(record, cast):
    from psynote.clients import actions as client_actions

    client_actions.add_care_team_member(by=cast.ada, client=record.client, user=cast.bob)
    t.open_psychotherapy_notes(cast.bob)
    note_actions.write_psychotherapy_note(
        by=cast.bob, client=record.client, body="Bob's own process note: Quillbadger."
    )
    authorization = authorize(record.alice, record.client, {PSYCHOTHERAPY})
    grant = gate.authorise(
        record.alice, record.client, {PSYCHOTHERAPY}, (None, None), "Care", authorization
    )
    text = package_text(gate.export_client(record.alice, record.client, grant, "fhir-bundle").data)
    assert PN_MARKER in text
    assert "Quillbadger" not in text
