"""My account: profile, password change, personal API tokens."""

from psynote import testing as t
from psynote.accounts.models import ApiToken
from psynote.audit.models import AuditEvent

NEW_PASSWORD = "Another-Fictional-Pass-7"


def _change(client, old=t.PASSWORD, new=NEW_PASSWORD, again=None):
    return client.post(
        "/account/password/",
        {"old_password": old, "new_password1": new, "new_password2": again or new},
    )


def test_account_shows_my_profile(cast, login):
    page = login(cast.alice).get("/account/").content.decode()
    assert "Alice Testperson" in page and "Clinician" in page and "PhD" in page
    assert "You have no API tokens" in page


def test_every_role_has_an_account_page(cast, login):
    for user in (cast.alice, cast.sam, cast.ada, cast.fred, cast.pria):
        assert login(user).get("/account/").status_code == 200


def test_password_change_keeps_the_session_and_is_audited(cast, login):
    client = login(cast.alice)
    response = _change(client)
    assert response.status_code == 302 and response["Location"] == "/account/"
    assert client.get("/account/").status_code == 200
    cast.alice.refresh_from_db()
    assert cast.alice.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(
        action="user.password_change", actor_id=str(cast.alice.pk)
    ).exists()


def test_password_change_ends_other_sessions(cast, login):
    from django.test import Client

    laptop = Client()
    laptop.force_login(cast.alice)
    _change(login(cast.alice))
    assert laptop.get("/account/").status_code == 302


def test_password_change_needs_the_old_password(cast, login):
    response = _change(login(cast.alice), old="not-my-password")
    assert response.status_code == 200
    assert "old password was entered incorrectly" in response.content.decode()
    cast.alice.refresh_from_db()
    assert cast.alice.check_password(t.PASSWORD)
    assert not AuditEvent.objects.filter(action="user.password_change").exists()


def test_password_change_applies_the_password_rules(cast, login):
    response = _change(login(cast.alice), new="password")
    assert response.status_code == 200
    cast.alice.refresh_from_db()
    assert cast.alice.check_password(t.PASSWORD)


def test_password_change_refuses_get(cast, login):
    assert login(cast.alice).get("/account/password/").status_code == 405


def test_new_token_is_shown_once_and_only_its_hash_is_kept(cast, login):
    client = login(cast.alice)
    response = client.post(
        "/account/tokens/", {"name": "reporting script", "password": t.PASSWORD}
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert "shown only this once" in page
    token = ApiToken.objects.get(user=cast.alice)
    secret = page.split("data-token>")[1].split("<")[0]
    assert secret.startswith(ApiToken.PREFIX)
    assert token.token_hash == ApiToken.hash(secret) and secret not in token.token_hash
    again = client.get("/account/").content.decode()
    assert "reporting script" in again and secret not in again
    assert AuditEvent.objects.filter(action="api_token.create", target_id=str(token.pk)).exists()


def test_token_needs_a_name(cast, login):
    response = login(cast.alice).post("/account/tokens/", {"name": "  "})
    assert response.status_code == 200
    assert not ApiToken.objects.exists()


def test_token_list_shows_name_created_last_used_and_revoked(cast, login):
    from django.utils import timezone

    token, _ = ApiToken.issue(user=cast.alice, name="old laptop")
    token.last_used_at = token.revoked_at = timezone.now()
    token.save()
    page = login(cast.alice).get("/account/").content.decode()
    assert "old laptop" in page and "Revoked" in page and "never" not in page


def test_tokens_of_others_are_not_listed(cast, login):
    ApiToken.issue(user=cast.bob, name="bob's script")
    assert "bob&#x27;s script" not in login(cast.alice).get("/account/").content.decode()


def test_revoking_my_token_is_audited(cast, login):
    token, _ = ApiToken.issue(user=cast.alice, name="script")
    response = login(cast.alice).post(f"/account/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(action="api_token.revoke", target_id=str(token.pk)).exists()


def test_revoking_twice_keeps_the_first_revocation(cast, login):
    token, _ = ApiToken.issue(user=cast.alice, name="script")
    client = login(cast.alice)
    client.post(f"/account/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    first = token.revoked_at
    client.post(f"/account/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at == first
    assert AuditEvent.objects.filter(action="api_token.revoke").count() == 1


def test_nobody_revokes_another_persons_token(cast, login):
    token, _ = ApiToken.issue(user=cast.bob, name="bob's script")
    for user in (cast.alice, cast.ada, cast.pria):
        assert login(user).post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert AuditEvent.objects.filter(action="access.denied", target_type="api_token").count() == 3


def test_token_revoke_requires_post(cast, login):
    token, _ = ApiToken.issue(user=cast.alice, name="script")
    assert login(cast.alice).get(f"/account/tokens/{token.pk}/revoke/").status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None
