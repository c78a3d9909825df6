"""Migrations notes/0004-0005 on an existing install: every practice gets version 1 of the
five built-in templates, and every note, signed ones included, points at version 1 of
the built-in it was written with, its signature intact and still locked (ADR 0015)."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from psynote import testing as t
from psynote.notes.models import NoteTemplate, ProgressNote
from psynote.notes.tests.test_encryption_at_rest import (  # noqa: F401 (fixtures)
    _triggers_back_after_flush,
    committed_db,
)

BEFORE = [("notes", "0003_psychotherapy_key_sealed_to_author")]


def _migrate(targets=None) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    # Every app back to its latest: going back to notes 0003 also unapplied the apps that
    # depend on notes (search, supervision, groups).
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


@pytest.mark.usefixtures("committed_db")
def test_existing_notes_get_version_1_of_their_builtin():
    practice = t.make_practice()
    alice = t.make_user(practice, "alice")
    client = t.make_client(alice)
    signed = t.make_note(t.make_session(client, alice), template="soap", sign=True)
    draft = t.make_note(t.make_session(client, alice, minutes=45), template="dap",
                        sections={"data": "Fictional data."})
    _migrate(BEFORE)
    _migrate()

    templates = NoteTemplate.objects.filter(practice=practice)
    assert templates.count() == 5 and all(tpl.builtin for tpl in templates)
    for before in (signed, draft):
        note = ProgressNote.objects.get(pk=before.pk)
        assert note.template_version.template.key == before.template
        assert note.template_version.number == 1
        assert note.template_version.template.practice_id == practice.pk
    note = ProgressNote.objects.get(pk=signed.pk)
    assert note.compute_hash() == note.content_hash
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE notes_progressnote SET cpt_code = 'x' WHERE id = %s",
                       [str(note.pk).replace("-", "") if connection.vendor == "sqlite"
                        else str(note.pk)])
