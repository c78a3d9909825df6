"""Every table of every installed app is carried by a move, or named as not carried with a
reason: a new table cannot be forgotten."""

import pytest
from django.apps import apps
from django.db import models

from psynote.transfer import pack, tables


def test_every_table_is_carried_or_named_with_a_reason() -> None:
    every = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    carried = {model._meta.db_table for model in tables.carried_models()}
    left = set(tables.NOT_CARRIED) | set(tables.MUST_BE_EMPTY)
    assert carried | left == every
    assert not carried & left
    assert left <= every, "a table named as not carried no longer exists"
    assert all(reason.strip() for reason in {**tables.NOT_CARRIED,
                                             **tables.MUST_BE_EMPTY}.values())
    # The short list: Django's own bookkeeping and the sign-ins that end with a move.
    assert set(tables.NOT_CARRIED) == {"django_content_type", "auth_permission",
                                       "django_session", "accounts_signedinsession"}


def test_every_binary_column_is_carried_as_it_is_or_wrapped_again() -> None:
    """A column wrapped by the master key would not open on the target unless the move
    wraps it again: each such column is listed; every other binary column is ciphertext
    under a key that moves (a client's, an author's) or no secret at all."""
    wrapped = {(t, c) for t, c, _field, _id in tables.MASTER_WRAPPED}
    binary = {
        (model._meta.db_table, field.attname)
        for model in tables.carried_models()
        for field in model._meta.concrete_fields
        if isinstance(field, models.BinaryField)
    }
    assert wrapped <= binary
    under_client_or_author_keys = {
        ("audit_auditevent", "hash"), ("audit_chainhead", "hash"),
        ("audit_chainhead", "key_wrapped"),  # carried as the chain key (transfer.keys)
        ("clients_diagnosis", "facts_ct"), ("clients_emergencyaccess", "reason_ct"),
        ("clients_emergencyaccess", "review_comment_ct"), ("notes_progressnote", "content_ct"),
        ("notes_addendum", "body_ct"), ("notes_psychotherapynote", "body_ct"),
        ("notes_psychotherapykey", "password_salt"), ("notes_psychotherapykey", "recovery_salt"),
        ("measures_administration", "facts_ct"), ("measures_riskalert", "facts_ct"),
        ("plans_planversion", "texts_ct"), ("exchange_authorization", "facts_ct"),
        ("exchange_authorization", "signed_form_ct"), ("exchange_disclosure", "facts_ct"),
        ("exchange_practicekey", "public_key"), ("records_amendmentrequest", "request_ct"),
        ("records_amendmentrequest", "denial_ct"),
        ("records_amendmentrequest", "disagreement_ct"),
        ("records_amendmentrequest", "rebuttal_ct"),
        ("hours_entry", "notes_ct"),  # under the supervisee's key in hours_licence
        ("hours_report", "package"),  # a signed package, no secret
        ("groups_groupattendance", "facts_ct"), ("visits_sessionparticipant", "facts_ct"),
        ("supervision_reviewcomment", "body_ct"),
    }
    assert binary - wrapped == under_client_or_author_keys


@pytest.mark.django_db
def test_export_refuses_while_a_table_it_does_not_carry_holds_rows(cast, tmp_path) -> None:
    from django.contrib.auth.models import Group

    Group.objects.create(name="Fictional group")
    with pytest.raises(pack.ExportRefused, match="auth_group holds rows"):
        pack.export(out=tmp_path / "p.zip", passphrase="a long enough passphrase",
                    key_file=None)
    assert not (tmp_path / "p.zip").exists()


@pytest.mark.django_db
def test_a_short_passphrase_is_refused(cast, tmp_path) -> None:
    with pytest.raises(pack.ExportRefused, match="at least 12 characters"):
        pack.export(out=tmp_path / "p.zip", passphrase="short", key_file=None)


@pytest.mark.django_db
def test_a_key_file_instead_of_a_passphrase(cast, tmp_path) -> None:
    import stat

    from psynote.transfer import unpack

    key_file = tmp_path / "move.key"
    pack.export(out=tmp_path / "p.zip", passphrase=None, key_file=key_file)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    _manifest, _secrets, dumped = unpack.read(tmp_path / "p.zip", passphrase=None,
                                              key_file=key_file)
    assert len(dumped["accounts_user"]["rows"]) == 7
    with pytest.raises(unpack.ImportRefused, match="sealed with a key file"):
        unpack.read(tmp_path / "p.zip", passphrase="a long enough passphrase", key_file=None)


@pytest.mark.django_db
def test_the_command_asks_for_a_passphrase_it_cannot_prompt_for(cast, tmp_path, monkeypatch,
                                                                 capsys) -> None:
    from psynote import cli

    monkeypatch.delenv("PSYNOTE_PACKAGE_PASSPHRASE", raising=False)
    assert cli.main(["export-practice", str(tmp_path / "p.zip")]) == 2
    assert "Give the package passphrase with --passphrase-file FILE" in capsys.readouterr().err
    monkeypatch.setenv("PSYNOTE_PACKAGE_PASSPHRASE", "a long enough passphrase")
    (tmp_path / "p.zip").write_bytes(b"")
    assert cli.main(["export-practice", str(tmp_path / "p.zip")]) == 1
    assert "p.zip exists already" in capsys.readouterr().err
    assert cli.main(["export-practice", str(tmp_path / "q.zip")]) == 0
