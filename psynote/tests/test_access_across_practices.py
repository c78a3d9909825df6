"""The wall between practices: every page and API route × every role of a second practice ×
the first practice's records → a 404 for every route naming a record, and nothing of the
first practice in any listing or search.

Practice A is the access table's (`records` in test_access_table: alice's client, session,
notes, plan, rights requests, hold, destruction, group, grant, hours...). Practice B has a
full cast of its own, every role, admin and privacy officer included: they see everything
in their own practice, and nothing of A. The routes and bodies are the access table's, so a
new route is covered here as soon as it has its row there.
"""

import json
import re
from datetime import time
from types import SimpleNamespace

from django.utils import timezone

from psynote import testing as t
from psynote.accounts.actions import issue_token
from psynote.accounts.models import Role
from psynote.audit.models import AuditEvent
from psynote.exchange.models import Disclosure
from psynote.tests.test_access_table import API, BODIES, PAGES, _fill, _page_patterns
from psynote.tests.test_access_table import records as records  # noqa: F401 (a fixture)

# A word only practice A's notes and disclosure contain, and one only practice B's.
A_WORD = "Zephyrquill"
B_WORD = "Marrowlinden"
B_ROLES = ("bea", "ben", "sol", "sid", "amy", "fay", "pat")

# Path parameters that are not practice records: an instrument key names a questionnaire
# every practice shares; a self-report link token and a calendar feed token are bearer
# secrets by design (whoever holds one is answered, signed in or not, and neither answer
# holds a client), so a route naming only one of these is checked like a listing.
NOT_A_RECORD = {"key", "token", "feed_token"}

# The audit log of practice B records every refusal its users met, with the id they asked
# for: A's client ids show there because B's users typed them (the privacy officer should
# see such probing). These pages are checked for A's names and words, and the ids in B's
# chain are checked to come from refusals only.
ECHO_REFUSALS = {"audit_log", "audit_export"}


def second_practice() -> SimpleNamespace:
    """Practice B's cast, the roles of the `cast` fixture under other names, with a client
    of bea's whose signed note carries B_WORD."""
    practice = t.make_practice("Second Fictional Practice")
    bea = t.make_user(practice, "bea")
    ben = t.make_user(practice, "ben")
    sol = t.make_user(practice, "sol", Role.SUPERVISOR)
    sid = t.make_user(practice, "sid", supervisor=sol)
    b = SimpleNamespace(
        practice=practice, bea=bea, ben=ben, sol=sol, sid=sid,
        amy=t.make_user(practice, "amy", Role.ADMIN),
        fay=t.make_user(practice, "fay", Role.FRONT_DESK),
        pat=t.make_user(practice, "pat", Role.PRIVACY),
        client=t.make_client(bea, first_name="Dana", last_name="Notreal"),
        supervisee_client=t.make_client(sid, first_name="Emery", last_name="Invented"),
    )
    b.session = t.make_session(b.client, bea)
    b.note = t.make_note(b.session, sign=True, sections={
        **t.SOAP, "subjective": f"Client mentions {B_WORD} gardens."})
    return b


def _a_markers(records) -> tuple[str, ...]:
    """What of practice A must never appear in an answer to practice B: its clients' ids
    and names, and the marker word in its note and disclosure."""
    cast = records.cast
    clients = (cast.client, cast.other_client, cast.supervisee_client)
    return (*(str(c.pk) for c in clients), "Avery Fictional", "Blake Imaginary",
            "Casey Madeup", A_WORD)


def _a_word_everywhere(records) -> None:
    """A signed note and a disclosure of practice A carrying A_WORD."""
    cast = records.cast
    session = t.make_session(cast.other_client, cast.bob, start=time(14, 0))
    t.make_note(session, sign=True, sections={**t.SOAP, "subjective": f"{A_WORD} at home."})
    Disclosure.objects.create(
        client=cast.other_client, disclosed_at=timezone.now(), recipient_name=f"{A_WORD} Court",
        scope=["progress_notes"], purpose="Subpoena", record_count=1, format="pdf",
        package_name="p.zip", package_sha256="0" * 64, by=cast.bob,
        exception="required_by_law", justification="Court order.")


def _names_a_record(template: str) -> bool:
    params = [p.split(":")[-1] for p in re.findall(r"<([^>]+)>|\{([^}]+)\}", template)
              for p in p if p]
    return any(p not in NOT_A_RECORD for p in params)


