"""The measures API: the library, administrations with their scores, self-report links
and risk alerts; bad answers are refused with the reason and change nothing."""

import json

import pytest

from psynote.accounts.models import ApiToken
from psynote.audit.models import AuditEvent
from psynote.measures import actions
from psynote.measures.models import Administration, RiskAlert, SelfReportLink

PHQ9 = {str(n): 1 for n in range(1, 9)} | {"9": 0}


@pytest.fixture
def api(cast, client):
    """api(user) -> (method, path, body=None) -> response, with that user's token."""

    def for_user(user):
        _, token = ApiToken.issue(user=user, name="test")

        def call(method, path, body=None):
            return client.generic(
                method,
                f"/api/v1{path}",
                json.dumps(body) if body is not None else "",
                content_type="application/json",
                headers={"Authorization": f"Bearer {token}"},
            )

        return call

    return for_user


def rows() -> tuple[int, int, int]:
    return Administration.objects.count(), RiskAlert.objects.count(), SelfReportLink.objects.count()


def test_the_library_lists_every_instrument(cast, api):
    response = api(cast.alice)("GET", "/instruments")
    keys = {i["key"] for i in response.json()}
    assert response.status_code == 200
    assert keys == {"phq9", "phq2", "gad7", "gad2", "pcl5", "auditc", "who5"}


def test_an_instrument_has_items_options_bands_and_loinc(cast, api):
    body = api(cast.fred)("GET", "/instruments/phq9").json()
    assert (body["loinc_panel"], body["loinc_total"]) == ("44249-1", "44261-6")
    assert body["items"][8]["loinc"] == "44260-8"
    assert body["items"][0]["options"][1] == {
        "value": 1,
        "label": "Several days",
        "loinc": "LA6569-3",
    }
    assert body["bands"][2] == {"min": 10, "max": 14, "label": "Moderate"}
    assert body["critical_items"][0]["item"] == 9
    assert body["score_range"] == [0, 27]
    assert api(cast.alice)("GET", "/instruments/bdi2").status_code == 404


def test_posting_answers_scores_them(cast, api):
    call = api(cast.alice)
    response = call(
        "POST",
        f"/clients/{cast.client.pk}/administrations",
        {"instrument": "phq9", "answers": PHQ9 | {"9": 2}},
    )
    body = response.json()
    assert response.status_code == 201
    assert (body["total"], body["band"], body["critical"]) == (10, "Moderate", True)
    assert body["risk_alert_id"] == RiskAlert.objects.get().pk
    assert body["details"]["screens"][0]["positive"] is True
    detail = call("GET", f"/administrations/{body['id']}").json()
    assert detail["answers"]["9"] == 2 and detail["loinc_total"] == "44261-6"
    listed = call("GET", f"/clients/{cast.client.pk}/administrations").json()
    assert [a["id"] for a in listed] == [body["id"]]


def test_who5_reports_the_percentage(cast, api):
    body = api(cast.alice)(
        "POST",
        f"/clients/{cast.client.pk}/administrations",
        {"instrument": "who5", "answers": {str(n): 3 for n in range(1, 6)}},
    ).json()
    assert (body["total"], body["score"]) == (15, 60)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"instrument": "phq9", "answers": PHQ9 | {"3": 4}}, "4 is not an allowed answer"),
        (
            {"instrument": "phq9", "answers": {k: v for k, v in PHQ9.items() if k != "5"}},
            "item 5 unanswered",
        ),
        ({"instrument": "phq9", "answers": PHQ9 | {"9": None}}, "item 9 unanswered"),
        ({"instrument": "phq9", "answers": PHQ9 | {"12": 0}}, "has no item 12"),
        ({"instrument": "phq9", "answers": PHQ9 | {"nine": 0}}, "'nine' is not an item number"),
        # Unicode digits: "³".isdigit() is true but int() refuses it (was a 500).
        ({"instrument": "phq9", "answers": PHQ9 | {"³": 0}}, "'³' is not an item number"),
        ({"instrument": "phq9", "answers": PHQ9 | {"٣": 0}}, "'٣' is not an item number"),
        ({"instrument": "phq9", "answers": PHQ9 | {"2": "1"}}, "answers.2"),
        ({"instrument": "phq9", "answers": PHQ9 | {"2": True}}, "answers.2"),
        ({"instrument": "bdi2", "answers": PHQ9}, "There is no instrument 'bdi2'"),
        (
            {"instrument": "phq9", "answers": PHQ9, "administered_at": "2999-01-01T00:00:00Z"},
            "in the future",
        ),
        ({"instrument": "phq9", "answers": PHQ9, "extra": 1}, "extra"),
    ],
)
def test_bad_answers_are_a_400_with_the_reason_and_nothing_is_saved(cast, api, payload, message):
    before = rows(), AuditEvent.objects.filter(action="measure.administer").count()
    response = api(cast.alice)("POST", f"/clients/{cast.client.pk}/administrations", payload)
    assert response.status_code == 400, response.content
    assert message in response.json()["detail"]
    assert (rows(), AuditEvent.objects.filter(action="measure.administer").count()) == before


