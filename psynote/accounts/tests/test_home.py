import pytest
from django.urls import reverse


@pytest.mark.parametrize(
    ("who", "page"),
    [
        ("alice", "dashboard"),
        ("sam", "dashboard"),
        ("ada", "user_list"),
        ("fred", "client_list"),
        ("pria", "audit_log"),
    ],
)
def test_home_sends_each_role_to_its_start_page(cast, login, who, page):
    response = login(getattr(cast, who)).get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse(page)


def test_home_sends_anonymous_visitors_to_login(db, client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
