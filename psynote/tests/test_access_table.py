"""The access table: every page URL and every API route × every role → what they get.

The routes come from the URL conf and the OpenAPI schema, so a new route without a row here
fails `test_every_route_has_a_row`. For each route and role the expectation is one of:

- ALLOW: the request is served (any status but a refusal, and never a 5xx);
- DENY: a 404 exactly as for a thing that does not exist (anonymous: login redirect / 401);
- HIDE: the route answers (a listing), but alice's records are not in the answer;
- ANY: only that it never fails (logging out sends everyone to the login page).

The records are alice's: her client, a session with a signed note, a psychotherapy note, a
diagnosis, an API token, and a (closed) emergency access bob once opened to her chart. sam
is a supervisor, but not alice's, so he is refused like bob;
`test_supervisor_reads_but_cannot_write_supervisees_records` covers supervision and
`test_an_emergency_grant_opens_the_charts_reads_and_nothing_else` emergency access.
opal is the installation's operator (ADR 0017): in no practice, she reaches her own pages,
her account and signing in and out; everything else, the whole API included, is a 404.
"""

import json
import re
from datetime import date, time, timedelta
from types import SimpleNamespace

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from psynote import testing as t
from psynote.accounts.actions import issue_token
from psynote.accounts.models import SignedInSession
from psynote.clients import emergency
from psynote.exchange import actions as exchange_actions
from psynote.groups import actions as group_actions
from psynote.hours.tests.records import hours_records
from psynote.measures import actions as measure_actions
from psynote.notes import actions as note_actions
from psynote.records import actions as record_actions
from psynote.records import retention_actions
from psynote.records.models import Destruction
from psynote.visits import calendar_actions

ALLOW, DENY, HIDE, ANY = "allow", "deny", "hide", "any"
ROLES = ("anonymous", "bob", "sam", "ada", "fred", "pria", "opal", "alice")
EVERYONE = dict.fromkeys(ROLES, ALLOW)
SIGNED_IN = {**EVERYONE, "anonymous": DENY}
# Every signed-in member of a practice: not the operator, who belongs to none.
MEMBERS = {**SIGNED_IN, "opal": DENY}


def only(*names: str, hide: tuple[str, ...] = ()) -> dict[str, str]:
    """ALLOW for the named roles, HIDE for `hide`, DENY for everyone else."""
    return {role: ALLOW if role in names else HIDE if role in hide else DENY for role in ROLES}


CLINICAL = ("alice",)
CLINICIANS = ("alice", "bob", "sam")

