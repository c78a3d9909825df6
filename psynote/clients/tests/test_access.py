"""Who may reach what, as a table: every member of the cast × every client × every need,
through the access functions of clients, visits and notes (the only way views fetch
clinical objects). Every refusal is a 404 and an `access.denied` audit event."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from psynote import testing as t
from psynote.audit.models import AuditEvent
from psynote.clients.access import Need, can, clients_for, get_client_for, get_diagnosis_for
from psynote.notes import actions as note_actions
from psynote.notes.access import get_note_for, get_psychotherapy_note_for
from psynote.visits.access import get_session_for

N = Need
CARE_TEAM = {N.DEMOGRAPHICS, N.EDIT_DEMOGRAPHICS, N.SCHEDULE, N.CLINICAL, N.WRITE_CLINICAL}
SUPERVISING = {N.DEMOGRAPHICS, N.SCHEDULE, N.CLINICAL}  # reading only
ADMIN = {N.DEMOGRAPHICS, N.EDIT_DEMOGRAPHICS, N.MANAGE_CARE_TEAM}
FRONT_DESK = {N.DEMOGRAPHICS, N.EDIT_DEMOGRAPHICS, N.SCHEDULE}
NOTHING: set[Need] = set()

# user -> {client -> needs met}; clients: client (alice's), other_client (bob's),
# supervisee_client (sue's, supervised by sam).
TABLE = {
    "alice": {"client": CARE_TEAM, "other_client": NOTHING, "supervisee_client": NOTHING},
    "bob": {"client": NOTHING, "other_client": CARE_TEAM, "supervisee_client": NOTHING},
    "sam": {"client": NOTHING, "other_client": NOTHING, "supervisee_client": SUPERVISING},
    "sue": {"client": NOTHING, "other_client": NOTHING, "supervisee_client": CARE_TEAM},
    "ada": dict.fromkeys(("client", "other_client", "supervisee_client"), ADMIN),
    "fred": dict.fromkeys(("client", "other_client", "supervisee_client"), FRONT_DESK),
    "pria": dict.fromkeys(("client", "other_client", "supervisee_client"), NOTHING),
}
CASES = [
    (user, client, need, need in needs)
    for user, row in TABLE.items()
    for client, needs in row.items()
    for need in Need
]


def denials(cast) -> int:
    return AuditEvent.objects.filter(practice_id=cast.practice.pk, action="access.denied").count()


@pytest.mark.parametrize(
    ("user", "client", "need", "allowed"),
    CASES,
    ids=[f"{u}-{c}-{n}-{'yes' if a else 'no'}" for u, c, n, a in CASES],
)
def test_client_access_table(cast, user, client, need, allowed):
    who, target = getattr(cast, user), getattr(cast, client)
    before = denials(cast)

    assert can(who, target, need) is allowed
    assert (target in clients_for(who, need)) is allowed
    if allowed:
        assert get_client_for(who, target.pk, need) == target
        assert denials(cast) == before
    else:
        with pytest.raises(Http404):
            get_client_for(who, target.pk, need)
        event = AuditEvent.objects.filter(action="access.denied").latest("seq")
        assert denials(cast) == before + 1
        assert event.target_id == str(target.pk) and event.actor_id == str(who.pk)


def test_nobody_outside_the_practice_sees_its_clients(cast):
    from psynote.accounts.models import PRACTICE_ROLES

    elsewhere = t.make_practice("Another Fictional Practice")
    for role in PRACTICE_ROLES:
        stranger = t.make_user(elsewhere, f"stranger-{role}", role)
        for need in Need:
            assert not clients_for(stranger, need).exists(), (role, need)
    for need in Need:  # the installation's operator is in no practice (ADR 0017)
        assert not clients_for(cast.opal, need).exists(), ("operator", need)


def test_deactivated_and_anonymous_users_see_nothing(cast):
    cast.alice.is_active = False
    cast.alice.save()
    for need in Need:
        assert not clients_for(cast.alice, need).exists()
        assert not clients_for(AnonymousUser(), need).exists()


@pytest.mark.parametrize(
    "bad_id", ["not-a-uuid", "", None, 12, "9" * 200, "00000000-0000-0000-0000-000000000000"]
)
def test_a_bad_or_unknown_id_is_a_plain_404(cast, bad_id):
    with pytest.raises(Http404):
        get_client_for(cast.alice, bad_id, Need.CLINICAL)


# --- sessions, diagnoses, notes ------------------------------------------------------------


@pytest.fixture
def record(cast):
    """alice's session with a signed note and her own psychotherapy note; the same for sue."""
    out = {}
    for owner, client in (("alice", cast.client), ("sue", cast.supervisee_client)):
        clinician = getattr(cast, owner)
        session = t.make_session(client, clinician)
        note = t.make_note(session, sign=True)
        t.open_psychotherapy_notes(clinician)
        process = note_actions.write_psychotherapy_note(
            by=clinician, client=client, session=session, body="Private."
        )
        out[owner] = (session, note, process, client.diagnoses.get())
    return out


