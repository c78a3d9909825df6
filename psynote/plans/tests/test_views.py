"""The plan pages: who may read and write them, the draft editor's one form, signing,
and the plan page with its review badge."""

from datetime import timedelta

import pytest
from django.utils import timezone

from psynote import testing as t
from psynote.audit.models import AuditEvent
from psynote.plans import actions
from psynote.plans.models import PlanVersion


@pytest.fixture
def plan(cast):
    """Sue's client has a signed plan and a draft of the next version."""
    signed = t.make_plan(cast.supervisee_client, cast.sue)
    draft = actions.start_version(by=cast.sue, client=cast.supervisee_client)
    return signed, draft


def _urls(cast, plan):
    signed, _ = plan
    client = cast.supervisee_client.pk
    return {
        "detail": f"/clients/{client}/plan/",
        "version": f"/plans/versions/{signed.pk}/",
        "edit": f"/clients/{client}/plan/edit/",
    }


# --- access, by role ------------------------------------------------------------------

READ = [
    ("sue", 200),
    ("sam", 200),
    ("alice", 404),
    ("bob", 404),
    ("ada", 404),
    ("fred", 404),
    ("pria", 404),
]


@pytest.mark.parametrize("page", ["detail", "version"])
@pytest.mark.parametrize("who, status", READ)
def test_plan_pages_are_read_by_the_care_team_and_the_supervisor_only(
    cast, login, plan, page, who, status
):
    response = login(getattr(cast, who)).get(_urls(cast, plan)[page])
    assert response.status_code == status


@pytest.mark.parametrize(
    "who, status",
    [("sue", 200), ("sam", 404), ("alice", 404), ("ada", 404), ("fred", 404), ("pria", 404)],
)
def test_only_the_care_team_opens_the_editor(cast, login, plan, who, status):
    assert login(getattr(cast, who)).get(_urls(cast, plan)["edit"]).status_code == status


@pytest.mark.parametrize("action", ["new", "sign", "discard", "edit"])
@pytest.mark.parametrize("who", ["sam", "alice", "ada", "fred"])
def test_nobody_outside_the_care_team_changes_the_plan(cast, login, plan, action, who):
    before = list(PlanVersion.objects.values_list("pk", "signed_at"))
    response = login(getattr(cast, who)).post(
        f"/clients/{cast.supervisee_client.pk}/plan/{action}/", {"add": "problem:"}
    )
    assert response.status_code == 404
    assert list(PlanVersion.objects.values_list("pk", "signed_at")) == before


def test_a_refused_reader_is_audited(cast, login, plan):
    login(cast.fred).get(_urls(cast, plan)["detail"])
    assert AuditEvent.objects.filter(
        action="access.denied", actor_id=str(cast.fred.pk), target_type="client"
    ).exists()


def test_reading_the_plan_is_audited(cast, login, plan):
    login(cast.sam).get(_urls(cast, plan)["detail"])
    login(cast.sam).get(_urls(cast, plan)["version"])
    events = AuditEvent.objects.filter(action="plan.view", actor_id=str(cast.sam.pk))
    assert events.count() == 2


def test_the_supervisor_sees_no_buttons_to_change_the_plan(cast, login, plan):
    page = login(cast.sam).get(_urls(cast, plan)["detail"]).content.decode()
    assert "Continue the draft" not in page and "Start a new version" not in page


# --- the plan page --------------------------------------------------------------------


def test_a_client_without_a_plan_offers_to_write_one(cast, login):
    page = login(cast.alice).get(f"/clients/{cast.client.pk}/plan/").content.decode()
    assert "no treatment plan yet" in page and "Write the treatment plan" in page


def test_the_plan_page_shows_the_version_in_force_and_every_version(cast, login, plan):
    page = login(cast.sue).get(_urls(cast, plan)["detail"]).content.decode()
    assert "version 1" in page and "In force" in page
    assert "Fictional worry most days" in page and "GAD-7 below 10" in page
    assert "Individual CBT" in page and "Continue the draft (version 2)" in page
    assert f"/plans/versions/{plan[1].pk}/" in page and "Signed, in force" in page


def _overdue_plan(client, clinician):
    """A plan signed with yesterday as its review date. Signing refuses a date that has
    passed, so sign the row directly, as time would have made it overdue."""
    past = timezone.localdate() - timedelta(days=1)
    version = t.make_plan(client, clinician, sign=False)
    PlanVersion.objects.filter(pk=version.pk).update(review_due=past)
    version = PlanVersion.objects.get(pk=version.pk)
    version.signed_at, version.signed_by, version.signer_name = (
        timezone.now(),
        clinician,
        clinician.signature_name,
    )
    version.content_hash = version.compute_hash()
    version.save()
    return version


def test_an_overdue_review_is_flagged_on_the_plan_page(cast, login):
    version = _overdue_plan(cast.client, cast.alice)
    page = login(cast.alice).get(f"/clients/{cast.client.pk}/plan/").content.decode()
    assert "Review overdue" in page and version.review_due.isoformat() in page


