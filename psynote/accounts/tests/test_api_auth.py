"""How API callers authenticate: personal tokens, or the browser session with CSRF."""

from datetime import timedelta

from django.test import Client as HttpClient
from django.utils import timezone

from psynote.accounts.models import ApiToken
from psynote.audit.models import AuditEvent
from psynote.clients.models import Client

CLIENTS = "/api/v1/clients"
NEW_CLIENT = {"first_name": "Morgan", "last_name": "Notreal", "date_of_birth": "1985-02-03"}


def _bearer(token: str) -> HttpClient:
    return HttpClient(headers={"Authorization": f"Bearer {token}"})


def test_token_authenticates_as_its_user(cast):
    _, token = ApiToken.issue(user=cast.alice, name="laptop")
    response = _bearer(token).get(CLIENTS)
    assert response.status_code == 200
    assert [c["id"] for c in response.json()["items"]] == [str(cast.client.pk)]


def test_token_can_write_without_csrf(cast):
    _, token = ApiToken.issue(user=cast.alice, name="script")
    response = _bearer(token).post(CLIENTS, NEW_CLIENT, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["care_team"][0]["user_id"] == cast.alice.pk


def test_unknown_token_is_refused_and_audited_without_the_token(cast):
    token = "psn_" + "x" * 43
    response = _bearer(token).get(CLIENTS)
    assert response.status_code == 401
    assert response.json() == {"detail": "the API token is not valid", "errors": []}
    event = AuditEvent.objects.get(action="api.auth_failed")
    assert "unknown token" in event.detail
    assert token not in event.detail and token[4:] not in event.detail


def test_revoked_token_is_refused(cast):
    row, token = ApiToken.issue(user=cast.alice, name="old")
    row.revoked_at = timezone.now()
    row.save()
    response = _bearer(token).get(CLIENTS)
    assert response.status_code == 401
    event = AuditEvent.objects.get(action="api.auth_failed")
    assert event.target_id == str(row.pk) and "revoked" in event.detail


def test_token_of_deactivated_user_is_refused(cast):
    _, token = ApiToken.issue(user=cast.alice, name="laptop")
    cast.alice.is_active = False
    cast.alice.save()
    assert _bearer(token).get(CLIENTS).status_code == 401


def test_bad_token_does_not_fall_back_to_the_session(cast, login):
    browser = login(cast.alice)
    response = browser.get(CLIENTS, headers={"Authorization": "Bearer psn_nope"})
    assert response.status_code == 401


def test_malformed_authorization_header_is_refused(cast):
    response = HttpClient(headers={"Authorization": "Basic YWxpY2U6eA=="}).get(CLIENTS)
    assert response.status_code == 401
    assert AuditEvent.objects.filter(action="api.auth_failed").count() == 1


def test_anonymous_caller_gets_401_json(db):
    response = HttpClient().get(CLIENTS)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert "log in" in response.json()["detail"]


def test_token_use_is_stamped_at_most_once_a_minute(cast):
    row, token = ApiToken.issue(user=cast.alice, name="laptop")
    _bearer(token).get(CLIENTS)
    row.refresh_from_db()
    assert row.last_used_at is not None
    recent = timezone.now() - timedelta(seconds=30)
    ApiToken.objects.filter(pk=row.pk).update(last_used_at=recent)
    _bearer(token).get(CLIENTS)
    row.refresh_from_db()
    assert row.last_used_at == recent
    stale = timezone.now() - timedelta(minutes=2)
    ApiToken.objects.filter(pk=row.pk).update(last_used_at=stale)
    _bearer(token).get(CLIENTS)
    row.refresh_from_db()
    assert row.last_used_at > stale


def test_session_reads_without_csrf(cast):
    browser = HttpClient(enforce_csrf_checks=True)
    browser.force_login(cast.alice)
    assert browser.get(CLIENTS).status_code == 200


def test_session_post_without_csrf_is_refused(cast):
    browser = HttpClient(enforce_csrf_checks=True)
    browser.force_login(cast.alice)
    before = Client.objects.count()
    response = browser.post(CLIENTS, NEW_CLIENT, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert Client.objects.count() == before


def test_session_post_with_csrf_token_is_accepted(cast):
    browser = HttpClient(enforce_csrf_checks=True)
    browser.force_login(cast.alice)
    browser.get("/login/")  # any page that sets the csrftoken cookie
    csrf = browser.cookies["csrftoken"].value
    response = browser.post(
        CLIENTS, NEW_CLIENT, content_type="application/json", headers={"X-CSRFToken": csrf}
    )
    assert response.status_code == 201, response.content


def test_openapi_schema_is_public_and_docs_page_is_disabled(db):
    browser = HttpClient()
    schema = browser.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    assert "/api/v1/notes/{note_id}" in schema.json()["paths"]
    assert browser.get("/api/v1/docs").status_code == 404


def test_unknown_api_url_answers_json_404(db):
    response = HttpClient().get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found", "errors": []}


def test_wrong_method_answers_json_405(cast):
    _, token = ApiToken.issue(user=cast.alice, name="laptop")
    response = _bearer(token).delete(CLIENTS)
    assert response.status_code == 405
    assert "GET" in response.json()["detail"]
