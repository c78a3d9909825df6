"""A review comment is clinical text: it is sealed under the client's data key like the
note, and its words reach neither its own table nor the audit log in clear."""

from uuid import uuid4

import pytest

from psynote import testing as t
from psynote.lib import crypto
from psynote.lib.tests import at_rest
from psynote.notes import actions as note_actions
from psynote.supervision import actions
from psynote.supervision.models import ReviewComment


def test_comment_text_never_reaches_the_database_in_clear(cast):
    markers = {place: f"marker{uuid4().hex}" for place in
               ("control", "returned", "feedback", "reply")}
    client = t.make_client(cast.sue, address=f"1 Control Street {markers['control']}")
    note = t.make_note(t.make_session(client, cast.sue))
    actions.mark_ready(by=cast.sue, note=note)
    actions.return_note(by=cast.sam, note=note, comments=[("plan", markers["returned"])])
    note = note_actions.sign_note(by=cast.sue, note=note)
    actions.add_comment(by=cast.sam, note=note, text=markers["feedback"])
    actions.add_comment(by=cast.sue, note=note, section="assessment", text=markers["reply"])
    assert at_rest.found_in(at_rest.every_column_as_text(), markers) == {"control"}
    texts = {c.body() for c in ReviewComment.objects.filter(note=note)}
    assert texts == {markers["returned"], markers["feedback"], markers["reply"]}


def test_a_comment_cannot_be_moved_to_another_note(cast):
    """The ciphertext is bound to its row: copied onto another comment it does not open."""
    first = t.make_note(t.make_session(cast.supervisee_client, cast.sue))
    a = actions.add_comment(by=cast.sam, note=first, text="First fictional comment.")
    b = actions.add_comment(by=cast.sam, note=first, text="Second fictional comment.")
    ReviewComment.objects.filter(pk=b.pk).update(body_ct=a.body_ct)
    with pytest.raises(crypto.DecryptionError):
        ReviewComment.objects.get(pk=b.pk).body()