def test_an_overdue_review_is_flagged_on_the_caseload_and_the_chart(cast, login):
    _overdue_plan(cast.client, cast.alice)
    t.make_plan(cast.other_client, cast.bob)
    caseload = login(cast.alice).get("/caseload/").content.decode()
    assert "Plan review overdue" in caseload and f"/clients/{cast.client.pk}/plan/" in caseload
    chart = login(cast.alice).get(f"/clients/{cast.client.pk}/").content.decode()
    assert "review overdue" in chart and f"/clients/{cast.client.pk}/plan/" in chart
    bob = login(cast.bob).get("/caseload/").content.decode()
    assert "Plan review overdue" not in bob


def test_the_supervisor_sees_overdue_reviews_of_supervisees_clients(cast, login):
    _overdue_plan(cast.supervisee_client, cast.sue)
    assert "Plan review overdue" in login(cast.sam).get("/caseload/").content.decode()


def test_a_superseded_version_says_so(cast, login):
    first = t.make_plan(cast.client, cast.alice)
    second = actions.start_version(by=cast.alice, client=cast.client)
    actions.save_structure(
        by=cast.alice,
        version=second,
        structure=second.structure()
        | {
            "client_agreement_date": timezone.localdate().isoformat(),
            "client_agreement_method": "verbal",
        },
    )
    actions.sign_version(by=cast.alice, version=second)
    page = login(cast.alice).get(f"/plans/versions/{first.pk}/").content.decode()
    assert "Superseded" in page and "A later version of this plan has been signed" in page


# --- the editor -----------------------------------------------------------------------


@pytest.fixture
def draft(cast, login):
    response = login(cast.alice).post(f"/clients/{cast.client.pk}/plan/new/")
    assert response.status_code == 302 and response["Location"].endswith("/plan/edit/")
    return PlanVersion.objects.get(plan__client=cast.client)


def _fresh(version: PlanVersion) -> PlanVersion:
    return PlanVersion.objects.get(pk=version.pk)


def _post(login, cast, data):
    return login(cast.alice).post(f"/clients/{cast.client.pk}/plan/edit/", data)


def test_a_whole_plan_is_built_with_the_one_form_and_signed(cast, login, draft):
    diagnosis = cast.client.diagnoses.first()
    response = _post(
        login,
        cast,
        {"new:problem::diagnosis_id": diagnosis.pk, "new:problem::text": "Fictional low mood.",
         "add": "problem:"},
    )
    assert response.status_code == 302
    problem = _fresh(draft).structure()["problems"][0]
    assert problem["diagnosis_code"] == diagnosis.code
    assert response["Location"].endswith("/plan/edit/")
    # One Save: a goal and an intervention under the problem, and the agreement, together.
    response = _post(
        login,
        cast,
        {
            f"{problem['key']}:text": "Fictional low mood, in the client's words.",
            f"new:goal:{problem['key']}:text": "Enjoy days again.",
            f"new:intervention:{problem['key']}:modality": "Behavioral activation",
            f"new:intervention:{problem['key']}:frequency": "Weekly",
            f"new:intervention:{problem['key']}:responsible_user_id": cast.alice.pk,
            "client_agreement_date": timezone.localdate().isoformat(),
            "client_agreement_method": "signed_paper",
            "review_due": "",
            "save": "1",
        },
    )
    assert response.status_code == 302
    structure = _fresh(draft).structure()
    problem = structure["problems"][0]
    assert problem["text"] == "Fictional low mood, in the client's words."
    assert problem["interventions"][0]["responsible_user_id"] == cast.alice.pk
    assert structure["client_agreement_method"] == "signed_paper"
    goal = problem["goals"][0]
    target_date = (timezone.localdate() + timedelta(days=60)).isoformat()
    response = _post(
        login,
        cast,
        {
            f"new:objective:{goal['key']}:text": "Walk daily.",
            f"new:objective:{goal['key']}:baseline": "0 walks a week",
            f"new:objective:{goal['key']}:target": "5 walks a week",
            f"new:objective:{goal['key']}:target_date": target_date,
            f"new:objective:{goal['key']}:status": "not_started",
            f"new:objective:{goal['key']}:unknown": "ignored",
            "add": f"objective:{goal['key']}",
        },
    )
    assert response["Location"].endswith(f"#item-{goal['key']}")
    structure = _fresh(draft).structure()
    objective = structure["problems"][0]["goals"][0]["objectives"][0]
    assert objective["target"] == "5 walks a week" and objective["target_date"] == target_date

    page = login(cast.alice).get(f"/clients/{cast.client.pk}/plan/edit/").content.decode()
    assert "Ready to sign" in page and "Walk daily." in page
    assert page.count(">Save draft</button>") == 2  # the visible one and Enter's default
    assert "Save problem" not in page and "Save goal" not in page

    response = login(cast.alice).post(f"/clients/{cast.client.pk}/plan/sign/")
    assert response.status_code == 302
    draft = PlanVersion.objects.get(pk=draft.pk)
    assert draft.status == "in_force"


