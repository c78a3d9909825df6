"""The author's psychotherapy-note key opens only with the author's own secrets (ADR 0009):
their password, their recovery key, or (after a reset) the password they had before."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from psynote import testing as t
from psynote.accounts.models import User
from psynote.accounts.signals import password_set
from psynote.audit.models import AuditEvent
from psynote.lib import crypto
from psynote.notes import actions, keyring, psychotherapy_keys
from psynote.notes.models import PsychotherapyKey, PsychotherapyNote

OWN = "alices-own-choice-42"
ADMIN_SET = "chosen-by-the-admin-7"


def _set_password(user, raw, *, old=None, by_admin=False):
    """What accounts does when a password is set: the hash, then the signal."""
    with transaction.atomic():
        user.set_password(raw)
        user.save(update_fields=["password"])
        password_set.send(sender=User, user=user, raw_password=raw, old_raw_password=old,
                          by_admin=by_admin)


def _write(user, client, body):
    key = psychotherapy_keys.unlock(user=user, password=t.PASSWORD)
    with keyring.opened(user.pk, key):
        return actions.write_psychotherapy_note(by=user, client=client, body=body)


def _reads(note_id, key) -> str:
    note = PsychotherapyNote.objects.get(pk=note_id)
    with keyring.opened(note.author_id, key):
        return note.body()


@pytest.fixture
def alice(cast):
    key, phrase = psychotherapy_keys.set_up(user=cast.alice, password=t.PASSWORD)
    cast.alice_key, cast.alice_phrase = key, phrase
    return cast


def test_setting_up_seals_a_new_key_under_the_password_and_a_recovery_key(alice):
    row = PsychotherapyKey.objects.get(user=alice.alice)
    assert row.password_wrapped and row.recovery_wrapped and not row.legacy_wrapped
    assert psychotherapy_keys.unlock(user=alice.alice, password=t.PASSWORD) == alice.alice_key
    assert row.open_with_recovery_key(alice.alice_phrase) == alice.alice_key
    assert AuditEvent.objects.filter(action="psychotherapy_key.create").count() == 1
    with pytest.raises(ValidationError):
        psychotherapy_keys.set_up(user=alice.alice, password=t.PASSWORD)


def test_a_wrong_password_opens_nothing(alice):
    assert psychotherapy_keys.unlock(user=alice.alice, password="not-her-password") is None
    assert psychotherapy_keys.unlock(user=alice.alice, password="") is None
    row = PsychotherapyKey.objects.get(user=alice.alice)
    assert row.open_with_recovery_key("00000-00000-00000-00000-00000-00000") is None
    assert row.sealed_since is None  # an unchecked wrong password seals nothing


def test_without_the_open_key_a_psychotherapy_note_is_sealed(alice):
    note = _write(alice.alice, alice.client, "Fictional process note.")
    with pytest.raises(keyring.Sealed):
        PsychotherapyNote.objects.get(pk=note.pk).body()
    with pytest.raises(keyring.Sealed):
        actions.write_psychotherapy_note(by=alice.alice, client=alice.client, body="More.")
    assert _reads(note.pk, alice.alice_key) == "Fictional process note."


def test_the_users_own_password_change_keeps_the_notes_readable(alice):
    note = _write(alice.alice, alice.client, "Fictional reflection.")
    _set_password(alice.alice, OWN, old=t.PASSWORD)

    key = psychotherapy_keys.unlock(user=alice.alice, password=OWN)
    assert _reads(note.pk, key) == "Fictional reflection."
    assert psychotherapy_keys.unlock(user=alice.alice, password=t.PASSWORD) is None
    assert psychotherapy_keys.state(alice.alice) == "locked"


def test_an_admin_reset_seals_the_notes_until_the_recovery_key_is_given(alice):
    note = _write(alice.alice, alice.client, "Fictional sealed reflection.")
    _set_password(alice.alice, ADMIN_SET, by_admin=True)

    assert psychotherapy_keys.unlock(user=alice.alice, password=ADMIN_SET) is None
    assert psychotherapy_keys.state(alice.alice) == "sealed"
    # Changing the admin's password to one of "her own" does not open them either.
    _set_password(alice.alice, OWN, old=ADMIN_SET)
    assert psychotherapy_keys.unlock(user=alice.alice, password=OWN) is None
    assert psychotherapy_keys.state(alice.alice) == "sealed"
    assert psychotherapy_keys.recover(user=alice.alice, secret=ADMIN_SET, password=OWN) is None

    key, new_phrase = psychotherapy_keys.recover(user=alice.alice, secret=alice.alice_phrase,
                                                 password=OWN)
    assert _reads(note.pk, key) == "Fictional sealed reflection."
    assert psychotherapy_keys.state(alice.alice) == "locked"  # not open here: no session
    assert psychotherapy_keys.unlock(user=alice.alice, password=OWN) == key
    # The spent recovery key no longer works; the new one does.
    row = PsychotherapyKey.objects.get(user=alice.alice)
    assert new_phrase and new_phrase != alice.alice_phrase
    assert row.open_with_recovery_key(alice.alice_phrase) is None
    assert row.open_with_recovery_key(new_phrase) == key
    event = AuditEvent.objects.filter(action="psychotherapy_key.recover").get()
    assert json.loads(event.detail) == {"using": "recovery_key", "new_recovery_key": True}


def test_after_a_reset_the_password_from_before_also_recovers(alice):
    _set_password(alice.alice, ADMIN_SET, by_admin=True)
    key, phrase = psychotherapy_keys.recover(user=alice.alice, secret=t.PASSWORD,
                                             password=ADMIN_SET)
    assert key == alice.alice_key
    assert phrase is None  # the recovery key was not used: it stays valid
    row = PsychotherapyKey.objects.get(user=alice.alice)
    assert row.open_with_recovery_key(alice.alice_phrase) == key


def test_a_new_recovery_key_replaces_the_old(alice):
    phrase = psychotherapy_keys.new_recovery_key(user=alice.alice, key=alice.alice_key)
    row = PsychotherapyKey.objects.get(user=alice.alice)
    assert row.open_with_recovery_key(phrase) == alice.alice_key
    assert row.open_with_recovery_key(alice.alice_phrase) is None


def test_no_key_is_made_under_a_password_an_admin_chose(cast):
    carol = t.make_user(cast.practice, "carol")
    _set_password(carol, ADMIN_SET, by_admin=True)  # as the admin's new-user form does
    assert psychotherapy_keys.state(carol) == "not_own_password"
    with pytest.raises(ValidationError, match="chosen by someone else"):
        psychotherapy_keys.set_up(user=carol, password=ADMIN_SET)
    _set_password(carol, OWN, old=ADMIN_SET)
    assert psychotherapy_keys.state(carol) == "none"
    key, _ = psychotherapy_keys.set_up(user=carol, password=OWN)
    assert psychotherapy_keys.unlock(user=carol, password=OWN) == key


def test_a_key_sealed_with_older_costs_is_resealed_with_todays_at_sign_in(alice, settings):
    settings.PSYCHOTHERAPY_KDF = {"time_cost": 2, "memory_cost": 16, "parallelism": 1}
    assert psychotherapy_keys.unlock(user=alice.alice, password=t.PASSWORD) == alice.alice_key
    row = PsychotherapyKey.objects.get(user=alice.alice)
    assert row.password_kdf == "argon2id$t=2$m=16$p=1"
    assert psychotherapy_keys.unlock(user=alice.alice, password=t.PASSWORD) == alice.alice_key


# --- keys from before ADR 0009: wrapped by the master key alone ---------------------------


def _legacy(user) -> bytes:
    """A key as the old code stored it, after the migration copied the password hash."""
    key = crypto.new_key()
    aad = crypto.aad_for("notes_psychotherapykey", user.pk, "data_key")
    PsychotherapyKey.objects.create(user=user, legacy_wrapped=crypto.wrap(key, aad),
                                    legacy_password_hash=user.password)
    return key


def test_a_legacy_key_is_sealed_to_the_author_at_their_next_sign_in(cast):
    key = _legacy(cast.alice)
    assert psychotherapy_keys.unlock(user=cast.alice, password=t.PASSWORD) == key
    row = PsychotherapyKey.objects.get(user=cast.alice)
    assert not row.legacy_wrapped and not row.legacy_password_hash
    assert row.open_with_password(t.PASSWORD) == key
    assert AuditEvent.objects.filter(action="psychotherapy_key.seal_to_author").exists()


def test_a_legacy_key_does_not_open_with_a_password_an_admin_set_after_the_upgrade(cast):
    key = _legacy(cast.alice)
    _set_password(cast.alice, ADMIN_SET, by_admin=True)
    assert psychotherapy_keys.unlock(user=cast.alice, password=ADMIN_SET) is None
    _set_password(cast.alice, OWN, old=ADMIN_SET)
    assert psychotherapy_keys.unlock(user=cast.alice, password=OWN) is None
    # The author's password from before the reset still recovers it.
    assert psychotherapy_keys.recover(user=cast.alice, secret=t.PASSWORD, password=OWN)[0] == key
    assert psychotherapy_keys.unlock(user=cast.alice, password=OWN) == key


def test_the_own_password_change_of_a_legacy_author_seals_the_key_to_the_new_one(cast):
    key = _legacy(cast.alice)
    _set_password(cast.alice, OWN, old=t.PASSWORD)
    assert psychotherapy_keys.unlock(user=cast.alice, password=OWN) == key
    assert not PsychotherapyKey.objects.get(user=cast.alice).legacy_wrapped