# Page URL name → (method, expectations).
PAGES: dict[str, tuple[str, dict[str, str]]] = {
    "login": ("GET", EVERYONE),
    "favicon": ("GET", EVERYONE),
    "logout": ("POST", dict.fromkeys(ROLES, ANY)),
    # The page's idle clock (accounts.idle): about the caller's own session only.
    "session_status": ("GET", SIGNED_IN),
    "session_keep_alive": ("POST", SIGNED_IN),
    "signed_in_again": ("GET", SIGNED_IN),
    "home": ("GET", SIGNED_IN),
    "user_list": ("GET", only("ada")),
    "user_new": ("GET", only("ada")),
    "user_edit": ("GET", only("ada")),
    "account": ("GET", SIGNED_IN),
    "password_change": ("POST", SIGNED_IN),
    "token_new": ("POST", MEMBERS),
    "token_revoke": ("POST", only("alice")),
    # The second sign-in step: without a pending password step it sends everyone on.
    "login_code": ("GET", dict.fromkeys(ROLES, ANY)),
    "password_choose": ("GET", SIGNED_IN),
    "session_end": ("POST", only("alice")),
    "sessions_end_others": ("POST", SIGNED_IN),
    "mfa_setup": ("GET", SIGNED_IN),
    "mfa_recovery_codes": ("POST", SIGNED_IN),
    "mfa_disable": ("POST", SIGNED_IN),
    "user_sign_out": ("POST", only("ada")),
    "user_mfa_reset": ("POST", only("ada")),
    "practice_security": ("GET", only("ada")),
    "practice_details": ("GET", only("ada")),
    "caseload": ("GET", only(*CLINICIANS)),
    "client_list": ("GET", only("alice", "ada", "fred", hide=("bob", "sam", "pria"))),
    "client_new": ("GET", only("alice", "bob", "sam", "ada", "fred")),
    "client_chart": ("GET", only("alice", "ada", "fred")),
    "client_edit": ("GET", only("alice", "ada", "fred")),
    "care_team": ("GET", only("ada")),
    "diagnosis_add": ("GET", only(*CLINICAL)),
    "diagnosis_status": ("POST", only(*CLINICAL)),
    "icd_search": ("GET", only(*CLINICIANS)),
    "session_new": ("GET", only("alice", "fred")),
    "session_detail": ("GET", only("alice", "fred")),
    "session_edit": ("GET", only("alice", "fred")),
    "note_start": ("POST", only(*CLINICAL)),
    "note_detail": ("GET", only(*CLINICAL)),
    "note_edit": ("GET", only(*CLINICAL)),
    "note_autosave": ("POST", only(*CLINICAL)),
    "note_sign": ("GET", only(*CLINICAL)),
    "addendum_add": ("POST", only(*CLINICAL)),
    "psychotherapy_note_list": ("GET", only(*CLINICAL)),
    "psychotherapy_note_detail": ("GET", only(*CLINICAL)),
    "psychotherapy_key": ("GET", only(*CLINICIANS)),
    "audit_log": ("GET", only("pria")),
    "audit_verify": ("POST", only("pria")),
    "audit_export": ("GET", only("pria")),
    "measures_client": ("GET", only(*CLINICAL)),
    "measure_administer": ("GET", only(*CLINICAL)),
    "measure_link": ("POST", only(*CLINICAL)),
    "measure_schedule": ("POST", only(*CLINICAL)),
    "risk_alert_resolve": ("POST", only(*CLINICAL)),
    "measures_caseload": ("GET", only(*CLINICAL, hide=("bob", "sam"))),
    # The client's questionnaire: no login, and nothing of the record for anyone.
    "self_report": ("GET", {**dict.fromkeys(ROLES, HIDE), "opal": DENY}),
    "authorization_list": ("GET", only("alice", "pria")),
    "authorization_new": ("GET", only(*CLINICAL)),
    "authorization_detail": ("GET", only("alice", "pria")),
    "authorization_form": ("GET", only("alice", "pria")),
    "authorization_revoke": ("POST", only(*CLINICAL)),
    "record_flag_part2": ("POST", only(*CLINICAL)),
    "disclosure_new": ("GET", only(*CLINICAL)),
    "disclosure_accounting": ("GET", only("alice", "pria")),
    "disclosure_log": ("GET", only("pria")),
    "practice_key": ("GET", only("alice", "bob", "sam", "ada", "pria")),
    "plan_detail": ("GET", only(*CLINICAL)),
    # Hand-off summary, one-note PDF, emailed self-report link (issue 11): the PDFs are
    # copies to keep, so the care team's only (not under emergency access).
    "handoff_summary": ("GET", only(*CLINICAL)),
    "handoff_pdf": ("GET", only(*CLINICAL)),
    "note_pdf": ("GET", only(*CLINICAL)),
    "measure_link_email": ("POST", only(*CLINICAL)),
    "plan_version": ("GET", only(*CLINICAL)),
    "plan_edit": ("GET", only(*CLINICAL)),
    "plan_start": ("POST", only(*CLINICAL)),
    "plan_sign": ("POST", only(*CLINICAL)),
    "plan_discard": ("POST", only(*CLINICAL)),
    "rights_overview": ("GET", only("alice", "pria", hide=("bob", "sam"))),
    "client_rights": ("GET", only("alice", "pria")),
    "access_request_new": ("POST", only("alice", "pria")),
    "access_request_produce": ("POST", only(*CLINICAL)),
    "amendment_new": ("POST", only("alice", "pria")),
    # Every step of an amendment is the care team's clinician's (45 CFR 164.526 decisions).
    "amendment_act": ("POST", only("alice")),
    "retention": ("GET", only("ada", "pria")),
    "legal_hold_place": ("POST", only("ada", "pria")),
    "legal_hold_release": ("POST", only("ada", "pria")),
    "destruction_request": ("POST", only("ada", "pria")),
    "destruction_decide": ("POST", only("ada", "pria")),
    # Emergency access (ADR 0008): clinicians and supervisors break the glass; the grant is
    # shown to its user, the client's care team and the privacy officer, who reviews it.
    "emergency_access_search": ("GET", only(*CLINICIANS)),
    "emergency_access_new": ("GET", only(*CLINICIANS)),
    "emergency_access_list": ("GET", only("alice", "bob", "pria", hide=("sam",))),
    "emergency_access_detail": ("GET", only("alice", "bob", "pria")),
    "emergency_access_end": ("POST", only("bob")),
    "emergency_access_review": ("POST", only("pria")),
    # Supervision hours (psynote.hours): the entry and report are sue's, whom sam supervises;
    # sue's own edit rights are in psynote/hours/tests. No front desk, no privacy officer.
    "hours_home": ("GET", only(*CLINICIANS)),
    "hours_entry_new": ("GET", only(*CLINICIANS)),
    "hours_entry_edit": ("GET", only()),
    "hours_entry_delete": ("POST", only()),
    "hours_entry_confirm": ("POST", only("sam")),
    "hours_supervisee": ("GET", only("sam")),
    "hours_report_sign": ("POST", only("sam")),
    "hours_report_verify": ("GET", only(*CLINICIANS, "ada")),
    "hours_report_download": ("GET", only("sam")),
    "hours_targets": ("GET", only("alice", "ada")),
    "hours_licence_types": ("GET", only("ada")),
    "hours_licence_type": ("GET", only("ada")),
    # Groups (ADR 0014): seen by their facilitators only; participants of a family session
    # are read with the chart and recorded by the session's own clinician.
    "group_list": ("GET", only("alice", hide=("bob", "sam"))),
    "group_detail": ("GET", only("alice")),
    "group_member_add": ("POST", only("alice")),
    "group_member_remove": ("POST", only("alice")),
    "group_session": ("GET", only("alice")),
    "session_participants": ("GET", only("alice")),
    "session_participant_remove": ("POST", only("alice")),
    # The clinician's day and the calendar: one's own day and sessions; front desk's
    # calendar spans clinicians (schedule only). The feed answers whoever holds its
    # secret, with no client in it.
    "dashboard": ("GET", only("alice", hide=("bob", "sam"))),
    "calendar_week": ("GET", only("alice", "fred", hide=("bob", "sam"))),
    "calendar_day": ("GET", only("alice", "fred", hide=("bob", "sam"))),
    "calendar_feed_manage": ("GET", only(*CLINICIANS)),
    "calendar_feed": ("GET", {**dict.fromkeys(ROLES, HIDE), "opal": DENY}),
    "appointment_new": ("GET", only("alice", "fred")),
    "session_reschedule": ("GET", only("alice", "fred")),
    "session_cancel": ("GET", only("alice", "fred")),
    "session_no_show": ("POST", only("alice", "fred")),
    # Note templates (ADR 0015): read by those who write or manage notes, changed by the
    # admin (and clinicians the admin allows, none here). Deleting the in-use one is refused.
    "template_list": ("GET", only("alice", "bob", "sam", "ada")),
    "template_detail": ("GET", only("alice", "bob", "sam", "ada")),
    "template_new": ("GET", only("ada")),
    "template_edit": ("GET", only("ada")),
    "template_retire": ("POST", only("ada")),
    "template_delete": ("POST", only("ada")),
    "template_editors": ("POST", only("ada")),
    # Search (ADR 0016): clinicians and supervisors, over what they read; nobody else.
    "search": ("GET", only("alice", hide=("bob", "sam"))),
    # Supervision (ADR 0013): a note's review is its author's and their supervisors' (sam
    # supervises sue, not alice); who supervises whom is the admin's to set.
    "review_queue": ("GET", MEMBERS),
    "supervision_user": ("GET", only("ada")),
    "review_ready": ("POST", only("alice")),
    "review_return": ("POST", only("alice")),
    "review_comment": ("POST", only("alice")),
    "review_approve": ("POST", only("alice")),
    "review_cosign": ("POST", only("alice")),
    # The installation's operator (ADR 0017): practices, counts and health, nothing else.
    "operator_practices": ("GET", only("opal")),
    "operator_practice_new": ("GET", only("opal")),
    "operator_practice_verify": ("POST", only("opal")),
}

