"""The practice's note templates as data (ADR 0015): built-ins seeded per practice,
versions a note keeps, retiring instead of deleting what is in use, who edits, and bad
input refused whole."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from psynote import testing as t
from psynote.audit.models import AuditEvent
from psynote.exchange.fhir.render import note_text
from psynote.notes import actions
from psynote.notes import template_actions as tpl
from psynote.notes.models import NoteTemplate, NoteTemplateVersion, ProgressNote
from psynote.notes.template_models import TemplateVersionLocked
from psynote.notes.templates import BUILTIN_TEMPLATES

TWO = [tpl.SectionIn(label="Check-in", prompt="How the week went."),
       tpl.SectionIn(label="Work done", prompt="What we worked on.", required=False)]


def _make(cast, name="Brief check-in", sections=TWO, blocks=("mse",), kinds=()):
    return tpl.create_template(by=cast.ada, name=name, sections=list(sections),
                               blocks=list(blocks), session_kinds=list(kinds))


def _form(name, rows, blocks=("mse",)):
    data = {"name": name, "rows": str(len(rows)), "blocks": list(blocks)}
    for n, (label, prompt) in enumerate(rows):
        data |= {f"section-{n}-label": label, f"section-{n}-prompt": prompt,
                 f"section-{n}-required": "1"}
    return data


def test_every_new_practice_has_the_five_builtins_as_version_1(cast):
    templates = NoteTemplate.objects.filter(practice=cast.practice)
    assert sorted(templates.values_list("key", flat=True)) == sorted(BUILTIN_TEMPLATES)
    for template in templates:
        version = template.latest_version()
        assert template.builtin and version.number == 1
        assert version.definition().sections == BUILTIN_TEMPLATES[template.key].sections


def test_a_note_keeps_and_renders_with_its_version_after_a_new_one(cast, login):
    template = _make(cast)
    session = t.make_session(cast.client, cast.alice)
    note = t.make_note(session, template=template.key,
                       sections={"check_in": "Fictional calm week.", "work_done": "Sleep."},
                       sign=True)
    v1 = note.template_version
    tpl.publish_version(by=cast.ada, template=template, name="Check-in v2",
                        sections=[tpl.SectionIn(label="Opening words", key="check_in")],
                        blocks=[], session_kinds=[])

    note = ProgressNote.objects.get(pk=note.pk)
    assert note.template_version == v1 and note.template_def.version == 1
    page = login(cast.alice).get(f"/notes/{note.pk}/").content.decode()
    assert "Check-in" in page and "Work done" in page and "Opening words" not in page
    assert "Brief check-in, version 1" in page
    text = note_text(note, [])
    assert "WORK DONE" in text and "OPENING WORDS" not in text
    api = login(cast.alice).get(f"/api/v1/notes/{note.pk}").json()
    assert api["template_name"] == "Brief check-in"
    assert note.compute_hash() == note.content_hash
    # A new note gets version 2.
    second = t.make_note(t.make_session(cast.client, cast.alice, minutes=45),
                         template=template.key, sections={"check_in": "Fictional."})
    assert second.template_version.number == 2


def test_versions_never_change_in_the_orm_or_the_database(cast):
    version = _make(cast).latest_version()
    version.name = "Changed"
    with pytest.raises(TemplateVersionLocked):
        version.save()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE notes_notetemplateversion SET name = 'x' WHERE id = %s",
                       [version.pk])


def test_a_template_in_use_is_not_deleted_but_may_be_retired(cast):
    template = _make(cast)
    t.make_note(t.make_session(cast.client, cast.alice), template=template.key,
                sections={"check_in": "Fictional."})
    with pytest.raises(ValidationError, match="retire it instead"):
        tpl.delete_template(by=cast.ada, template=template)
    assert NoteTemplateVersion.objects.filter(template=template).count() == 1
    # The database refuses it as well (PROTECT foreign key from the note).
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM notes_notetemplateversion WHERE template_id = %s",
                       [template.pk])
        cursor.execute("SELECT 1 FROM notes_progressnote")  # deferred checks run at commit
        connection.check_constraints()
    tpl.set_retired(by=cast.ada, template=template, retired=True)
    assert NoteTemplate.objects.get(pk=template.pk).is_retired


def test_an_unused_template_is_deleted(cast):
    template = _make(cast)
    tpl.delete_template(by=cast.ada, template=template)
    assert not NoteTemplate.objects.filter(pk=template.pk).exists()


def test_a_retired_template_leaves_the_new_note_picker(cast, login):
    template = _make(cast)
    session = t.make_session(cast.client, cast.alice)
    browser = login(cast.alice)
    assert "Brief check-in" in browser.get(f"/sessions/{session.pk}/note/").content.decode()
    tpl.set_retired(by=cast.ada, template=template, retired=True)
    assert "Brief check-in" not in browser.get(f"/sessions/{session.pk}/note/").content.decode()
    response = browser.post(f"/sessions/{session.pk}/note/", {"template": template.key})
    assert response.status_code == 400 and not ProgressNote.objects.filter(session=session)
    with pytest.raises(ValidationError, match="unknown template"):
        actions.start_note(by=cast.alice, session=session, template=template.key)


def test_a_template_is_offered_only_for_its_session_kinds(cast):
    _make(cast, kinds=["group"])
    session = t.make_session(cast.client, cast.alice)
    offered = {v.template.key for v in tpl.offered_versions(cast.practice.pk, session.service)}
    assert "brief_check_in" not in offered and "soap" in offered


def test_blocks_left_out_are_not_in_the_editor_but_risk_always_is(cast, login):
    template = _make(cast, blocks=())
    note = t.make_note(t.make_session(cast.client, cast.alice), template=template.key,
                       sections={"check_in": "Fictional."})
    page = login(cast.alice).get(f"/notes/{note.pk}/edit/").content.decode()
    assert 'id="risk-heading"' in page
    assert 'id="mse-heading"' not in page and 'id="interventions-heading"' not in page


@pytest.mark.parametrize(("name", "rows", "message"), [
    ("", [("A", "")], "the template name is empty"),
    ("x" * 121, [("A", "")], "longer than 120"),
    ("Dup", [("Plan", ""), ("plan", "")], "already named"),
    ("Keys", [("Plan!", ""), ("Plan?", "")], "already has the key"),
    ("Huge", [("A", "p" * 2001)], "prompt is longer than 2000"),
    ("Many", [(f"S{n}", "") for n in range(31)], "at most 30 sections"),
    ("None", [], "at least one section"),
    ("Nameless", [("", "A prompt without a name")], "the name is empty"),
])
def test_bad_template_input_is_refused_whole_with_a_clear_error(cast, login, name, rows,
                                                                message):
    before = (NoteTemplate.objects.count(), NoteTemplateVersion.objects.count(),
              AuditEvent.objects.filter(action__startswith="template.").count())
    response = login(cast.ada).post("/note-templates/new/", _form(name, rows))
    assert response.status_code == 400 and message in response.content.decode()
    assert before == (NoteTemplate.objects.count(), NoteTemplateVersion.objects.count(),
                      AuditEvent.objects.filter(action__startswith="template.").count())


def test_editing_with_bad_input_publishes_nothing(cast, login):
    template = _make(cast)
    response = login(cast.ada).post(f"/note-templates/{template.pk}/edit/",
                                    _form("Fine", [("Same", ""), ("Same", "")]))
    assert response.status_code == 400
    assert template.versions.count() == 1


def test_admin_adds_and_edits_on_the_pages_with_ids_only_audit(cast, login):
    browser = login(cast.ada)
    response = browser.post("/note-templates/new/",
                            _form("Couples check-in", [("Each partner", "Fictional.")]))
    template = NoteTemplate.objects.get(practice=cast.practice, key="couples_check_in")
    assert response.status_code == 302
    browser.post(f"/note-templates/{template.pk}/edit/",
                 _form("Couples check-in", [("Each partner", ""), ("Shared goal", "")]))
    assert [v.number for v in template.versions.all()] == [1, 2]
    events = AuditEvent.objects.filter(action__startswith="template.").order_by("pk")
    assert [e.action for e in events] == ["template.create", "template.version"]
    for event in events:
        assert "Each partner" not in str(event.detail) and "Couples" not in str(event.detail)


def test_a_clinician_edits_templates_only_when_the_admin_allows_it(cast, login):
    browser = login(cast.alice)
    assert browser.get("/note-templates/new/").status_code == 404
    assert browser.get("/note-templates/").status_code == 200
    login(cast.ada).post("/note-templates/editors/", {"user": cast.alice.pk, "allow": "1"})
    browser = login(cast.alice)
    response = browser.post("/note-templates/new/", _form("Alice's own", [("Notes", "")]))
    assert response.status_code == 302
    login(cast.ada).post("/note-templates/editors/", {"user": cast.alice.pk, "allow": "0"})
    assert login(cast.alice).get("/note-templates/new/").status_code == 404


def test_front_desk_and_other_practices_do_not_see_templates(cast, login):
    other = t.make_practice("Another fictional practice")
    theirs = NoteTemplate.objects.filter(practice=other).first()
    assert login(cast.alice).get(f"/note-templates/{theirs.pk}/").status_code == 404
    assert login(cast.fred).get("/note-templates/").status_code == 404
    listed = login(cast.alice).get("/api/v1/note-templates").json()
    assert theirs.pk not in {row["id"] for row in listed} and len(listed) == 5
    versions = login(cast.alice).get(f"/api/v1/note-templates/{listed[0]['id']}/versions")
    assert versions.json()[0]["number"] == 1
