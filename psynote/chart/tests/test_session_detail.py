from psynote import testing as t
from psynote.audit.models import AuditEvent


def test_session_page_shows_the_cpt_suggestion(cast, login):
    session = t.make_session(cast.client, cast.alice, minutes=55)
    page = login(cast.alice).get(f"/sessions/{session.pk}/").content.decode()
    assert 'data-cpt="90837"' in page and "55 min" in page
    assert "POS" not in page  # in person: no telehealth place of service


def test_telehealth_session_shows_pos_and_modifier(cast, login):
    session = t.make_session(
        cast.client,
        cast.alice,
        minutes=40,
        modality="video",
        place="client_home",
        interactive_complexity=True,
    )
    page = login(cast.alice).get(f"/sessions/{session.pk}/").content.decode()
    assert 'data-cpt="90834 +90785"' in page
    assert "POS 10" in page and "<dd>95</dd>" in page


def test_audio_only_elsewhere_is_pos_02_with_modifier_93(cast, login):
    session = t.make_session(cast.client, cast.alice, modality="audio", place="other")
    page = login(cast.fred).get(f"/sessions/{session.pk}/").content.decode()
    assert "POS 02" in page and "<dd>93</dd>" in page


def test_attended_session_without_a_note_offers_every_template(cast, login):
    session = t.make_session(cast.client, cast.alice)
    page = login(cast.alice).get(f"/sessions/{session.pk}/").content.decode()
    assert f'action="/sessions/{session.pk}/note/"' in page
    for key in ("soap", "dap", "birp", "girp", "intake"):
        assert f'value="{key}"' in page
    assert AuditEvent.objects.filter(action="session.view", target_id=str(session.pk)).exists()


def test_draft_note_is_linked_for_its_author(cast, login):
    session = t.make_session(cast.client, cast.alice)
    note = t.make_note(session)
    page = login(cast.alice).get(f"/sessions/{session.pk}/").content.decode()
    assert "Draft" in page and f"/notes/{note.pk}/edit/" in page
    assert "Write progress note" not in page


def test_signed_note_shows_the_billed_code(cast, login):
    session = t.make_session(cast.client, cast.alice)
    note = t.make_note(session, sign=True)
    page = login(cast.alice).get(f"/sessions/{session.pk}/").content.decode()
    assert "Signed" in page and f"/notes/{note.pk}/" in page and "On the signed note" in page


def test_supervisor_sees_status_but_cannot_write_the_note(cast, login):
    session = t.make_session(cast.supervisee_client, cast.sue)
    page = login(cast.sam).get(f"/sessions/{session.pk}/").content.decode()
    assert "still needs a progress note" in page and "Write progress note" not in page
    assert "Edit session" not in page


def test_front_desk_sees_the_session_but_no_note(cast, login):
    session = t.make_session(cast.client, cast.alice)
    t.make_note(session, sign=True)
    page = login(cast.fred).get(f"/sessions/{session.pk}/").content.decode()
    assert "Billing suggestion" in page and "Edit session" in page
    assert "Progress note" not in page and "Signed" not in page


def test_session_page_is_a_404_for_those_who_may_not_see_it(cast, login):
    session = t.make_session(cast.client, cast.alice)
    for user in (cast.bob, cast.ada, cast.pria, cast.sam):
        assert login(user).get(f"/sessions/{session.pk}/").status_code == 404
