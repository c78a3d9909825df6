"""Psychotherapy notes stay sealed to their author, even after an admin resets the author's
password and signs in as them (issue 7, hole 2; ADR 0009).

The probe's case first (web and API), then the author's ways back in: the login page, the
recovery key, the previous password, the own password change; and the key page's rules.
"""

import re

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client as Browser

from psynote import testing as t
from psynote.accounts.models import ApiToken, User
from psynote.audit.models import AuditEvent
from psynote.exchange.tests.conftest import authorize
from psynote.lib import session_vault
from psynote.notes import psychotherapy_keys
from psynote.notes.models import PsychotherapyKey, PsychotherapyNote

PROCESS = "Fictional process note: Quillfeather, the pause before the sister."
ADMIN_SET = "admin-picked-this-7"
IMPOSTOR = "the-admins-own-pick-3"
OWN = "alices-new-choice-42"
SEALED_WORDS = "sealed to their author"


def _sign_in(username: str, password: str) -> Browser:
    browser = Browser()
    response = browser.post("/login/", {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]
    return browser


def _phrase(response) -> str:
    match = re.search(r"data-recovery-key>([0-9A-Z-]+)<", response.content.decode())
    assert match, response.content.decode()[:3000]
    return match.group(1)


def _token(user) -> Browser:
    _, secret = ApiToken.issue(user=user, name="probe")
    return Browser(headers={"Authorization": f"Bearer {secret}"})


@pytest.fixture
def alice(cast):
    """alice sets up her key on the key page (and writes down her recovery key), then
    writes a psychotherapy note, all from a real sign-in."""
    browser = _sign_in("alice", t.PASSWORD)
    made = browser.post("/psychotherapy-key/", {"step": "open", "password": t.PASSWORD})
    assert made.status_code == 200 and made["Cache-Control"] == "no-store"
    cast.phrase = _phrase(made)
    session = t.make_session(cast.client, cast.alice)
    written = browser.post(f"/clients/{cast.client.pk}/psychotherapy-notes/",
                           {"body": PROCESS, "session": str(session.pk)})
    assert written.status_code == 302
    cast.pnote = PsychotherapyNote.objects.get(author=cast.alice)
    browser.post("/logout/")
    return cast


def _admin_resets(cast, password: str = ADMIN_SET) -> None:
    admin = Browser()
    admin.force_login(cast.ada)
    response = admin.post(f"/users/{cast.alice.pk}/", t.user_form(cast.alice, password=password))
    assert response.status_code == 302


def _sign_in_after_reset(new_password: str) -> Browser:
    """Whoever signs in with the one-time password the admin set must first choose another
    (ADR 0007): the admin can, as easily as the author."""
    browser = _sign_in("alice", ADMIN_SET)
    assert browser.get("/psychotherapy-key/")["Location"] == "/account/password/choose/"
    changed = browser.post("/account/password/", {
        "old_password": ADMIN_SET, "new_password1": new_password,
        "new_password2": new_password})
    assert changed.status_code == 302
    return browser


# --- the probe's case ----------------------------------------------------------------------


def test_the_admin_who_resets_the_password_and_signs_in_as_the_author_sees_sealed(alice):
    _admin_resets(alice)
    impostor = _sign_in_after_reset(IMPOSTOR)
    client_url = f"/clients/{alice.client.pk}/psychotherapy-notes/"

    listing = impostor.get(client_url)
    page = listing.content.decode()
    assert listing.status_code == 200
    assert PROCESS not in page and "Quillfeather" not in page
    assert 'data-sealed="sealed"' in page and "cannot open them" in page
    assert "Write a psychotherapy note" not in page

    detail = impostor.get(f"/psychotherapy-notes/{alice.pnote.pk}/")
    assert detail.status_code == 403 and "Quillfeather" not in detail.content.decode()
    assert "Sealed" in detail.content.decode()
    edit = impostor.post(f"/psychotherapy-notes/{alice.pnote.pk}/", {"body": "Overwritten."})
    assert edit.status_code == 403
    added = impostor.post(client_url, {"body": "Planted by the admin."})
    assert added.status_code == 403 and PsychotherapyNote.objects.count() == 1

    # The key page: the admin's password opens nothing; guessing a recovery key fails.
    key_page = impostor.get("/psychotherapy-key/")
    assert 'name="secret"' in key_page.content.decode()
    for secret in (ADMIN_SET, IMPOSTOR, "00000-00000-00000-00000-00000-00000", ""):
        tried = impostor.post("/psychotherapy-key/", {"step": "recover", "secret": secret,
                                                      "password": IMPOSTOR})
        assert tried.status_code == 400 and "Quillfeather" not in tried.content.decode()
    assert impostor.post("/psychotherapy-key/", {"step": "open", "password": IMPOSTOR}
                         ).status_code == 400

    # A disclosure of psychotherapy notes, which would carry their text: refused.
    authorization = authorize(alice.alice, alice.client, {"psychotherapy_notes"})
    disclosure = impostor.post(f"/clients/{alice.client.pk}/disclose/", {
        "authorization": str(authorization.pk), "scope": ["psychotherapy_notes"],
        "format": "fhir-bundle"})
    assert disclosure.status_code == 403 and b"Quillfeather" not in disclosure.content

    assert AuditEvent.objects.filter(action="psychotherapy_note.sealed").count() >= 3
    assert AuditEvent.objects.filter(action="psychotherapy_key.sealed").count() == 1


def test_through_the_api_the_impostor_gets_403_with_a_sentence_never_the_text(alice):
    _admin_resets(alice)
    _sign_in_after_reset(IMPOSTOR)
    api = _token(alice.alice)
    note_url = f"/api/v1/psychotherapy-notes/{alice.pnote.pk}"
    list_url = f"/api/v1/clients/{alice.client.pk}/psychotherapy-notes"

    read = api.get(note_url)
    assert read.status_code == 403 and SEALED_WORDS in read.json()["detail"]
    assert "Quillfeather" not in read.content.decode()
    listed = api.get(list_url)
    assert listed.status_code == 200 and "Quillfeather" not in listed.content.decode()
    assert [n["id"] for n in listed.json()] == [str(alice.pnote.pk)]
    for method, url, body in (("patch", note_url, {"body": "Overwritten."}),
                              ("post", list_url, {"body": "Planted."})):
        response = getattr(api, method)(url, body, content_type="application/json")
        assert response.status_code == 403 and SEALED_WORDS in response.json()["detail"]
    assert PsychotherapyNote.objects.count() == 1
    assert not AuditEvent.objects.filter(action="psychotherapy_note.view").exists()


def test_an_api_token_of_the_author_herself_cannot_open_them_either(alice):
    response = _token(alice.alice).get(f"/api/v1/psychotherapy-notes/{alice.pnote.pk}")
    assert response.status_code == 403 and SEALED_WORDS in response.json()["detail"]


# --- the author's ways back in ------------------------------------------------------------


def test_signing_in_with_her_password_opens_them_until_she_logs_out(alice):
    browser = _sign_in("alice", t.PASSWORD)
    assert session_vault.COOKIE_NAME in browser.cookies
    morsel = browser.cookies[session_vault.COOKIE_NAME]
    assert morsel["httponly"] and morsel["samesite"] == "Strict"
    assert PROCESS in browser.get(f"/psychotherapy-notes/{alice.pnote.pk}/").content.decode()

    # The session without the cookie (or another browser's cookie) opens nothing.
    stolen = Browser()
    stolen.cookies[settings.SESSION_COOKIE_NAME] = browser.cookies[settings.SESSION_COOKIE_NAME]
    assert stolen.get(f"/psychotherapy-notes/{alice.pnote.pk}/").status_code == 403

    browser.post("/logout/")
    assert browser.cookies[session_vault.COOKIE_NAME].value == ""


def test_with_her_recovery_key_the_author_regains_them_after_a_reset(alice):
    _admin_resets(alice)
    browser = _sign_in_after_reset(OWN)
    assert "Quillfeather" not in browser.get(
        f"/clients/{alice.client.pk}/psychotherapy-notes/").content.decode()

    recovered = browser.post("/psychotherapy-key/", {
        "step": "recover", "secret": alice.phrase.lower().replace("-", " "), "password": OWN,
        "next": f"/psychotherapy-notes/{alice.pnote.pk}/"})
    assert recovered.status_code == 200 and recovered["Cache-Control"] == "no-store"
    new_phrase = _phrase(recovered)
    assert new_phrase != alice.phrase
    assert PROCESS in browser.get(f"/psychotherapy-notes/{alice.pnote.pk}/").content.decode()

    # Sealed under her own password again: the next sign-in opens them directly.
    again = _sign_in("alice", OWN)
    assert PROCESS in again.get(f"/psychotherapy-notes/{alice.pnote.pk}/").content.decode()
    row = PsychotherapyKey.objects.get(user=alice.alice)
    assert row.sealed_since is None
    assert row.open_with_recovery_key(alice.phrase) is None  # spent
    assert row.open_with_recovery_key(new_phrase) is not None


def test_her_password_from_before_the_reset_also_opens_them(alice):
    _admin_resets(alice)
    browser = _sign_in_after_reset(OWN)
    response = browser.post("/psychotherapy-key/", {"step": "recover", "secret": t.PASSWORD,
                                                    "password": OWN})
    assert response.status_code == 302
    assert PROCESS in browser.get(f"/psychotherapy-notes/{alice.pnote.pk}/").content.decode()


def test_her_own_password_change_keeps_them_readable(alice):
    browser = _sign_in("alice", t.PASSWORD)
    changed = browser.post("/account/password/", {"old_password": t.PASSWORD,
                                                  "new_password1": OWN, "new_password2": OWN})
    assert changed.status_code == 302
    assert PROCESS in browser.get(f"/psychotherapy-notes/{alice.pnote.pk}/").content.decode()
    again = _sign_in("alice", OWN)
    assert PROCESS in again.get(f"/psychotherapy-notes/{alice.pnote.pk}/").content.decode()
    assert psychotherapy_keys.unlock(user=alice.alice, password=t.PASSWORD) is None


def test_a_session_started_without_the_password_asks_for_it_once(alice, login):
    browser = login(alice.alice)  # as after a second sign-in step: no password in the request
    page = browser.get(f"/psychotherapy-notes/{alice.pnote.pk}/")
    assert page.status_code == 403 and 'data-sealed="locked"' in page.content.decode()
    opened = browser.post("/psychotherapy-key/", {
        "step": "open", "password": t.PASSWORD, "next": f"/psychotherapy-notes/{alice.pnote.pk}/"})
    assert opened.status_code == 302 and opened["Location"].endswith(f"{alice.pnote.pk}/")
    assert PROCESS in browser.get(f"/psychotherapy-notes/{alice.pnote.pk}/").content.decode()


# --- the key page ----------------------------------------------------------------------------


def test_setting_up_says_plainly_that_losing_both_secrets_loses_the_notes(cast, login):
    browser = login(cast.alice)
    listing = browser.get(f"/clients/{cast.client.pk}/psychotherapy-notes/")
    assert 'data-sealed="none"' in listing.content.decode()
    page = browser.get("/psychotherapy-key/").content.decode()
    assert "your psychotherapy notes are lost" in page
    made = browser.post("/psychotherapy-key/", {"step": "open", "password": t.PASSWORD})
    text = made.content.decode()
    assert "shown only this once" in text
    assert "If you lose both your password and this recovery key, your psychotherapy notes " \
           "are lost" in text
    assert re.fullmatch(r"([0-9A-Z]{5}-){5}[0-9A-Z]{5}", _phrase(made))
    assert AuditEvent.objects.filter(action="psychotherapy_key.create").count() == 1
    assert _phrase(made) not in str(list(AuditEvent.objects.values_list("payload", flat=True)))


def test_a_new_recovery_key_needs_the_password_and_replaces_the_old(alice):
    browser = _sign_in("alice", t.PASSWORD)
    refused = browser.post("/psychotherapy-key/", {"step": "new_recovery_key",
                                                   "password": "not-her-password"})
    assert refused.status_code == 400
    made = browser.post("/psychotherapy-key/", {"step": "new_recovery_key",
                                                "password": t.PASSWORD})
    row = PsychotherapyKey.objects.get(user=alice.alice)
    assert row.open_with_recovery_key(_phrase(made)) is not None
    assert row.open_with_recovery_key(alice.phrase) is None


def test_wrong_secrets_count_as_failed_logins_and_lock(alice, settings):
    browser = _sign_in("alice", t.PASSWORD)
    for _ in range(settings.LOGIN_MAX_FAILURES):
        response = browser.post("/psychotherapy-key/", {"step": "open", "password": "wrong-one"})
        assert response.status_code == 400
    assert AuditEvent.objects.filter(action="login.failed").count() == settings.LOGIN_MAX_FAILURES
    locked = browser.post("/psychotherapy-key/", {"step": "open", "password": t.PASSWORD})
    assert locked.status_code == 429


def test_no_key_is_made_under_a_password_the_admin_chose(cast):
    admin = Browser()
    admin.force_login(cast.ada)
    form = t.user_form(cast.alice, password=ADMIN_SET) | {"username": "carol"}
    assert admin.post("/users/new/", form).status_code == 302
    carol = _sign_in("carol", ADMIN_SET)
    # The one-time password keeps her on the page that changes it (ADR 0007); behind that,
    # the key itself refuses a password someone else chose.
    assert carol.get("/psychotherapy-key/")["Location"] == "/account/password/choose/"
    carol_user = User.objects.get(username="carol")
    assert psychotherapy_keys.state(carol_user) == "not_own_password"
    with pytest.raises(ValidationError, match="chosen by someone else"):
        psychotherapy_keys.set_up(user=carol_user, password=ADMIN_SET)
    assert carol.post("/account/password/", {"old_password": ADMIN_SET, "new_password1": OWN,
                                             "new_password2": OWN}).status_code == 302
    made = carol.post("/psychotherapy-key/", {"step": "open", "password": OWN})
    assert made.status_code == 200 and _phrase(made)


def test_unknown_step_is_400_and_other_roles_get_404(cast, login):
    assert login(cast.alice).post("/psychotherapy-key/", {"step": "x"}).status_code == 400
    for user in (cast.ada, cast.fred, cast.pria):
        assert login(user).get("/psychotherapy-key/").status_code == 404


def test_next_never_leaves_the_site(alice, login):
    browser = login(alice.alice)
    response = browser.post("/psychotherapy-key/", {
        "step": "open", "password": t.PASSWORD, "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/psychotherapy-key/"


def test_after_a_two_factor_sign_in_the_pages_ask_for_the_password_once(alice):
    """The password and the code arrive in two requests: the key is not opened from a
    password step whose second factor is still to come; the pages ask for it once."""
    from psynote.accounts.tests.test_mfa import enrol, next_code

    secret, _ = enrol(alice.alice)
    browser = Browser()
    step = browser.post("/login/", {"username": "alice", "password": t.PASSWORD})
    assert step["Location"] == "/login/code/"
    assert session_vault.COOKIE_NAME not in browser.cookies
    assert browser.post("/login/code/", {"code": next_code(secret)}).status_code == 302
    page = browser.get(f"/psychotherapy-notes/{alice.pnote.pk}/")
    assert page.status_code == 403 and 'data-sealed="locked"' in page.content.decode()
    assert browser.post("/psychotherapy-key/", {"step": "open", "password": t.PASSWORD}
                        ).status_code == 302
    assert PROCESS in browser.get(f"/psychotherapy-notes/{alice.pnote.pk}/").content.decode()
