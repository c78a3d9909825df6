from psynote import testing as t


def test_login_page_renders_and_logs_in(cast, client):
    assert client.get("/login/").status_code == 200
    response = client.post("/login/", {"username": "alice", "password": t.PASSWORD})
    assert response.status_code == 302
