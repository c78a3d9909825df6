from psynote import testing as t
from psynote.audit.chain import verify_practice


def test_signed_note_leaves_intact_chain(cast):
    session = t.make_session(cast.client, cast.alice)
    note = t.make_note(session, sign=True)
    assert note.is_signed and note.cpt_code == "90834"
    assert verify_practice(cast.practice.pk).breaks == []
