"""Every API route, fed what schemathesis derives from /api/v1/openapi.json (valid and
invalid input alike), never answers with a server error.

Requests go through Django's test client, so they run inside the test's transaction. Path
ids that are well-formed UUIDs are swapped for real rows, so generated bodies reach the
actions and not only the 404 of a missing client; malformed ids stay as generated.
"""

import json
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import schemathesis
from django.test import Client as HttpClient
from hypothesis import HealthCheck, settings
from schemathesis.core.failures import FailureGroup
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import response_schema_conformance

from psynote import api_urls  # noqa: F401  (attaches the routers to the API)
from psynote import testing as t
from psynote.accounts.models import ApiToken
from psynote.api import api
from psynote.measures import actions as measure_actions
from psynote.notes import actions as note_actions
from psynote.plans import actions as plan_actions

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())


@pytest.fixture
def record(db) -> dict[str, Any]:
    """One clinician's small record: a client, a session with a draft, a psychotherapy note."""
    practice = t.make_practice()
    alice = t.make_user(practice, "alice")
    client = t.make_client(alice, first_name="Avery", last_name="Fictional")
    session = t.make_session(client, alice)
    note = t.make_note(session)
    t.open_psychotherapy_notes(alice)
    pnote = note_actions.write_psychotherapy_note(by=alice, client=client, body="Private.")
    plan_draft = plan_actions.start_version(by=alice, client=client)
    _, token = ApiToken.issue(user=alice, name="fuzz")
    administration = measure_actions.administer(
        by=alice, client=client, instrument_key="phq9", answers={n: 0 for n in range(1, 10)}
    )
    return {
        "token": token,
        "client_id": str(client.pk),
        "session_id": str(session.pk),
        "note_id": str(note.pk),
        "pnote_id": str(pnote.pk),
        "version_id": str(plan_draft.pk),
        "administration_id": str(administration.pk),
    }


def _is_uuid(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 36 and value.count("-") == 4


def _send(case: Any, record: dict[str, Any]) -> Any:
    for name, value in list((case.path_parameters or {}).items()):
        if _is_uuid(value):
            kind = "pnote_id" if case.path.startswith("/api/v1/psychotherapy-notes") else name
            # A route whose kind of id the fixture lacks gets a random one (a 404 path).
            case.path_parameters[name] = record.get(kind, value)
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    # A generated Host header is left out: Django refuses a bad one (400, its own page)
    # before any route runs, so it tests the web server's settings, not the API.
    headers = {k: v for k, v in kwargs["headers"].items()
               if k.lower() not in ("content-type", "host")}
    headers["Authorization"] = f"Bearer {record['token']}"
    content_type = kwargs["headers"].get("Content-Type", "application/json")
    if "json" in kwargs:
        body: Any = json.dumps(kwargs["json"])
    else:
        body = kwargs.get("data") or b""
    return HttpClient().generic(
        kwargs["method"],
        urlsplit(kwargs["url"]).path,
        body,
        content_type=content_type,
        headers=headers,
        query_params=kwargs.get("params") or {},
    )


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_no_route_answers_a_server_error(case, record):
    response = _send(case, record)
    assert response.status_code < 500, (case.method, case.path, response.content[:500])
    # Every answer is JSON, but a disclosure's signed package (a zip) when it succeeds.
    packaged = response.status_code == 200 and case.path.endswith("/disclosures")
    expected = "application/zip" if packaged else "application/json"
    assert response["Content-Type"].startswith(expected), (case.method, case.path)
    # What the API answers must match what its OpenAPI schema promises (types, formats).
    request = requests.Request(case.method, f"http://testserver{case.formatted_path}").prepare()
    answer = Response(
        status_code=response.status_code,
        headers={k.lower(): [v] for k, v in response.headers.items()},
        content=response.content,
        request=request,
        elapsed=0.0,
        verify=False,
    )
    try:
        case.validate_response(answer, checks=[response_schema_conformance])
    except FailureGroup as failures:
        raise AssertionError(f"{case.method} {case.path}: {failures}") from None
