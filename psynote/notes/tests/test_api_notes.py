"""Progress notes, addenda and psychotherapy notes through the API."""

from django.test import Client as HttpClient

from psynote import testing as t
from psynote.accounts.models import ApiToken
from psynote.audit.models import AuditEvent
from psynote.notes.api import NoteSummaryOut
from psynote.notes.models import Addendum, ProgressNote, PsychotherapyNote


def _api(user) -> HttpClient:
    _, token = ApiToken.issue(user=user, name="test")
    return HttpClient(headers={"Authorization": f"Bearer {token}"})


def _json(api: HttpClient, method: str, url: str, body: object = None):
    return getattr(api, method)(url, body, content_type="application/json")


def _author_session(user) -> HttpClient:
    """The author's signed-in browser session, where her psychotherapy-note key is open
    (ADR 0009: an API token cannot open it)."""
    browser = HttpClient()
    browser.force_login(user)
    t.open_psychotherapy_notes(user, browser)
    return browser


def test_full_flow_session_note_sign_addendum(cast):
    api = _api(cast.alice)
    session = _json(
        api,
        "post",
        f"/api/v1/clients/{cast.client.pk}/sessions",
        {"date": "2026-01-05", "start_time": "10:00", "end_time": "10:55"},
    )
    assert session.status_code == 201, session.content
    session_id = session.json()["id"]

    started = _json(api, "post", f"/api/v1/sessions/{session_id}/notes", {"template": "soap"})
    assert started.status_code == 201, started.content
    note_id = started.json()["id"]
    assert started.json()["status"] == "draft" and started.json()["signature"] is None

    incomplete = _json(api, "post", f"/api/v1/notes/{note_id}/sign", {})
    assert incomplete.status_code == 400
    assert "Subjective is empty" in incomplete.json()["errors"]

    patched = _json(
        api,
        "patch",
        f"/api/v1/notes/{note_id}",
        {
            "sections": t.SOAP,
            "diagnosis_codes": ["F41.1"],
            "mse": {"mood": "anxious"},
            "interventions": ["psychoeducation"],
            "risk": {"si": "none"},
        },
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["content"]["mse"]["mood"] == "anxious"
    assert patched.json()["content"]["mse"]["affect"] == ""

    signed = _json(
        api, "post", f"/api/v1/notes/{note_id}/sign", {"late_reason": "Power cut at the office."}
    )
    assert signed.status_code == 200, signed.content
    body = signed.json()
    assert body["status"] == "signed" and body["cpt_code"] == "90837"
    assert body["cpt_codes"] == ["90837"]
    assert body["signature"]["signer_name"] == "Alice Testperson, PhD"
    assert len(body["signature"]["content_hash"]) == 64

    refused = _json(api, "patch", f"/api/v1/notes/{note_id}", {"mse": {"mood": "changed"}})
    assert refused.status_code == 409
    assert "addendum" in refused.json()["detail"]
    assert _json(api, "post", f"/api/v1/notes/{note_id}/sign", {}).status_code == 409

    addendum = _json(
        api,
        "post",
        f"/api/v1/notes/{note_id}/addenda",
        {"kind": "late_information", "body": "Client phoned after the session."},
    )
    assert addendum.status_code == 201, addendum.content
    listed = api.get(f"/api/v1/notes/{note_id}/addenda").json()
    assert [a["body"] for a in listed] == ["Client phoned after the session."]
    full = api.get(f"/api/v1/notes/{note_id}").json()
    assert full["content"]["mse"]["mood"] == "anxious"
    assert full["addenda"][0]["kind"] == "late_information"

    notes = api.get(f"/api/v1/clients/{cast.client.pk}/notes").json()
    assert notes["items"][0]["id"] == note_id and notes["items"][0]["status"] == "signed"
    assert "content" not in notes["items"][0]


def test_reading_a_note_is_audited(cast):
    note = t.make_note(t.make_session(cast.client, cast.alice))
    assert _api(cast.alice).get(f"/api/v1/notes/{note.pk}").status_code == 200
    assert AuditEvent.objects.filter(action="note.view", target_id=str(note.pk)).count() == 1


def test_supervisor_reads_supervisees_note_but_cannot_patch_it(cast):
    note = t.make_note(t.make_session(cast.supervisee_client, cast.sue))
    api = _api(cast.sam)
    assert api.get(f"/api/v1/notes/{note.pk}").status_code == 200
    assert api.get(f"/api/v1/clients/{cast.supervisee_client.pk}/notes").status_code == 200
    before = ProgressNote.objects.get(pk=note.pk).content_ct
    response = _json(api, "patch", f"/api/v1/notes/{note.pk}", {"mse": {"mood": "x"}})
    assert response.status_code == 404
    assert _json(api, "post", f"/api/v1/notes/{note.pk}/sign", {}).status_code == 404
    assert bytes(ProgressNote.objects.get(pk=note.pk).content_ct) == bytes(before)


def test_supervisor_cannot_add_addendum_to_supervisees_note(cast):
    note = t.make_note(t.make_session(cast.supervisee_client, cast.sue), sign=True)
    response = _json(
        _api(cast.sam), "post", f"/api/v1/notes/{note.pk}/addenda", {"body": "From the supervisor."}
    )
    assert response.status_code == 404
    assert not Addendum.objects.exists()


def test_bob_admin_front_desk_and_privacy_get_404_on_alices_note(cast):
    note = t.make_note(t.make_session(cast.client, cast.alice))
    for user in (cast.bob, cast.ada, cast.fred, cast.pria):
        api = _api(user)
        assert api.get(f"/api/v1/notes/{note.pk}").status_code == 404
        assert api.get(f"/api/v1/notes/{note.pk}/addenda").status_code == 404
        assert (
            _json(api, "patch", f"/api/v1/notes/{note.pk}", {"mse": {"mood": "x"}}).status_code
            == 404
        )


def test_only_the_sessions_clinician_starts_its_note(cast):
    session = t.make_session(cast.supervisee_client, cast.sue)
    assert (
        _json(
            _api(cast.sam), "post", f"/api/v1/sessions/{session.pk}/notes", {"template": "soap"}
        ).status_code
        == 404
    )
    assert (
        _json(
            _api(cast.sue), "post", f"/api/v1/sessions/{session.pk}/notes", {"template": "nope"}
        ).status_code
        == 400
    )
    assert not ProgressNote.objects.filter(session=session).exists()


def test_bad_note_changes_are_400_and_change_nothing(cast):
    note = t.make_note(t.make_session(cast.client, cast.alice))
    api = _api(cast.alice)
    before = bytes(ProgressNote.objects.get(pk=note.pk).content_ct)
    for body in (
        {"sections": {"no_such_section": "x"}},
        {"sections": {"subjective": 42}},
        {"sections": "text"},
        {"mse": {"mood": "x" * 60_000}},
        {"mse": {"favourite_colour": "blue"}},
        {"risk": {"si": "sometimes"}},
        {"risk": {"flagged": "maybe"}},
        {"interventions": ["hypnosis"]},
        {"diagnosis_codes": ["F99.9"]},
        {"extra": 1},
        {"sections": {"subjective": "ok"}, "mse": {"mood": "fine"}, "risk": {"level": "x"}},
        ["sections"],
        None,
    ):
        response = _json(api, "patch", f"/api/v1/notes/{note.pk}", body)
        assert response.status_code == 400, (body, response.content)
        assert response.json()["errors"], body
    assert bytes(ProgressNote.objects.get(pk=note.pk).content_ct) == before


def test_schema_errors_read_as_field_and_message(cast):
    note = t.make_note(t.make_session(cast.client, cast.alice))
    response = _json(
        _api(cast.alice),
        "patch",
        f"/api/v1/notes/{note.pk}",
        {"risk": {"si": "sometimes"}, "colour": "blue"},
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert any(
        e.startswith("risk.si: Input should be 'none', 'passive' or 'active'") for e in errors
    )
    assert any(e.startswith("colour: Extra inputs are not permitted") for e in errors)


def test_signing_an_incomplete_note_lists_the_problems(cast):
    session = t.make_session(cast.client, cast.alice)
    note = t.make_note(session, sections={"subjective": "Only this."}, risk={"flagged": True})
    response = _json(_api(cast.alice), "post", f"/api/v1/notes/{note.pk}/sign", {})
    assert response.status_code == 400
    assert set(response.json()["errors"]) >= {
        "Objective is empty",
        "risk was flagged: set the risk level",
    }
    assert not ProgressNote.objects.get(pk=note.pk).is_signed


def test_addendum_under_a_draft_is_refused(cast):
    note = t.make_note(t.make_session(cast.client, cast.alice))
    response = _json(
        _api(cast.alice), "post", f"/api/v1/notes/{note.pk}/addenda", {"body": "Too early."}
    )
    assert response.status_code == 400
    assert not Addendum.objects.exists()


# --- psychotherapy notes ------------------------------------------------------------------


def test_author_writes_reads_and_edits_own_psychotherapy_note(cast):
    api = _author_session(cast.alice)
    session = t.make_session(cast.client, cast.alice)
    url = f"/api/v1/clients/{cast.client.pk}/psychotherapy-notes"
    created = _json(api, "post", url, {"body": "My impressions.", "session_id": str(session.pk)})
    assert created.status_code == 201, created.content
    note_id = created.json()["id"]
    assert [n["id"] for n in api.get(url).json()] == [note_id]
    patched = _json(
        api, "patch", f"/api/v1/psychotherapy-notes/{note_id}", {"body": "Second thoughts."}
    )
    assert patched.status_code == 200
    assert api.get(f"/api/v1/psychotherapy-notes/{note_id}").json()["body"] == "Second thoughts."
    assert AuditEvent.objects.filter(action="psychotherapy_note.view").exists()


def test_psychotherapy_note_is_invisible_to_everyone_else(cast):
    from psynote.clients import actions as client_actions

    carol = t.make_user(cast.practice, "carol")
    client_actions.add_care_team_member(by=cast.ada, client=cast.client, user=carol)
    session = t.make_session(cast.client, cast.alice)
    t.make_note(session)
    pnote = _json(
        _author_session(cast.alice),
        "post",
        f"/api/v1/clients/{cast.client.pk}/psychotherapy-notes",
        {"body": "Private process note."},
    ).json()
    list_url = f"/api/v1/clients/{cast.client.pk}/psychotherapy-notes"
    for user in (cast.bob, cast.sam, cast.sue, cast.ada, cast.fred, cast.pria, carol):
        api = _api(user)
        assert api.get(f"/api/v1/psychotherapy-notes/{pnote['id']}").status_code == 404
        assert (
            _json(
                api, "patch", f"/api/v1/psychotherapy-notes/{pnote['id']}", {"body": "overwritten"}
            ).status_code
            == 404
        )
        listed = api.get(list_url)
        assert listed.status_code == 404 or listed.json() == [], user
        # Nor anywhere else in the API.
        for url in (
            f"/api/v1/clients/{cast.client.pk}",
            f"/api/v1/clients/{cast.client.pk}/notes",
            f"/api/v1/sessions/{session.pk}",
        ):
            assert "Private process note" not in api.get(url).content.decode()
    assert PsychotherapyNote.objects.get().body() == "Private process note."


def test_psychotherapy_note_never_leaks_into_the_authors_other_routes(cast):
    api = _author_session(cast.alice)
    session = t.make_session(cast.client, cast.alice)
    note = t.make_note(session)
    created = _json(
        api,
        "post",
        f"/api/v1/clients/{cast.client.pk}/psychotherapy-notes",
        {"body": "Private process note.", "session_id": str(session.pk)},
    )
    assert created.status_code == 201
    for url in (
        f"/api/v1/clients/{cast.client.pk}",
        f"/api/v1/clients/{cast.client.pk}/notes",
        f"/api/v1/sessions/{session.pk}",
        f"/api/v1/notes/{note.pk}",
        f"/api/v1/clients/{cast.client.pk}/sessions",
    ):
        assert "Private process note" not in api.get(url).content.decode()


def test_psychotherapy_note_of_another_clients_session_is_refused(cast):
    other_session = t.make_session(cast.other_client, cast.bob)
    response = _json(
        _api(cast.alice),
        "post",
        f"/api/v1/clients/{cast.client.pk}/psychotherapy-notes",
        {"body": "x", "session_id": str(other_session.pk)},
    )
    assert response.status_code == 404
    assert not PsychotherapyNote.objects.exists()


def test_empty_psychotherapy_note_is_400(cast):
    response = _json(
        _author_session(cast.alice),
        "post",
        f"/api/v1/clients/{cast.client.pk}/psychotherapy-notes",
        {"body": "  "},
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "the psychotherapy note is empty"


def test_cpt_codes_for_billing_drop_the_add_on_mark():
    crisis = ProgressNote(cpt_code="90839 +90840 +90840")
    assert NoteSummaryOut.resolve_cpt_codes(crisis) == ["90839", "90840", "90840"]
    assert NoteSummaryOut.resolve_cpt_codes(ProgressNote(cpt_code="none")) == []