# What an active emergency-access grant adds for bob on alice's client: reading her chart,
# in pages and API alike. Every other route answers him as it would without the grant:
# no write, no psychotherapy note, no disclosure or rights page, no caseload listing.
EMERGENCY_READS = {
    "client_chart", "client_list", "session_detail", "note_detail", "measures_client",
    "plan_detail", "plan_version", "handoff_summary",
    "GET /api/v1/clients", "GET /api/v1/clients/{client_id}",
    "GET /api/v1/clients/{client_id}/diagnoses", "GET /api/v1/clients/{client_id}/sessions",
    "GET /api/v1/sessions/{session_id}", "GET /api/v1/clients/{client_id}/notes",
    "GET /api/v1/notes/{note_id}", "GET /api/v1/notes/{note_id}/addenda",
    "GET /api/v1/clients/{client_id}/administrations",
    "GET /api/v1/administrations/{administration_id}",
    "GET /api/v1/clients/{client_id}/risk-alerts", "GET /api/v1/clients/{client_id}/plans",
    "GET /api/v1/plans/versions/{version_id}", "GET /api/v1/clients/{client_id}/objectives",
    "session_participants", "GET /api/v1/sessions/{session_id}/participants",
}

# "METHOD /api/v1/path" → expectations. Listings of what the caller may see are HIDE.
API: dict[str, dict[str, str]] = {
    "GET /api/v1/note-templates": only("alice", "bob", "sam", "ada", hide=("fred", "pria")),
    "GET /api/v1/note-templates/{template_id}/versions": only("alice", "bob", "sam", "ada"),
    "GET /api/v1/clients": only("alice", "ada", "fred", hide=("bob", "sam", "pria")),
    "POST /api/v1/clients": only("alice", "bob", "sam", "ada", "fred"),
    "GET /api/v1/clients/{client_id}": only("alice", "ada", "fred"),
    "PATCH /api/v1/clients/{client_id}": only("alice", "ada", "fred"),
    "GET /api/v1/clients/{client_id}/diagnoses": only(*CLINICAL),
    "POST /api/v1/clients/{client_id}/diagnoses": only(*CLINICAL),
    "GET /api/v1/clients/{client_id}/sessions": only("alice", "fred"),
    "POST /api/v1/clients/{client_id}/sessions": only("alice", "fred"),
    "GET /api/v1/sessions/{session_id}": only("alice", "fred"),
    "PATCH /api/v1/sessions/{session_id}": only("alice", "fred"),
    "GET /api/v1/clients/{client_id}/notes": only(*CLINICAL),
    "POST /api/v1/sessions/{session_id}/notes": only(*CLINICAL),
    # A session with its note in one call (notes.session_api): as recording a session.
    "POST /api/v1/sessions": only("alice", "fred"),
    "GET /api/v1/notes/{note_id}": only(*CLINICAL),
    "PATCH /api/v1/notes/{note_id}": only(*CLINICAL),
    "POST /api/v1/notes/{note_id}/sign": only(*CLINICAL),
    "GET /api/v1/notes/{note_id}/addenda": only(*CLINICAL),
    "POST /api/v1/notes/{note_id}/addenda": only(*CLINICAL),
    "GET /api/v1/clients/{client_id}/psychotherapy-notes": only(*CLINICAL),
    "POST /api/v1/clients/{client_id}/psychotherapy-notes": only(*CLINICAL),
    "GET /api/v1/psychotherapy-notes/{note_id}": only(*CLINICAL),
    "PATCH /api/v1/psychotherapy-notes/{note_id}": only(*CLINICAL),
    "GET /api/v1/instruments": MEMBERS,
    "GET /api/v1/instruments/{key}": MEMBERS,
    "GET /api/v1/clients/{client_id}/administrations": only(*CLINICAL),
    "POST /api/v1/clients/{client_id}/administrations": only(*CLINICAL),
    "GET /api/v1/administrations/{administration_id}": only(*CLINICAL),
    "POST /api/v1/clients/{client_id}/self-report-links": only(*CLINICAL),
    "GET /api/v1/clients/{client_id}/risk-alerts": only(*CLINICAL),
    "GET /api/v1/clients/{client_id}/authorizations": only("alice", "pria"),
    "POST /api/v1/clients/{client_id}/authorizations": only(*CLINICAL),
    "POST /api/v1/authorizations/{authorization_id}/revoke": only(*CLINICAL),
    "POST /api/v1/clients/{client_id}/disclosures": only(*CLINICAL),
    "GET /api/v1/clients/{client_id}/accounting-of-disclosures": only("alice", "pria"),
    "GET /api/v1/clients/{client_id}/plans": only(*CLINICAL),
    "POST /api/v1/clients/{client_id}/plans/draft": only(*CLINICAL),
    "GET /api/v1/plans/versions/{version_id}": only(*CLINICAL),
    "PUT /api/v1/plans/versions/{version_id}": only(*CLINICAL),
    "DELETE /api/v1/plans/versions/{version_id}": only(*CLINICAL),
    "POST /api/v1/plans/versions/{version_id}/sign": only(*CLINICAL),
    "GET /api/v1/clients/{client_id}/objectives": only(*CLINICAL),
    "GET /api/v1/clients/{client_id}/access-requests": only("alice", "pria"),
    "POST /api/v1/clients/{client_id}/access-requests": only("alice", "pria"),
    "GET /api/v1/clients/{client_id}/amendment-requests": only("alice", "pria"),
    "POST /api/v1/clients/{client_id}/amendment-requests": only("alice", "pria"),
    "GET /api/v1/hours/entries": only(*CLINICIANS),
    "POST /api/v1/hours/entries": only(*CLINICIANS),
    "PATCH /api/v1/hours/entries/{entry_id}": only(),
    "POST /api/v1/hours/entries/{entry_id}/confirm": only("sam"),
    "GET /api/v1/hours/totals": only(*CLINICIANS),
    "GET /api/v1/hours/supervisees/{supervisee_id}/entries": only("sam"),
    "GET /api/v1/hours/supervisees/{supervisee_id}/totals": only("sam"),
    "GET /api/v1/calendar": only("alice", "fred", hide=("bob", "sam")),
    "POST /api/v1/clients/{client_id}/appointments": only("alice", "fred"),
    "POST /api/v1/sessions/{session_id}/reschedule": only("alice", "fred"),
    "POST /api/v1/sessions/{session_id}/cancel": only("alice", "fred"),
    "POST /api/v1/sessions/{session_id}/no-show": only("alice", "fred"),
    "POST /api/v1/search": only("alice", hide=("bob", "sam")),
    "GET /api/v1/users/{user_id}/supervision": only("ada"),
    "PUT /api/v1/users/{user_id}/supervision": only("ada"),
    "GET /api/v1/supervision/queue": MEMBERS,
    "GET /api/v1/notes/{note_id}/review": only(*CLINICAL),
    "POST /api/v1/notes/{note_id}/review/ready": only(*CLINICAL),
    "POST /api/v1/notes/{note_id}/review/return": only(*CLINICAL),
    "POST /api/v1/notes/{note_id}/review/comments": only(*CLINICAL),
    "POST /api/v1/notes/{note_id}/review/approve": only(*CLINICAL),
    "POST /api/v1/notes/{note_id}/review/cosign": only(*CLINICAL),
}


