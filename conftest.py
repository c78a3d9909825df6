"""The named cast every test uses. The throwaway data folder, master key and fast hasher
are set by the `psynote.pytest_env` plugin, which runs before Django reads its settings."""

from types import SimpleNamespace

import pytest


@pytest.fixture
def cast(db):
    """The named cast of one fictional practice.

    alice: clinician with `client` on her caseload · bob: clinician with `other_client`
    sam: supervisor of sue · sue: supervisee with `supervisee_client`
    ada: practice admin · fred: front desk · pria: privacy officer
    opal: the installation's operator, in no practice (ADR 0017)
    """
    from psynote import testing as t
    from psynote.accounts.actions import create_operator
    from psynote.accounts.models import Role

    practice = t.make_practice()
    alice = t.make_user(practice, "alice")
    bob = t.make_user(practice, "bob")
    sam = t.make_user(practice, "sam", Role.SUPERVISOR)
    sue = t.make_user(practice, "sue", supervisor=sam)
    ada = t.make_user(practice, "ada", Role.ADMIN)
    fred = t.make_user(practice, "fred", Role.FRONT_DESK)
    pria = t.make_user(practice, "pria", Role.PRIVACY)
    opal = create_operator(by=None, username="opal", password=t.PASSWORD, first_name="Opal",
                           last_name="Testperson")
    return SimpleNamespace(
        practice=practice, alice=alice, bob=bob, sam=sam, sue=sue, ada=ada, fred=fred,
        pria=pria, opal=opal,
        client=t.make_client(alice, first_name="Avery", last_name="Fictional"),
        other_client=t.make_client(bob, first_name="Blake", last_name="Imaginary"),
        supervisee_client=t.make_client(sue, first_name="Casey", last_name="Madeup"),
    )


@pytest.fixture
def login(client):
    """login(user) -> Django test client logged in as that user."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture(autouse=True)
def _anchor_dir(settings, tmp_path):
    """Each test its own audit-checkpoint folder: practice ids repeat between tests, and a
    checkpoint left by one would not match the next one's chain."""
    settings.ANCHOR_DIR = tmp_path / "anchors"


@pytest.fixture(autouse=True)
def _psychotherapy_keys_closed():
    """No author's psychotherapy-note key stays open from one test into the next
    (psynote.testing.open_psychotherapy_notes opens one for the rest of a test)."""
    yield
    from psynote.notes import keyring

    keyring.forget_all()
