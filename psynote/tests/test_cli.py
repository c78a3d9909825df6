"""The `psynote` command, run in-process against the test database."""

import stat
from datetime import timedelta

import pytest
from django.db import connection

from psynote import cli, demo
from psynote import testing as t
from psynote.accounts.models import Practice, User
from psynote.audit.models import AuditEvent
from psynote.clients.models import Client
from psynote.lib import crypto
from psynote.measures import outcomes
from psynote.measures.models import RiskAlert
from psynote.notes.models import Addendum, ProgressNote, PsychotherapyNote
from psynote.plans import actions as plan_actions
from psynote.plans import queries as plan_queries
from psynote.plans.models import PlanVersion
from psynote.visits.models import Session


@pytest.fixture
def fresh_install(settings, monkeypatch, tmp_path):
    """No master key anywhere yet, as on a new server; the data folder is tmp_path."""
    monkeypatch.delenv("PSYNOTE_MASTER_KEY", raising=False)
    settings.HOME = tmp_path
    settings.MASTER_KEY_FILE = tmp_path / "master.key"
    settings.STATIC_ROOT = tmp_path / "static"
    crypto.master_key.cache_clear()
    yield tmp_path
    crypto.master_key.cache_clear()  # later tests go back to the environment's key


def _drop_trigger(name: str, table: str) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER {name} ON {table}")
        else:
            cursor.execute(f"DROP TRIGGER {name}")


def test_init_is_idempotent(db, fresh_install, capsys):
    assert cli.main(["init", "--practice-name", "Fictional Init Practice"]) == 0
    key = fresh_install / "master.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    first_key = key.read_bytes()

    assert cli.main(["init", "--practice-name", "Another Name"]) == 0

    assert key.read_bytes() == first_key
    assert list(Practice.objects.values_list("name", flat=True)) == ["Fictional Init Practice"]
    assert AuditEvent.objects.filter(action="practice.create").count() == 1
    assert (fresh_install / "static" / "psynote").is_dir()
    assert "Created a new master key" in capsys.readouterr().out


def test_init_refuses_a_new_master_key_when_clients_exist(cast, fresh_install, capsys):
    assert cli.main(["init"]) == 2

    assert not (fresh_install / "master.key").exists()
    error = capsys.readouterr().err
    assert "already holds 3 client(s)" in error
    assert "unreadable" in error


def test_demo_loads_a_verifiable_practice(db, capsys):
    assert cli.main(["demo"]) == 0

    practice = Practice.objects.get(name=demo.PRACTICE_NAME)
    assert User.objects.filter(practice=practice).count() == len(demo.STAFF)
    assert Client.objects.filter(practice=practice).count() == len(demo.CLIENTS)
    out = capsys.readouterr().out
    assert demo.PASSWORD in out
    assert cli.main(["verify"]) == 0
    assert "OK: every audit chain and every signed record is intact" in capsys.readouterr().out


def test_demo_story_has_every_kind_of_record_in_time_order(db):
    demo.load()

    notes = ProgressNote.objects.all()
    assert set(notes.signed().values_list("template", flat=True)) == {
        "soap",
        "dap",
        "birp",
        "girp",
        "intake",
    }
    assert notes.drafts().count() == len(demo.DRAFTS)
    late = notes.get(late_entry=True)
    assert late.content()["late_reason"]
    risk = notes.get(risk_flagged=True)
    assert risk.is_signed and risk.content()["risk"]["safety_plan"]
    assert Addendum.objects.count() == len(demo.ADDENDA)
    assert PsychotherapyNote.objects.count() == len(demo.PSYCHOTHERAPY_NOTES)
    sessions = Session.objects.all()
    assert sessions.filter(attendance="no_show").count() == 1
    assert sessions.filter(attendance="late_cancelled").count() == 1
    assert sessions.filter(attendance="attended", progress_note__isnull=True).count() == len(
        demo.NO_NOTE_YET
    )
    assert sessions.filter(attendance="scheduled").count() == len(demo.UPCOMING)
    # Back-dated under the demo clock: on time except the late entry, and the log in order.
    for note in ProgressNote.objects.signed().filter(late_entry=False).select_related("session"):
        assert timedelta(0) < note.signed_at - note.session.ended_at < timedelta(hours=72)
    stamps = list(AuditEvent.objects.order_by("seq").values_list("at", flat=True))
    assert stamps == sorted(stamps)