# A valid body for each write, so that the answer turns on access, not on the input.
API |= {
    "GET /api/v1/groups": only("alice", hide=("bob", "sam")),
    "POST /api/v1/groups": only(*CLINICIANS),
    "GET /api/v1/groups/{group_id}": only("alice"),
    "POST /api/v1/groups/{group_id}/members": only("alice"),
    "DELETE /api/v1/groups/{group_id}/members/{client_id}": only("alice"),
    "POST /api/v1/groups/{group_id}/sessions": only("alice"),
    "GET /api/v1/group-sessions/{group_session_id}": only("alice"),
    "PUT /api/v1/group-sessions/{group_session_id}": only("alice"),
    "POST /api/v1/group-sessions/{group_session_id}/sign": only("alice"),
    "GET /api/v1/sessions/{session_id}/participants": only("alice"),
    "POST /api/v1/sessions/{session_id}/participants": only("alice"),
    "DELETE /api/v1/sessions/{session_id}/participants/{participant_id}": only("alice"),
}

TOMORROW = (date.today() + timedelta(days=1)).isoformat()
BODIES: dict[str, dict] = {
    "POST /api/v1/groups": {"name": "Table group", "member_ids": []},
    "POST /api/v1/groups/{group_id}/members": {
        "client_id": "00000000-0000-0000-0000-000000000001"},
    "POST /api/v1/groups/{group_id}/sessions": {
        "date": "2026-01-05", "start_time": "09:00", "end_time": "10:00"},
    "PUT /api/v1/group-sessions/{group_session_id}": {"shared": "Fictional."},
    "POST /api/v1/sessions/{session_id}/participants": {
        "role": "partner", "name": "Fictional Partner"},
    "POST /api/v1/clients": {
        "first_name": "Table",
        "last_name": "Fictional",
        "date_of_birth": "1990-01-01",
    },
    "POST /api/v1/clients/{client_id}/diagnoses": {"code": "F32.A"},
    "POST /api/v1/clients/{client_id}/sessions": {
        "date": "2026-01-05",
        "start_time": "10:00",
        "end_time": "10:50",
        "attendance": "attended",
    },
    "POST /api/v1/sessions/{session_id}/notes": {"template": "soap"},
    "POST /api/v1/sessions": {
        "client_id": "<client_id>", "date": "2026-01-05", "start_time": "10:00",
        "end_time": "10:50", "note": {"template": "soap"},
    },
    "POST /api/v1/notes/{note_id}/addenda": {"kind": "correction", "body": "Fictional fix."},
    "POST /api/v1/clients/{client_id}/psychotherapy-notes": {"body": "Fictional."},
    "PATCH /api/v1/psychotherapy-notes/{note_id}": {"body": "Fictional, edited."},
    "POST /api/v1/clients/{client_id}/administrations": {
        "instrument": "gad7",
        "answers": {str(n): 1 for n in range(1, 8)},
    },
    "POST /api/v1/clients/{client_id}/self-report-links": {"instrument": "phq9"},
    "POST /api/v1/clients/{client_id}/authorizations": {
        "recipient_name": "Dr Table",
        "scope": ["diagnoses"],
        "purpose": "Care",
        "expires_on": "2099-01-01",
        "signed_on_screen_name": "Avery Fictional",
    },
    "POST /api/v1/clients/{client_id}/access-requests": {"requested_on": "2026-01-05"},
    "POST /api/v1/clients/{client_id}/amendment-requests": {
        "requested_on": "2026-01-05",
        "request": "Fictional.",
    },
    "POST /api/v1/clients/{client_id}/appointments": {
        "date": TOMORROW, "start_time": "07:00", "end_time": "07:50",
    },
    "POST /api/v1/sessions/{session_id}/reschedule": {
        "date": TOMORROW, "start_time": "07:00", "end_time": "07:50",
    },
    "POST /api/v1/sessions/{session_id}/cancel": {"reason": "client"},
    "POST /api/v1/search": {"q": "fictional week"},
    "PUT /api/v1/users/{user_id}/supervision": {"supervisor_id": 1, "mode": "review"},
    "POST /api/v1/notes/{note_id}/review/return": {"comments": [{"text": "Fictional."}]},
    "POST /api/v1/notes/{note_id}/review/comments": {"text": "Fictional."},
    "POST /api/v1/clients/{client_id}/disclosures": {
        "exception": "treatment",
        "justification": "Referral.",
        "recipient_name": "Dr Table",
        "scope": ["psychotherapy_notes"],
        "purpose": "Care",
        "format": "fhir-bundle",
    },
    "POST /api/v1/hours/entries": {"date": "2026-01-05", "minutes": 60, "category_id": 1,
                                   "supervisor_id": 1},
}


