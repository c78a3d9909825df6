"""`psynote createpractice`, `createoperator` and `init --practice-name` (ADR 0017)."""

import pytest

from psynote import cli
from psynote.accounts.models import Practice, Role, User
from psynote.audit.log import INSTALLATION_CHAIN
from psynote.audit.models import AuditEvent

PRACTICE = ["createpractice", "--name", "Second Fictional Practice", "--admin-username",
            "bea", "--admin-email", "bea@example.invalid", "--admin-first-name", "Bea"]


def _everything() -> tuple[int, int, int]:
    return Practice.objects.count(), User.objects.count(), AuditEvent.objects.count()


def test_createpractice_makes_a_practice_whose_admin_signs_in_and_whose_chain_verifies(
        cast, capsys, client):
    assert cli.main(PRACTICE) == 0

    out = capsys.readouterr().out
    practice = Practice.objects.get(name="Second Fictional Practice")
    admin = User.objects.get(username="bea")
    assert (admin.practice_id, admin.role, admin.must_change_password) == (
        practice.pk, Role.ADMIN, True)
    password = out.split("hand it over by another channel than that email):\n")[1].split()[0]
    assert admin.check_password(password)
    assert "fingerprint" in out
    first = AuditEvent.objects.filter(practice_id=practice.pk).order_by("seq").first()
    assert first.action == "practice.create"
    assert AuditEvent.objects.filter(practice_id=INSTALLATION_CHAIN,
                                     action="installation.practice_create").exists()

    signed_in = client.post("/login/", {"username": "bea", "password": password})
    assert signed_in["Location"] == "/account/password/choose/"

    assert cli.main(["verify"]) == 0
    out = capsys.readouterr().out
    assert "Second Fictional Practice" in out
    assert "Installation (operators' chain)" in out
    assert "OK: every audit chain" in out


@pytest.mark.parametrize(("args", "message"), [
    (["--name", "Fictional Test Practice"], "exists already"),
    (["--name", "   "], "needs a name"),
    (["--admin-username", ""], "needs a username"),
    (["--admin-username", "alice"], "is taken"),
    (["--admin-username", "ALICE"], "is taken"),
    (["--admin-username", "opal"], "is taken"),
    (["--admin-email", ""], "needs an email"),
])
def test_createpractice_refuses_bad_input_clearly_and_writes_nothing(cast, capsys, args,
                                                                      message):
    before = _everything()
    argv = list(PRACTICE)
    for flag, value in zip(args[::2], args[1::2], strict=True):
        argv[argv.index(flag) + 1] = value

    assert cli.main(argv) == 1

    error = capsys.readouterr().err
    assert "psynote createpractice: Not created: " in error
    assert message in error
    assert "Traceback" not in error
    assert _everything() == before


def test_createpractice_without_an_admin_username_is_refused_by_the_parser(cast, capsys):
    before = _everything()
    with pytest.raises(SystemExit) as stopped:
        cli.main(["createpractice", "--name", "Third", "--admin-email", "x@example.invalid"])
    assert stopped.value.code == 2
    assert "--admin-username" in capsys.readouterr().err
    assert _everything() == before


def test_createoperator_makes_an_operator_in_no_practice_and_is_safe_to_repeat(
        db, monkeypatch, capsys):
    monkeypatch.setenv("PSYNOTE_NEW_PASSWORD", "a-long-fictional-operator-phrase")
    assert cli.main(["createoperator", "--username", "olive"]) == 0
    olive = User.objects.get(username="olive")
    assert (olive.role, olive.practice_id, olive.must_change_password) == (
        Role.OPERATOR, None, False)
    assert olive.check_password("a-long-fictional-operator-phrase")
    assert AuditEvent.objects.get(practice_id=INSTALLATION_CHAIN).action == "operator.create"

    assert cli.main(["createoperator", "--username", "olive"]) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert User.objects.filter(username="olive").count() == 1


def test_createoperator_refuses_a_taken_username_and_createuser_never_makes_one(
        cast, capsys, monkeypatch):
    monkeypatch.setenv("PSYNOTE_NEW_PASSWORD", "a-long-fictional-operator-phrase")
    assert cli.main(["createoperator", "--username", "alice"]) == 1
    assert "is taken" in capsys.readouterr().err
    assert User.objects.get(username="alice").role == Role.CLINICIAN
    with pytest.raises(SystemExit):
        cli.main(["createuser", "--username", "sneaky", "--role", "operator"])
    assert not User.objects.filter(username="sneaky").exists()
