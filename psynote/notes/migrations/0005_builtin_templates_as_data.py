"""The five built-in templates as data (ADR 0015): version 1 of each for every practice,
and every existing note pointed at version 1 of the built-in it was written with.

The definitions are frozen here as they stood when templates became data, so this
migration means the same thing whatever later happens to `notes/templates.py`.

Signed notes are immutable (0002's trigger refuses any UPDATE of a signed row). Pointing
them at their version changes no signed field (the signature covers the template's key,
which stays), so the UPDATE trigger is lifted for this one statement per template and put
back in the same transaction.
"""

from django.db import migrations

from psynote.lib.immutable import _statements, refuse_changes

BUILTINS = [{'key': 'soap',
  'name': 'SOAP',
  'sections': [{'key': 'subjective',
                'label': 'Subjective',
                'prompt': "The client's report: concerns, symptoms, events since the last "
                          'session, in their words where useful.',
                'required': True},
               {'key': 'objective',
                'label': 'Objective',
                'prompt': 'Your observations: presentation, measurable data, test results.',
                'required': True},
               {'key': 'assessment',
                'label': 'Assessment',
                'prompt': 'Your interpretation: progress on goals, clinical impressions.',
                'required': True},
               {'key': 'plan',
                'label': 'Plan',
                'prompt': 'Next steps: homework, referrals, next session.',
                'required': True}],
  'blocks': ['mse', 'interventions', 'objectives'],
  'session_kinds': []},
 {'key': 'dap',
  'name': 'DAP',
  'sections': [{'key': 'data',
                'label': 'Data',
                'prompt': 'What the client reported and what you observed.',
                'required': True},
               {'key': 'assessment',
                'label': 'Assessment',
                'prompt': 'Your interpretation and progress on goals.',
                'required': True},
               {'key': 'plan',
                'label': 'Plan',
                'prompt': 'Next steps, homework, referrals.',
                'required': True}],
  'blocks': ['mse', 'interventions', 'objectives'],
  'session_kinds': []},
 {'key': 'birp',
  'name': 'BIRP',
  'sections': [{'key': 'behavior',
                'label': 'Behavior',
                'prompt': "The client's presentation this session.",
                'required': True},
               {'key': 'intervention',
                'label': 'Intervention',
                'prompt': 'What you did: techniques and methods.',
                'required': True},
               {'key': 'response',
                'label': 'Response',
                'prompt': 'How the client responded to the interventions.',
                'required': True},
               {'key': 'plan',
                'label': 'Plan',
                'prompt': 'Next steps, homework, next session.',
                'required': True}],
  'blocks': ['mse', 'interventions', 'objectives'],
  'session_kinds': []},
 {'key': 'girp',
  'name': 'GIRP',
  'sections': [{'key': 'goal',
                'label': 'Goal',
                'prompt': 'The treatment goal(s) this session worked on.',
                'required': True},
               {'key': 'intervention',
                'label': 'Intervention',
                'prompt': 'What you did to move toward the goal.',
                'required': True},
               {'key': 'response',
                'label': 'Response',
                'prompt': 'How the client responded.',
                'required': True},
               {'key': 'plan',
                'label': 'Plan',
                'prompt': 'Next steps toward the goal.',
                'required': True}],
  'blocks': ['mse', 'interventions', 'objectives'],
  'session_kinds': []},
 {'key': 'intake',
  'name': 'Intake / assessment',
  'sections': [{'key': 'presenting_problem',
                'label': 'Reason for referral and presenting problem',
                'prompt': 'Why the client came, in their words, and the onset and course.',
                'required': True},
               {'key': 'history',
                'label': 'History of the presenting problem',
                'prompt': 'Onset, duration, severity, triggers, prior episodes.',
                'required': True},
               {'key': 'psychiatric_history',
                'label': 'Psychiatric and treatment history',
                'prompt': 'Prior diagnoses, treatment, hospitalisations, medications.',
                'required': True},
               {'key': 'medical_history',
                'label': 'Medical history and medications',
                'prompt': 'Relevant conditions, current medications, prescriber.',
                'required': False},
               {'key': 'substance_use',
                'label': 'Substance use',
                'prompt': 'Alcohol, drugs, tobacco: pattern and consequences.',
                'required': True},
               {'key': 'social_history',
                'label': 'Family and social history',
                'prompt': 'Family, relationships, work or school, housing, culture, '
                          'strengths.',
                'required': False},
               {'key': 'diagnostic_impression',
                'label': 'Diagnostic impression',
                'prompt': 'Formulation and the diagnoses it supports.',
                'required': True},
               {'key': 'plan',
                'label': 'Recommendations and initial plan',
                'prompt': 'Recommended treatment, frequency, referrals.',
                'required': True}],
  'blocks': ['mse', 'interventions', 'objectives'],
  'session_kinds': []}]

_NOTE_TRIGGER = ("notes_progressnote", "OLD.signed_at IS NOT NULL",
                 "a signed progress note cannot change", ("UPDATE",))


def _trigger(schema_editor, create: bool) -> None:
    table, when, message, operations = _NOTE_TRIGGER
    made, dropped = _statements(schema_editor.connection.vendor, table, when, message,
                                operations)
    for sql in made if create else dropped:
        schema_editor.execute(sql)


def forward(apps, schema_editor):
    Practice = apps.get_model("accounts", "Practice")
    NoteTemplate = apps.get_model("notes", "NoteTemplate")
    NoteTemplateVersion = apps.get_model("notes", "NoteTemplateVersion")
    ProgressNote = apps.get_model("notes", "ProgressNote")
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:  # checked now: no pending foreign-key events when triggers are made
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    _trigger(schema_editor, create=False)
    for practice in Practice.objects.order_by("pk"):
        for builtin in BUILTINS:
            template = NoteTemplate.objects.create(practice=practice, key=builtin["key"],
                                                   name=builtin["name"], builtin=True)
            version = NoteTemplateVersion.objects.create(
                template=template, number=1, name=builtin["name"],
                sections=builtin["sections"], blocks=builtin["blocks"],
                session_kinds=builtin["session_kinds"])
            ProgressNote.objects.filter(client__practice=practice, template=builtin["key"]
                                        ).update(template_version=version)
    _trigger(schema_editor, create=True)
    if postgres:
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED")


def backward(apps, schema_editor):
    _trigger(schema_editor, create=False)
    apps.get_model("notes", "ProgressNote").objects.update(template_version=None)
    _trigger(schema_editor, create=True)
    apps.get_model("notes", "NoteTemplateVersion").objects.all().delete()
    apps.get_model("notes", "NoteTemplate").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("notes", "0004_note_templates")]

    operations = [
        migrations.RunPython(forward, backward),
        # A published version never changes (a new edit is a new version).
        refuse_changes("notes_notetemplateversion", "a published template version never "
                       "changes; publish a new version", operations=("UPDATE",)),
    ]