def test_a_self_report_link_comes_back_once_with_its_url(cast, api):
    response = api(cast.alice)(
        "POST", f"/clients/{cast.client.pk}/self-report-links", {"instrument": "gad7", "days": 2}
    )
    body = response.json()
    assert response.status_code == 201
    assert body["url"] == f"http://testserver/r/{body['token']}/"
    assert SelfReportLink.objects.get().token_hash == SelfReportLink.hash_token(body["token"])
    too_long = api(cast.alice)(
        "POST", f"/clients/{cast.client.pk}/self-report-links", {"instrument": "gad7", "days": 90}
    )
    assert too_long.status_code == 400 and SelfReportLink.objects.count() == 1


def test_risk_alerts_are_listed_with_their_reasons_and_resolution(cast, api):
    administration = actions.administer(
        by=cast.alice, client=cast.client, instrument_key="phq9", answers=PHQ9 | {"9": 1}
    )
    call = api(cast.alice)
    [alert] = call("GET", f"/clients/{cast.client.pk}/risk-alerts?open_only=true").json()
    assert alert["administration_id"] == str(administration.pk) and alert["resolved_at"] is None
    assert alert["reasons"][0].startswith("PHQ-9 item 9 was answered above 0")
    actions.resolve_alert(
        by=cast.alice,
        alert=RiskAlert.objects.get(),
        resolution="assessed",
        note="Fictional: low risk.",
    )
    assert call("GET", f"/clients/{cast.client.pk}/risk-alerts?open_only=true").json() == []
    [done] = call("GET", f"/clients/{cast.client.pk}/risk-alerts").json()
    assert done["resolution"] == "assessed" and done["resolution_note"] == "Fictional: low risk."


@pytest.mark.parametrize("who", ["bob", "ada", "fred", "pria"])
def test_others_get_404_and_write_nothing(cast, api, who):
    administration = actions.administer(
        by=cast.alice, client=cast.client, instrument_key="phq9", answers=PHQ9
    )
    call = api(getattr(cast, who))
    before = rows()
    base = f"/clients/{cast.client.pk}"
    assert call("GET", f"{base}/administrations").status_code == 404
    assert (
        call("POST", f"{base}/administrations", {"instrument": "phq9", "answers": PHQ9}).status_code
        == 404
    )
    assert call("GET", f"/administrations/{administration.pk}").status_code == 404
    assert call("POST", f"{base}/self-report-links", {"instrument": "phq9"}).status_code == 404
    assert call("GET", f"{base}/risk-alerts").status_code == 404
    assert rows() == before


def test_a_supervisor_reads_but_cannot_post_for_a_supervisees_client(cast, api):
    call = api(cast.sam)
    base = f"/clients/{cast.supervisee_client.pk}"
    assert call("GET", f"{base}/administrations").status_code == 200
    assert (
        call("POST", f"{base}/administrations", {"instrument": "phq9", "answers": PHQ9}).status_code
        == 404
    )
    assert not Administration.objects.exists()


def test_anonymous_callers_get_401(cast, client):
    assert client.get("/api/v1/instruments").status_code == 401
