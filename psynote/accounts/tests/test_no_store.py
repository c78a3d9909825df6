"""Nothing behind a login may stay in a browser's or proxy's cache: every page, API answer,
PDF, CSV and export package carries `Cache-Control: no-store`."""

from datetime import date

import pytest
from django.test import Client

from psynote import testing as t
from psynote.accounts.models import ApiToken
from psynote.exchange import actions as exchange_actions

PDF = b"%PDF-1.4\n% fictional\n%%EOF\n"


def _no_store(response) -> None:
    assert response.status_code == 200, response.status_code
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("url", ["/account/", "/caseload/", "/clients/", "{chart}",
                                 "/account/two-factor/"])
def test_pages_behind_a_login_are_no_store(cast, login, url):
    _no_store(login(cast.alice).get(url.format(chart=f"/clients/{cast.client.pk}/")))


def test_the_privacy_officers_pages_and_csv_are_no_store(cast, login):
    browser = login(cast.pria)
    _no_store(browser.get("/audit/"))
    _no_store(browser.get("/audit/export.csv"))


def test_api_json_is_no_store_with_a_token_and_with_a_session(cast, login):
    _, token = ApiToken.issue(user=cast.alice, name="script")
    _no_store(Client(headers={"Authorization": f"Bearer {token}"}).get("/api/v1/clients"))
    _no_store(login(cast.alice).get(f"/api/v1/clients/{cast.client.pk}"))


def test_a_pdf_download_is_no_store(cast, login):
    authorization = exchange_actions.create_authorization(
        by=cast.alice, client=cast.client, recipient_name="Dr Fictional", purpose="Care",
        expires_on=date(2099, 1, 1), scope={"diagnoses"}, signed_form=PDF)
    response = login(cast.alice).get(f"/authorizations/{authorization.pk}/signed-form/")
    assert response["Content-Type"] == "application/pdf"
    _no_store(response)


def test_an_export_package_is_no_store(cast, login):
    session = t.make_session(cast.client, cast.alice)
    t.make_note(session, sign=True)
    authorization = exchange_actions.create_authorization(
        by=cast.alice, client=cast.client, recipient_name="Dr Fictional", purpose="Care",
        expires_on=date(2099, 1, 1), scope={"diagnoses"}, signed_on_screen_name="Avery")
    response = login(cast.alice).post(f"/clients/{cast.client.pk}/disclose/", {
        "authorization": str(authorization.pk), "scope": ["diagnoses"],
        "format": "fhir-bundle"})
    assert response["Content-Type"] == "application/zip"
    _no_store(response)


def test_the_login_page_is_no_store_too(db):
    _no_store(Client().get("/login/"))
