"""No member's record holds another member's content or name: each attending member's
marker word is in their own chart, note, API answer, FHIR bundle, PDF and right-of-access
package, and in nobody else's. The same for a couples session: the note is in the
identified client's record only, its participants there by role, never by name."""

import base64
import json
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from psynote import testing as t
from psynote.accounts.actions import issue_token
from psynote.exchange import pdf
from psynote.exchange.bases import KINDS, PSYCHOTHERAPY
from psynote.exchange.fhir.build import client_bundle
from psynote.exchange.tests.test_psychotherapy_markers import package_text
from psynote.groups.tests.conftest import MARKERS, SHARED
from psynote.notes.models import ProgressNote
from psynote.records import actions as record_actions
from psynote.visits import participants

RECORD = set(KINDS) - {PSYCHOTHERAPY}
ATTENDED = ("ada", "ben")


def _leaks(text: str, signed, key: str) -> list[str]:
    """Other members' marker words and names found in `text` (a record of `key`)."""
    found = [m for k, m in MARKERS.items() if k != key and m in text]
    for other_key, other in signed.members.items():
        if other_key != key:
            found += [n for n in (other.first_name, other.last_name) if n in text]
    return found


def _right_of_access(signed, client) -> str:
    request = record_actions.record_access_request(by=signed.alice, client=client,
                                                   requested_on=timezone.localdate())
    package = record_actions.produce_access(by=signed.alice, request=request,
                                            fmt="fhir-bundle")
    return package_text(package.data)


@pytest.mark.parametrize("key", ["ada", "ben", "cy"])
def test_each_member_s_pages_hold_only_their_own_part(signed, login, key):
    browser = login(signed.alice)
    client = signed.members[key]
    pages = [reverse("client_chart", args=[client.pk]), reverse("caseload")]
    note = ProgressNote.objects.filter(client=client).first()
    if note is not None:
        pages.append(reverse("note_detail", args=[note.pk]))
    for url in pages[:1] + pages[2:]:
        text = browser.get(url).content.decode()
        assert _leaks(text, signed, key) == [], url
    caseload = browser.get(pages[1]).content.decode()
    assert not any(m in caseload for m in (*MARKERS.values(), SHARED))
    if key in ATTENDED:
        text = browser.get(pages[2]).content.decode()
        assert MARKERS[key] in text and SHARED in text
    else:
        assert note is None


@pytest.mark.parametrize("key", ATTENDED)
def test_each_member_s_api_answers_hold_only_their_own_part(signed, client, key):
    _, secret = issue_token(by=signed.alice, name="leak")
    member = signed.members[key]
    note = ProgressNote.objects.get(client=member)
    headers = {"Authorization": f"Bearer {secret}"}
    for url in (f"/api/v1/notes/{note.pk}", f"/api/v1/clients/{member.pk}/notes",
                f"/api/v1/clients/{member.pk}/sessions"):
        text = client.get(url, headers=headers).content.decode()
        assert _leaks(text, signed, key) == [], url
    assert MARKERS[key] in client.get(f"/api/v1/notes/{note.pk}", headers=headers
                                      ).content.decode()


@pytest.mark.parametrize("key", ["ada", "ben", "cy"])
def test_fhir_pdf_and_right_of_access_hold_only_the_member_s_own_part(signed, key):
    member = signed.members[key]
    bundle = client_bundle(member, RECORD)
    documents = [e["resource"] for e in bundle["entry"]
                 if e["resource"]["resourceType"] == "DocumentReference"]
    encounters = [e["resource"] for e in bundle["entry"]
                  if e["resource"]["resourceType"] == "Encounter"]
    assert len(encounters) == 1
    assert [c["code"] for c in encounters[0]["type"][0].get("coding", [])] == (
        ["90853"] if key in ATTENDED else [])
    assert len(encounters[0]["participant"]) == 1  # the facilitator, nobody else
    assert len(documents) == (1 if key in ATTENDED else 0)
    texts = {
        "fhir": json.dumps(bundle) + "".join(_attachments(documents)),
        "pdf": pdf.client_html(member, RECORD),
        "access": _right_of_access(signed, member),
    }
    for where, text in texts.items():
        assert _leaks(text, signed, key) == [], where
        assert (MARKERS[key] in text) == (key in ATTENDED), where


def _attachments(documents: list[dict]) -> list[str]:
    return [base64.b64decode(c["attachment"]["data"]).decode()
            for d in documents for c in d["content"]]


@pytest.fixture
def couple(cast):
    """A couples session of alice's client with her partner, who is also alice's client."""
    alice = cast.alice
    identified = t.make_client(alice, first_name="Imogen", last_name="Lark")
    partner = t.make_client(alice, first_name="Percival", last_name="Wren")
    session = t.make_session(identified, alice, service="family_with_client",
                             day=date.today())
    participants.add_participant(by=alice, session=session, role="partner",
                                 name="Percival Wren", participant_client_id=partner.pk)
    note = t.make_note(session, sections=t.SOAP | {"subjective": "Coupleswordmarker"},
                       sign=True)
    return identified, partner, note


def test_a_couples_note_lives_in_the_identified_client_s_record_by_role_only(couple, cast):
    identified, partner, note = couple
    assert note.cpt_code == "90847"
    assert note.content()["session"]["participants"] == ["Partner"]
    bundle = client_bundle(identified, RECORD)
    (encounter,) = [e["resource"] for e in bundle["entry"]
                    if e["resource"]["resourceType"] == "Encounter"]
    roles = [p["type"][0].get("text") for p in encounter["participant"]]
    assert roles == [None, "Partner"]
    mine = {
        "fhir": json.dumps(bundle) + "".join(_attachments(
            [e["resource"] for e in bundle["entry"]
             if e["resource"]["resourceType"] == "DocumentReference"])),
        "pdf": pdf.client_html(identified, RECORD),
    }
    for where, text in mine.items():
        assert "Coupleswordmarker" in text and "Partner" in text, where
        assert "Percival" not in text and "Wren" not in text, where
    request = record_actions.record_access_request(by=cast.alice, client=partner,
                                                   requested_on=timezone.localdate())
    package = record_actions.produce_access(by=cast.alice, request=request, fmt="fhir-bundle")
    assert "Coupleswordmarker" not in package_text(package.data)
    assert "Coupleswordmarker" not in pdf.client_html(partner, RECORD)


def test_family_therapy_without_the_client_is_90846(cast):
    session = t.make_session(cast.client, cast.alice, service="family_without_client")
    participants.add_participant(by=cast.alice, session=session, role="parent",
                                 name="Fictional Parent")
    note = t.make_note(session, sign=True)
    assert note.cpt_code == "90846"
    assert note.content()["session"]["participants"] == ["Parent"]