def test_empty_add_boxes_are_left_out_of_a_save(cast, login, draft):
    actions.save_structure(by=cast.alice, version=draft, structure=t.plan_structure(cast.client))
    before = _fresh(draft).structure()
    goal = before["problems"][0]["goals"][0]
    response = _post(login, cast, {f"new:objective:{goal['key']}:text": "",
                                   f"new:objective:{goal['key']}:status": "not_started",
                                   "save": "1"})  # fmt: skip
    assert response.status_code == 302
    assert _fresh(draft).structure() == before


def test_items_are_updated_and_removed_by_key(cast, login, draft):
    actions.save_structure(by=cast.alice, version=draft, structure=t.plan_structure(cast.client))
    objective = _fresh(draft).structure()["problems"][0]["goals"][0]["objectives"][0]
    key = objective["key"]
    _post(
        login,
        cast,
        {f"{key}:text": "Changed.", f"{key}:baseline": "b", f"{key}:target": "t",
         f"{key}:target_date": "", f"{key}:status": "revised", "save": "1"},
    )
    updated = _fresh(draft).structure()["problems"][0]["goals"][0]["objectives"][0]
    assert updated["key"] == objective["key"] and updated["text"] == "Changed."
    assert updated["status"] == "revised" and updated["target_date"] is None
    goal = _fresh(draft).structure()["problems"][0]["goals"][0]
    _post(login, cast, {"remove": f"goal:{goal['key']}"})
    assert _fresh(draft).structure()["problems"][0]["goals"] == []


def test_one_bad_field_refuses_the_whole_save_and_keeps_what_was_typed(cast, login, draft):
    actions.save_structure(by=cast.alice, version=draft, structure=t.plan_structure(cast.client))
    before = _fresh(draft).structure()
    problem = before["problems"][0]
    goal = problem["goals"][0]
    response = _post(
        login,
        cast,
        {
            f"{problem['key']}:text": "A change that must not be kept alone",
            f"{goal['key']}:text": "Another change typed",
            f"new:objective:{goal['key']}:text": "Sleep better",
            f"new:objective:{goal['key']}:target_date": "31/02/2026",
            "save": "1",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was changed" in page and "must be a date (YYYY-MM-DD)" in page
    # The refused form keeps what was typed, in every box.
    assert "Sleep better" in page and "31/02/2026" in page
    assert "A change that must not be kept alone" in page and "Another change typed" in page
    assert PlanVersion.objects.get(pk=draft.pk).structure() == before


@pytest.mark.parametrize(
    "data, message",
    [
        ({"remove": "goal:not-a-key"}, "no longer in this draft"),
        ({"remove": "explode:1"}, "unknown change"),
        ({"add": "explode:1"}, "unknown change"),
        ({"new:goal:not-a-key:text": "An orphan"}, "no longer in this draft"),
        ({"client_agreement_method": "telepathy"}, "client_agreement_method"),
        ({"0b1e6f3c-0000-4000-8000-000000000000:text": "Typed into a removed goal"},
         "the page was out of date"),
    ],
)
def test_malformed_posts_answer_400(cast, login, draft, data, message):
    response = _post(login, cast, data)
    assert response.status_code == 400 and message in response.content.decode()


def test_signing_an_incomplete_draft_lists_what_is_missing(cast, login, draft):
    response = login(cast.alice).post(f"/clients/{cast.client.pk}/plan/sign/")
    assert response.status_code == 400
    page = response.content.decode()
    assert "The plan was not signed" in page and "measurable objective" in page
    assert PlanVersion.objects.get(pk=draft.pk).status == "draft"


def test_the_editor_without_a_draft_leads_back_to_the_plan(cast, login):
    response = login(cast.alice).get(f"/clients/{cast.client.pk}/plan/edit/")
    assert response.status_code == 302 and response["Location"].endswith("/plan/")


def test_a_second_new_version_opens_the_existing_draft(cast, login, draft):
    response = login(cast.alice).post(f"/clients/{cast.client.pk}/plan/new/")
    assert response["Location"].endswith("/plan/edit/")
    assert PlanVersion.objects.filter(plan__client=cast.client).count() == 1


def test_discarding_the_draft(cast, login, draft):
    login(cast.alice).post(f"/clients/{cast.client.pk}/plan/discard/")
    assert not PlanVersion.objects.filter(pk=draft.pk).exists()


def test_state_changes_need_post(cast, login, draft):
    for action in ("new", "sign", "discard"):
        response = login(cast.alice).get(f"/clients/{cast.client.pk}/plan/{action}/")
        assert response.status_code == 405


def test_the_editor_offers_no_signing_while_it_lists_what_is_missing(cast, login, draft):
    page = login(cast.alice).get(f"/clients/{cast.client.pk}/plan/edit/").content.decode()
    assert "Missing before this version can be signed" in page
    assert "Sign version 1" not in page and "/plan/sign/" not in page
    actions.save_structure(by=cast.alice, version=draft, structure=t.plan_structure(cast.client))
    page = login(cast.alice).get(f"/clients/{cast.client.pk}/plan/edit/").content.decode()
    assert "Ready to sign" in page and "Sign version 1" in page