# user -> what they reach of alice's record and of sue's record.
RECORD_TABLE = {
    #        schedule  read note  write note  psychotherapy  diagnosis (write)
    "alice": {"alice": (True, True, True, True, True), "sue": (False, False, False, False, False)},
    "bob": {
        "alice": (False, False, False, False, False),
        "sue": (False, False, False, False, False),
    },
    "sam": {"alice": (False, False, False, False, False), "sue": (True, True, False, False, False)},
    "sue": {"alice": (False, False, False, False, False), "sue": (True, True, True, True, True)},
    "ada": {
        "alice": (False, False, False, False, False),
        "sue": (False, False, False, False, False),
    },
    "fred": {
        "alice": (True, False, False, False, False),
        "sue": (True, False, False, False, False),
    },
    "pria": {
        "alice": (False, False, False, False, False),
        "sue": (False, False, False, False, False),
    },
}
RECORD_CASES = [
    (user, owner, expected) for user, row in RECORD_TABLE.items() for owner, expected in row.items()
]


def _reaches(fetch) -> bool:
    try:
        fetch()
    except Http404:
        return False
    return True


@pytest.mark.parametrize(
    ("user", "owner", "expected"),
    RECORD_CASES,
    ids=[f"{u}-on-{o}s-record" for u, o, _ in RECORD_CASES],
)
def test_record_access_table(cast, record, user, owner, expected):
    who = getattr(cast, user)
    session, note, process, diagnosis = record[owner]

    assert (
        _reaches(lambda: get_session_for(who, session.pk)),
        _reaches(lambda: get_note_for(who, note.pk)),
        _reaches(lambda: get_note_for(who, note.pk, write=True)),
        _reaches(lambda: get_psychotherapy_note_for(who, process.pk)),
        _reaches(lambda: get_diagnosis_for(who, diagnosis.pk)),
    ) == expected


def test_a_care_team_colleague_reads_the_note_but_not_the_psychotherapy_note(cast, record):
    from psynote.clients import actions as client_actions

    client_actions.add_care_team_member(by=cast.ada, client=cast.client, user=cast.bob)
    _, note, process, _ = record["alice"]

    assert get_note_for(cast.bob, note.pk) == note
    with pytest.raises(Http404):
        get_note_for(cast.bob, note.pk, write=True)  # only the author writes
    with pytest.raises(Http404):
        get_psychotherapy_note_for(cast.bob, process.pk)


def test_a_psychotherapy_note_denial_is_audited_without_content(cast, record):
    process = record["alice"][2]
    with pytest.raises(Http404):
        get_psychotherapy_note_for(cast.sam, process.pk)

    event = AuditEvent.objects.filter(action="access.denied").latest("seq")
    assert event.target_type == "psychotherapy_note" and event.target_id == str(process.pk)
    assert "Private" not in event.detail