def _page_patterns() -> dict[str, str]:
    """URL name → route, for every page outside the API."""
    found: dict[str, str] = {}

    def walk(patterns: list, prefix: str = "") -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if not route.startswith("api/"):
                    walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and pattern.name:
                found[pattern.name] = route

    walk(get_resolver().url_patterns)
    return found


def _api_routes() -> set[str]:
    from psynote.api import api

    schema = api.get_openapi_schema()
    return {
        f"{method.upper()} {path}"
        for path, methods in schema["paths"].items()
        for method in methods
        if method.upper() in {"GET", "POST", "PATCH", "PUT", "DELETE"}
    }


def test_every_route_has_a_row():
    pages = set(_page_patterns())
    assert pages - set(PAGES) == set(), "pages with no row in the access table"
    assert set(PAGES) - pages == set(), "rows for pages that no longer exist"
    api = _api_routes()
    assert api - set(API) == set(), "API routes with no row in the access table"
    assert set(API) - api == set(), "rows for API routes that no longer exist"


@pytest.fixture
def records(cast):
    alice = cast.alice
    session = t.make_session(cast.client, alice)
    note = t.make_note(session, sign=True)
    draft_session = t.make_session(cast.client, alice, minutes=45)
    t.open_psychotherapy_notes(alice)
    pnote = note_actions.write_psychotherapy_note(
        by=alice, client=cast.client, body="Fictional process note."
    )
    token, _ = issue_token(by=alice, name="access table")
    signin = SignedInSession.objects.create(user=alice, session_key="accesstable".ljust(32, "0"))
    # A PHQ-9 with item 9 above 0: an administration, its risk alert, and a link.
    administration = measure_actions.administer(
        by=alice, client=cast.client, instrument_key="phq9", answers={n: 1 for n in range(1, 10)}
    )
    _, link_token = measure_actions.create_self_report_link(
        by=alice, client=cast.client, instrument_key="phq9"
    )
    # An authorization with a signed form, so its download page has something to serve.
    authorization = exchange_actions.create_authorization(
        by=alice, client=cast.client, recipient_name="Dr Table", purpose="Care",
        expires_on=date(2099, 1, 1), scope={"diagnoses"}, signed_form=b"%PDF-1.4\n%%EOF\n",
    )
    plan = t.make_plan(cast.client, alice)  # a signed treatment plan version
    # Rights requests, a legal hold and a pending destruction (alice's client is not due,
    # so confirming it is refused).
    access_request = record_actions.record_access_request(
        by=alice, client=cast.client, requested_on=date(2026, 1, 5))
    amendment = record_actions.record_amendment_request(
        by=alice, client=cast.client, requested_on=date(2026, 1, 5), request="Fictional.")
    hold = retention_actions.place_hold(by=cast.pria, client=cast.client, reason="Fictional.")
    destruction = Destruction.objects.create(
        client=cast.client, last_service_on=date(2026, 1, 5), due_on=date(2033, 1, 5),
        requested_by=cast.pria)
    group = group_actions.create_group(by=alice, name="Table group", members=[cast.client])
    group_session = group_actions.create_group_session(
        by=alice, group=group, date=date(2026, 1, 5), start_time=time(9), end_time=time(10))
    grant = emergency.break_glass(by=cast.bob, client=cast.client, reason="Fictional crisis.")
    emergency.end_emergency_access(by=cast.bob, grant=grant)
    hours_entry, hours_report = hours_records(cast)
    feed_token = calendar_actions.reset_feed(by=alice)
    return SimpleNamespace(
        cast=cast,
        ids={
            "client_id": cast.client.pk,
            "session_id": draft_session.pk,
            "note_id": note.pk,
            "pnote_id": pnote.pk,
            "diagnosis_id": cast.client.diagnoses.first().pk,
            "user_id": alice.pk,
            "token_id": token.pk,
            "signin_id": signin.pk,
            "key": "phq9",
            "administration_id": administration.pk,
            "alert_id": administration.risk_alert.pk,
            "token": link_token,
            "authorization_id": authorization.pk,
            "version_id": plan.pk,
            "access_request_id": access_request.pk,
            "amendment_id": amendment.pk,
            "hold_id": hold.pk,
            "destruction_id": destruction.pk,
            "grant_id": grant.pk,
            "entry_id": hours_entry.pk,
            "supervisee_id": cast.sue.pk,
            "report_id": hours_report.pk,
            "licence_type_id": hours_entry.category.licence_type_id,
            "group_id": group.pk,
            "group_session_id": group_session.pk,
            "participant_id": 1,
            "feed_token": feed_token,
            "template_id": alice.practice.note_templates.get(key="soap").pk,
        },
        marker=str(cast.client.pk),
    )