def test_demo_story_has_treatment_plans_measures_and_an_open_risk_alert(db):
    demo.load()

    signed = PlanVersion.objects.signed()
    planned = Client.objects.filter(treatment_plan__versions__signed_at__isnull=False).distinct()
    assert planned.count() == len(demo.CLIENTS) - len(demo.NO_PLAN)
    revised = Client.objects.get(last_name=demo.PLAN_REVISED[0])
    assert signed.filter(plan__client=revised).count() == 2
    overdue = [c.last_name for c in planned if plan_queries.review_status(c).overdue]
    assert overdue == [demo.PLAN_REVIEW_OVERDUE[0]]
    for version in signed:
        assert plan_actions.signing_problems(version.structure()) == []
    # The golden thread: every note signed while a plan was in force rates its objectives.
    for note in ProgressNote.objects.signed().select_related("client"):
        plan_signed = signed.filter(plan__client=note.client, signed_at__lt=note.signed_at)
        if plan_signed.exists():
            ratings = {o["rating"] for o in note.content()["objectives"]}
            assert ratings and ratings <= {"progressing", "no_change", "regressing"}

    worse = Client.objects.get(last_name=demo.WORSENING)
    outcome = outcomes.talking_therapies(outcomes.histories(worse))
    assert outcome.reliable_deterioration
    recovered = [
        c
        for c in planned
        if c.last_name != demo.WORSENING
        and (o := outcomes.talking_therapies(outcomes.histories(c)))
        and o.recovered
    ]
    assert len(recovered) >= 10
    due = outcomes.due_measures(Client.objects.all())
    assert [
        (c.last_name, d.overdue)
        for c in Client.objects.order_by("last_name")
        for d in due.get(c.pk, [])
    ] == [(demo.MEASURE_OVERDUE[0], True), ("Testwood", False)]

    alert = RiskAlert.objects.open().select_related("client", "administration").get()
    assert alert.client.last_name == demo.RISK_ALERT
    assert alert.administration.answers["9"] > 0
    # The alert is the latest event of the chart: no note was written after it.
    assert not ProgressNote.objects.filter(
        client=alert.client, created_at__gt=alert.opened_at
    ).exists()


def test_demo_refuses_an_installation_with_data(cast, capsys):
    assert cli.main(["demo"]) == 1
    assert "only loaded into an empty installation" in capsys.readouterr().err
    assert cli.main(["demo", "--if-empty"]) == 0
    assert not Practice.objects.filter(name=demo.PRACTICE_NAME).exists()


def test_verify_names_the_edited_audit_event(cast, capsys):
    t.make_note(t.make_session(cast.client, cast.alice), sign=True)
    assert cli.main(["verify"]) == 0
    capsys.readouterr()

    _drop_trigger("audit_auditevent_refuse_update", "audit_auditevent")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET payload = replace(payload, action, "
            "'forged.action') WHERE practice_id = %s AND seq = 4",
            [cast.practice.pk],
        )

    assert cli.main(["verify"]) == 1
    out = capsys.readouterr().out
    assert "BROKEN: audit event #4: its contents or position do not match its hash (edited)" in out


def test_verify_names_the_edited_signed_note(cast, capsys):
    note = t.make_note(t.make_session(cast.client, cast.alice), sign=True)
    other = t.make_note(t.make_session(cast.client, cast.alice, minutes=45), sign=True)

    _drop_trigger("notes_progressnote_refuse_update", "notes_progressnote")
    with connection.cursor() as cursor:  # move one note's ciphertext onto another row
        cursor.execute(
            "UPDATE notes_progressnote SET content_ct = "
            "(SELECT content_ct FROM notes_progressnote WHERE id = %s) WHERE id = %s",
            [other.pk.hex, note.pk.hex] if connection.vendor == "sqlite" else [other.pk, note.pk],
        )

    assert cli.main(["verify"]) == 1
    assert f"BROKEN: progress note {note.pk}:" in capsys.readouterr().out


def test_createuser_reads_the_password_from_a_file(cast, tmp_path):
    secret = tmp_path / "password"
    secret.write_text("a-long-fictional-passphrase\n")

    assert (
        cli.main(
            [
                "createuser",
                "--username",
                "newbie",
                "--role",
                "clinician",
                "--first-name",
                "Nova",
                "--last-name",
                "Fictional",
                "--credentials",
                "LCSW",
                "--password-file",
                str(secret),
            ]
        )
        == 0
    )

    user = User.objects.get(username="newbie")
    assert user.practice == cast.practice
    assert user.check_password("a-long-fictional-passphrase")
    assert AuditEvent.objects.filter(action="user.create", target_id=str(user.pk)).exists()