def _leak(response, template: str, markers: tuple[str, ...]) -> str | None:
    """Why this answer breaks the wall, or None."""
    status = response.status_code
    if status >= 500:
        return f"{status}"
    if _names_a_record(template):
        return None if status == 404 else f"{status}, expected 404"
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    body = raw.decode(errors="replace")
    shown = [m for m in markers if m in body]
    return f"shows {shown}" if shown else None


def test_no_role_of_another_practice_reaches_a_record_of_this_one(records, client):
    _a_word_everywhere(records)
    b = second_practice()
    markers = _a_markers(records)
    names = markers[3:]
    pages = _page_patterns()
    leaks: list[str] = []
    requests = 0
    for name, (method, _) in sorted(PAGES.items()):
        template = pages[name]
        url = _fill(template, records.ids)
        for role in B_ROLES:
            client.force_login(getattr(b, role))
            response = client.get(url) if method == "GET" else client.post(url, {})
            requests += 1
            shown = names if name in ECHO_REFUSALS else markers
            if (why := _leak(response, template, shown)) is not None:
                leaks.append(f"{method} {url} as {role} of B: {why}")
    client.logout()
    secrets = {role: issue_token(by=getattr(b, role), name="wall")[1] for role in B_ROLES}
    for route in sorted(API):
        method, template = route.split(" ", 1)
        body = json.dumps(BODIES.get(route, {})) if method != "GET" else ""
        for role in B_ROLES:
            response = client.generic(method, _fill(template, records.ids), data=body,
                                      content_type="application/json",
                                      headers={"Authorization": f"Bearer {secrets[role]}"})
            requests += 1
            if (why := _leak(response, template, markers)) is not None:
                leaks.append(f"{route} as {role} of B: {why}")
    print(f"{requests} cross-practice requests, {len(leaks)} unexpected allows")
    assert requests == len(B_ROLES) * (len(PAGES) + len(API))
    assert leaks == [], "\n".join(leaks)
    echoed = AuditEvent.objects.filter(practice_id=b.practice.pk,
                                       target_id__in=[str(m) for m in markers[:3]])
    assert set(echoed.values_list("action", flat=True)) <= {"access.denied"}


def test_this_practices_users_do_not_reach_the_other_practices_records(records, client):
    """The reverse, on representative routes: practice A's clinician, admin and privacy
    officer on practice B's client, session, note and users."""
    b = second_practice()
    cast = records.cast
    urls = [f"/clients/{b.client.pk}/", f"/clients/{b.client.pk}/edit/",
            f"/sessions/{b.session.pk}/", f"/notes/{b.note.pk}/",
            f"/clients/{b.client.pk}/rights/", f"/users/{b.bea.pk}/",
            f"/api/v1/clients/{b.client.pk}", f"/api/v1/notes/{b.note.pk}",
            f"/api/v1/sessions/{b.session.pk}", f"/api/v1/users/{b.sid.pk}/supervision"]
    for user in (cast.alice, cast.sam, cast.ada, cast.fred, cast.pria):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user.username, url)
    client.force_login(cast.ada)
    assert client.post(f"/users/{b.bea.pk}/sign-out/", {}).status_code == 404


def test_search_finds_a_practices_words_for_its_own_clinicians_only(records, client):
    _a_word_everywhere(records)
    b = second_practice()
    for user, word, found in ((records.cast.bob, A_WORD, True), (b.bea, B_WORD, True),
                              (b.bea, A_WORD, False), (b.ben, A_WORD, False),
                              (b.sol, A_WORD, False), (b.sid, A_WORD, False),
                              (records.cast.bob, B_WORD, False)):
        client.force_login(user)
        page = client.get("/search/", {"q": word})
        _, secret = issue_token(by=user, name="search")
        api = client.post("/api/v1/search", {"q": word}, content_type="application/json",
                          headers={"Authorization": f"Bearer {secret}"})
        assert (page.status_code, api.status_code) == (200, 200)
        # The query is echoed back in the search box; the results are what counts.
        hits = api.json()["hits"]
        assert bool(hits) is found, (user.username, word, hits)
        client_id = records.cast.other_client.pk if word == A_WORD else b.client.pk
        assert (str(client_id) in page.content.decode()) is found, (user.username, word)