def _fill(route: str, ids: dict) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1).split(":")[-1]
        if route.startswith("/api/") and "psychotherapy-notes/" in route and name == "note_id":
            name = "pnote_id"
        return str(ids[name])

    path = re.sub(r"<([^>]+)>", value, route)
    return "/" + re.sub(r"\{([^}]+)\}", value, path).lstrip("/")


def _body(route: str, ids: dict) -> str:
    """The route's JSON body; `<client_id>` in it stands for the record's client."""
    return json.dumps(BODIES.get(route, {})).replace("<client_id>", str(ids["client_id"]))


def _check(response, expected: str, role: str, marker: str, what: str) -> None:
    status = response.status_code
    assert status < 500, f"{what} as {role}: {status}"
    if expected == ANY:
        return
    if expected == DENY:
        if role == "anonymous":
            refused = status in (401, 403) or (
                status == 302 and "/login/" in response.get("Location", "")
            )
            assert refused, f"{what} as anonymous: {status}, expected a login redirect or 401"
        elif "{" in what or "<" in what or re.search(r"[0-9a-f]{8}-", what):
            assert status == 404, f"{what} as {role}: {status}, expected 404"
        else:  # no record named in the URL, so a plain refusal reveals nothing
            assert status in (403, 404), f"{what} as {role}: {status}, expected 403/404"
        return
    refused = status in (401, 404) or (status == 302 and "/login/" in response["Location"])
    assert not refused, f"{what} as {role}: {status}, expected to be served"
    if expected == HIDE:
        assert marker not in response.content.decode(errors="replace"), (
            f"{what} as {role} shows alice's client"
        )


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_access(name, records, client):
    method, expectations = PAGES[name]
    url = _fill(_page_patterns()[name], records.ids)
    for role in ROLES:  # alice last: her POSTs may change what the others would see
        client.logout()
        if role != "anonymous":
            client.force_login(getattr(records.cast, role))
        response = client.get(url) if method == "GET" else client.post(url, {})
        _check(response, expectations[role], role, records.marker, f"{method} {url}")


