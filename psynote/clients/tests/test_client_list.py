from psynote import testing as t


def test_clinician_lists_only_their_own_clients(cast, login):
    page = login(cast.alice).get("/clients/").content.decode()
    assert "Fictional" in page and "Imaginary" not in page and "Madeup" not in page


def test_front_desk_lists_the_whole_practice_with_a_new_client_link(cast, login):
    page = login(cast.fred).get("/clients/").content.decode()
    assert all(name in page for name in ("Fictional", "Imaginary", "Madeup"))
    assert 'href="/clients/new/"' in page


def test_admin_lists_the_whole_practice(cast, login):
    page = login(cast.ada).get("/clients/").content.decode()
    assert all(name in page for name in ("Fictional", "Imaginary", "Madeup"))


def test_search_narrows_the_list_by_name(cast, login):
    page = login(cast.fred).get("/clients/", {"q": "blake"}).content.decode()
    assert "Imaginary" in page and "Fictional" not in page


def test_search_without_match_says_so(cast, login):
    page = login(cast.fred).get("/clients/", {"q": "nobody-like-this"}).content.decode()
    assert "No client matches" in page


def test_privacy_officer_sees_no_clients(cast, login):
    page = login(cast.pria).get("/clients/").content.decode()
    assert "Fictional" not in page and "No clients yet" in page


def test_list_shows_the_primary_clinician(cast, login):
    page = login(cast.ada).get("/clients/").content.decode()
    assert cast.alice.signature_name in page


def test_anonymous_is_sent_to_login(db, client):
    response = client.get("/clients/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_clients_list_is_paginated(cast, login):
    for number in range(55):
        t.make_client(cast.bob, first_name=f"Extra{number:02d}", last_name="Paged", diagnosis=None)
    page = login(cast.fred).get("/clients/").content.decode()
    assert "Page 1 of 2" in page
