import pytest


@pytest.mark.parametrize(
    "url",
    ["/clients/?q=a%00b", "/icd10/?q=%00", "/audit/?action=%00", "/login/?next=%00"],
)
def test_a_nul_in_the_query_string_is_a_clear_400(cast, login, url):
    response = login(cast.alice).get(url)
    assert response.status_code == 400
    assert b"NUL" in response.content


def test_a_nul_in_an_api_query_is_a_json_400(cast, login):
    response = login(cast.alice).get(f"/api/v1/clients/{cast.client.pk}/administrations?x=%00")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("The request contains a NUL")


def test_a_nul_in_a_form_field_changes_nothing(cast, login):
    before = cast.client.first_name
    response = login(cast.alice).post(
        f"/clients/{cast.client.pk}/edit/", {"first_name": "Bad\x00Name"}
    )
    assert response.status_code == 400
    cast.client.refresh_from_db()
    assert cast.client.first_name == before