@pytest.mark.parametrize("route", sorted(API))
def test_api_access(route, records, client):
    method, template = route.split(" ", 1)
    url = _fill(template, records.ids)
    for role in ROLES:
        client.logout()
        headers = {}
        if role != "anonymous":
            _, secret = issue_token(by=getattr(records.cast, role), name="table")
            headers["Authorization"] = f"Bearer {secret}"
        body = _body(route, records.ids) if method != "GET" else ""
        response = client.generic(
            method, url, data=body, content_type="application/json", headers=headers
        )
        _check(response, API[route][role], role, records.marker, route)


def test_supervisor_reads_but_cannot_write_supervisees_records(cast, client):
    session = t.make_session(cast.supervisee_client, cast.sue)
    note = t.make_note(session)
    client.force_login(cast.sam)
    assert client.get(f"/clients/{cast.supervisee_client.pk}/").status_code == 200
    assert client.get(f"/notes/{note.pk}/").status_code == 200
    assert client.get(f"/notes/{note.pk}/edit/").status_code == 404
    assert client.post(f"/notes/{note.pk}/sign/", {}).status_code == 404
    assert (
        client.get(f"/clients/{cast.supervisee_client.pk}/psychotherapy-notes/").status_code == 404
    )


def test_read_only_roles_cannot_record_or_act_on_rights_requests(cast, client):
    """A supervisor only reads a supervisee's client's requests; a privacy officer records
    new requests but takes no step in an amendment (extension, decision, statements)."""
    from psynote.records.models import AccessRequest, AmendmentRequest

    amendment = record_actions.record_amendment_request(
        by=cast.sue, client=cast.supervisee_client, requested_on=date(2026, 1, 5),
        request="Please correct the date of my first visit.",
    )
    base = f"/clients/{cast.supervisee_client.pk}"
    api = f"/api/v1/clients/{cast.supervisee_client.pk}"
    before = (AccessRequest.objects.count(), AmendmentRequest.objects.count())
    client.force_login(cast.sam)
    assert client.get(f"{base}/rights/").status_code == 200
    assert client.post(f"{base}/rights/access/",
                       {"requested_on": "2026-01-06"}).status_code == 404
    assert client.post(f"{base}/rights/amendments/",
                       {"requested_on": "2026-01-06", "request": "x"}).status_code == 404
    assert client.post(f"{api}/access-requests", {"requested_on": "2026-01-06"},
                       content_type="application/json").status_code == 404
    assert client.post(f"{api}/amendment-requests",
                       {"requested_on": "2026-01-06", "request": "x"},
                       content_type="application/json").status_code == 404
    for who in (cast.sam, cast.pria):
        client.force_login(who)
        for step in ({"step": "extend", "notice_on": "2026-01-20"},
                     {"step": "disagreement", "body": "I disagree."},
                     {"step": "deny", "reason": "accurate", "body": "x"}):
            response = client.post(f"/records/amendments/{amendment.pk}/", step)
            assert response.status_code == 404, (who.username, step)
    unchanged = AmendmentRequest.objects.get(pk=amendment.pk)
    assert (unchanged.status, unchanged.extended_to) == (amendment.status, None)
    assert (AccessRequest.objects.count(), AmendmentRequest.objects.count()) == before