def test_createuser_takes_the_password_from_the_environment(cast, monkeypatch):
    monkeypatch.setenv("PSYNOTE_NEW_PASSWORD", "another-fictional-passphrase")

    assert (
        cli.main(
            [
                "createuser",
                "--username",
                "desk2",
                "--role",
                "frontdesk",
                "--practice",
                cast.practice.name,
            ]
        )
        == 0
    )

    assert User.objects.get(username="desk2").check_password("another-fictional-passphrase")


def test_createuser_refuses_a_supervisor_without_the_supervisor_role(cast, capsys):
    assert (
        cli.main(
            [
                "createuser",
                "--username",
                "trainee",
                "--role",
                "clinician",
                "--supervisor",
                "alice",
                "--password",
                "a-long-fictional-passphrase",
            ]
        )
        == 1
    )

    assert "supervisor" in capsys.readouterr().err
    assert not User.objects.filter(username="trainee").exists()


def test_createuser_without_a_terminal_asks_for_a_password_file(cast, monkeypatch, capsys):
    monkeypatch.delenv("PSYNOTE_NEW_PASSWORD", raising=False)

    assert cli.main(["createuser", "--username", "nopass", "--role", "clinician"]) == 2

    assert "--password-file" in capsys.readouterr().err
    assert not User.objects.filter(username="nopass").exists()


def test_createuser_explains_a_refused_password(cast, capsys):
    assert (
        cli.main(["createuser", "--username", "weak", "--role", "clinician", "--password", "short"])
        == 1
    )

    assert "Not created:" in capsys.readouterr().err
    assert not User.objects.filter(username="weak").exists()


def test_serve_refuses_before_static_files_are_collected(db, settings, tmp_path, capsys):
    settings.STATIC_ROOT = tmp_path / "not-collected"

    assert cli.main(["serve"]) == 2

    assert "psynote init" in capsys.readouterr().err


def test_the_command_offers_each_subcommand(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])

    out = capsys.readouterr().out
    for name in ("init", "demo", "createuser", "verify", "serve", "manage"):
        assert name in out


def test_serve_writes_no_gunicorn_control_socket_outside_the_data_folder(monkeypatch):
    """gunicorn would create ~/.gunicorn/gunicorn.ctl; psynote serve turns it off."""
    import os

    seen: list[list[str]] = []
    monkeypatch.setattr(os, "execv", lambda _path, argv: seen.append(list(argv)))
    cli.main(["serve", "--bind", "127.0.0.1:8999"])
    assert seen and "--no-control-socket" in seen[0]


def test_demo_is_refused_beside_a_practice_init_created(db, capsys):
    """`psynote init --practice-name` then `psynote demo` must not add seven demo users with
    a published password beside the real practice."""
    Practice.objects.create(name="Real Practice (fictional)")
    assert cli.main(["demo"]) == 1
    assert "Real Practice (fictional)" in capsys.readouterr().err
    assert not User.objects.exists()
    assert cli.main(["demo", "--if-empty"]) == 0
    assert not User.objects.exists()


def test_demo_on_a_demo_installation_has_nothing_to_do(db, capsys):
    assert cli.main(["demo"]) == 0
    users = User.objects.count()
    assert cli.main(["demo"]) == 0
    assert "loaded already" in capsys.readouterr().out
    assert User.objects.count() == users


def test_every_command_names_its_database_first(cast, capsys):
    cli.main(["verify"])
    assert capsys.readouterr().err.startswith("psynote: database ")


def test_a_command_refuses_a_data_folder_initialised_for_another_database(cast, capsys):
    from django.conf import settings

    from psynote.lib import database_record

    path = settings.HOME / database_record.FILENAME
    path.write_text('{"engine": "postgresql", "target": "psynote@/run/postgresql/psynote"}')
    try:
        assert cli.main(["verify"]) == 2
        error = capsys.readouterr().err
        assert "belongs to PostgreSQL" in error and "Traceback" not in error
    finally:
        path.unlink()


def test_createuser_repeated_for_the_same_user_has_nothing_to_do(cast, capsys, monkeypatch):
    monkeypatch.setenv("PSYNOTE_NEW_PASSWORD", "a fictional long passphrase 42")
    before = User.objects.get(username="alice").password
    assert cli.main(["createuser", "--username", "alice", "--role", "clinician"]) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert User.objects.get(username="alice").password == before
    assert cli.main(["createuser", "--username", "alice", "--role", "admin"]) == 1
    assert "taken" in capsys.readouterr().err