def test_the_other_practices_admin_pages_show_nothing_of_this_one(records, client):
    """The user list, audit log, disclosure log and records pages of practice B."""
    _a_word_everywhere(records)
    b = second_practice()
    a_people = [re.compile(rf"\b{u}\b") for u in ("alice", "bob", "sam", "sue", "ada",
                                                   "fred", "pria")]
    markers = _a_markers(records)
    for user, url in ((b.amy, "/users/"), (b.pat, "/audit/"), (b.pat, "/disclosures/"),
                      (b.pat, "/records/retention/"), (b.amy, "/records/retention/")):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert [m for m in markers if m in body] == [], url
        assert [p.pattern for p in a_people if p.search(body)] == [], url
    client.force_login(records.cast.pria)
    assert A_WORD in client.get("/disclosures/").content.decode()  # the check can see it


def test_the_other_practices_ids_in_queries_and_bodies_reach_nothing(records, client):
    """Ids of practice A given where a route takes one in its query or body (a search, a
    front-desk calendar's clinician, a new client's clinician, a group's members, a
    supervisor, an appointment's clinician): no answer shows A, no write links to A."""
    from psynote.accounts.models import User
    from psynote.clients.models import Client
    from psynote.groups.models import GroupMember
    from psynote.hours.models import Entry
    from psynote.supervision.models import Supervision
    from psynote.tests.test_access_table import TOMORROW
    from psynote.visits.models import Session

    b = second_practice()
    a = records.cast
    markers = _a_markers(records)
    reads = [(role, "/clients/", {"q": "Avery"}) for role in B_ROLES] + [
        (role, "/emergency-access/search/", {"q": "Avery"}) for role in ("bea", "ben", "sol")
    ] + [(role, url, {"clinician": a.alice.pk}) for role in ("fay", "bea")
         for url in ("/calendar/", "/calendar/day/")]
    for role, url, params in reads:
        client.force_login(getattr(b, role))
        response = client.get(url, params)
        assert response.status_code < 500, (url, role)
        body = response.content.decode()
        assert [m for m in markers if m in body] == [], (url, params, role)
    client.logout()
    slot = {"date": TOMORROW, "start_time": "07:00", "end_time": "07:50"}
    writes = [
        ("fay", "GET", f"/api/v1/calendar?clinician_id={a.alice.pk}", {}),
        ("amy", "POST", "/api/v1/clients", {"first_name": "Wall", "last_name": "Probe",
                                            "date_of_birth": "1990-01-01",
                                            "primary_clinician_id": a.alice.pk}),
        ("bea", "POST", "/api/v1/groups", {"name": "Wall group",
                                           "member_ids": [str(a.client.pk)]}),
        ("amy", "PUT", f"/api/v1/users/{b.sid.pk}/supervision",
         {"supervisor_id": a.sam.pk, "mode": "review"}),
        ("fay", "POST", f"/api/v1/clients/{b.client.pk}/appointments",
         {**slot, "clinician_id": a.alice.pk}),
        ("bea", "POST", "/api/v1/search", {"q": "fictional", "client": str(a.client.pk)}),
    ]
    for role, method, url, payload in writes:
        _, secret = issue_token(by=getattr(b, role), name="wall")
        response = client.generic(method, url, data=json.dumps(payload) if payload else "",
                                  content_type="application/json",
                                  headers={"Authorization": f"Bearer {secret}"})
        assert response.status_code < 500, (method, url)
        if method != "GET" and url != "/api/v1/search":
            assert 400 <= response.status_code < 500, (method, url, response.status_code)
        # A refusal may repeat the id the caller gave; never a name or a word of A's.
        body = response.content.decode()
        assert [m for m in markers[3:] if m in body] == [], (method, url, body)
    # Nothing of B points at A.
    a_users = set(User.objects.filter(practice=a.practice).values_list("pk", flat=True))
    b_clients = Client.objects.filter(practice=b.practice)
    assert not b_clients.filter(care_team__user__in=a_users).exists()
    assert not Session.objects.filter(client__in=b_clients, clinician__in=a_users).exists()
    assert not GroupMember.objects.filter(group__practice=b.practice,
                                          client__practice=a.practice).exists()
    assert not Supervision.objects.filter(supervisee__practice=b.practice,
                                          supervisor__practice=a.practice).exists()
    assert not Entry.objects.filter(supervisee__practice=b.practice,
                                    supervisor__practice=a.practice).exists()