def _check_under_grant(response, expected: str, marker: str, what: str) -> None:
    """As `_check` for bob, except that the banner naming the open grant (on every page)
    is not counted as showing alice's client in a listing."""
    if expected == HIDE:
        _check(response, ALLOW, "bob with emergency access", marker, what)
        page = re.sub(r'<div class="emergency-banner".*?</div>', "",
                      response.content.decode(errors="replace"), flags=re.S)
        assert marker not in page, f"{what} as bob with emergency access shows alice's client"
    else:
        _check(response, expected, "bob with emergency access", marker, what)


def test_an_emergency_grant_opens_the_charts_reads_and_nothing_else(records, client):
    """Every page and API route again, as bob holding an open emergency-access grant on
    alice's client: the reads in EMERGENCY_READS are served, everything else answers as
    the table says for bob without it."""
    emergency.break_glass(by=records.cast.bob, client=records.cast.client,
                          reason="Fictional: client in crisis at the front desk.")
    _, secret = issue_token(by=records.cast.bob, name="emergency table")
    pages = _page_patterns()
    for name, (method, expectations) in sorted(PAGES.items()):
        client.force_login(records.cast.bob)
        url = _fill(pages[name], records.ids)
        response = client.get(url) if method == "GET" else client.post(url, {})
        expected = ALLOW if name in EMERGENCY_READS else expectations["bob"]
        _check_under_grant(response, expected, records.marker, f"{method} {url}")
    client.logout()
    for route, expectations in sorted(API.items()):
        method, template = route.split(" ", 1)
        body = _body(route, records.ids) if method != "GET" else ""
        response = client.generic(method, _fill(template, records.ids), data=body,
                                  content_type="application/json",
                                  headers={"Authorization": f"Bearer {secret}"})
        expected = ALLOW if route in EMERGENCY_READS else expectations["bob"]
        _check_under_grant(response, expected, records.marker, route)
