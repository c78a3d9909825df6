def test_search_by_words_returns_codes_and_descriptions(cast, login):
    response = login(cast.alice).get("/icd10/", {"q": "generalized anxiety"})
    assert response.status_code == 200
    hits = response.json()
    assert {"code": "F41.1", "description": hits[0]["description"]} in hits
    assert "anxiety" in hits[0]["description"].lower()


def test_search_by_code_prefix(cast, login):
    hits = login(cast.alice).get("/icd10/", {"q": "F43.1"}).json()
    assert hits and all(hit["code"].startswith("F43.1") for hit in hits)


def test_empty_search_returns_an_empty_list(cast, login):
    assert login(cast.sam).get("/icd10/", {"q": ""}).json() == []


def test_only_clinical_users_search_codes(cast, login):
    for user in (cast.ada, cast.fred, cast.pria):
        assert login(user).get("/icd10/", {"q": "anxiety"}).status_code == 404


def test_search_needs_a_login(db, client):
    assert client.get("/icd10/", {"q": "anxiety"}).status_code == 302
