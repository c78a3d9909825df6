"""`can` decides one client in Python with the facts of `clients_for` (care team, whom the
user supervises, open emergency grants); `clients_for` decides in SQL. Both must give the
same answer for every user, client, need and grant state, including the corners: a grant
ended, expired or on another client, a destroyed record, a deactivated user, a client of
another practice, and the same checks inside one request (where the facts are read once)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from psynote import testing as t
from psynote.accounts.models import Role
from psynote.clients import emergency
from psynote.clients.access import Need, can, clients_for
from psynote.clients.models import SHREDDED_KEY, Client, EmergencyAccess
from psynote.lib import request_memo


def _corners(cast):  # type: ignore[no-untyped-def]
    """The cast's practice with every corner, and a second practice beside it."""
    emergency.break_glass(by=cast.bob, client=cast.client, reason="Fictional: on call.")
    ended = emergency.break_glass(by=cast.alice, client=cast.other_client,
                                  reason="Fictional: covering.")
    emergency.end_emergency_access(by=cast.alice, grant=ended)
    expired = emergency.break_glass(by=cast.sam, client=cast.client, reason="Fictional.")
    past = timezone.now() - timedelta(hours=1)
    EmergencyAccess.objects.filter(pk=expired.pk).update(
        started_at=past - timedelta(hours=1), ends_at=past)
    emergency.break_glass(by=cast.sue, client=cast.other_client, reason="Fictional.")
    destroyed = t.make_client(cast.alice, first_name="Dana", last_name="Erased")
    Client.objects.filter(pk=destroyed.pk).update(wrapped_key=SHREDDED_KEY)
    gone = t.make_user(cast.practice, "gwen")
    t.make_client(gone, first_name="Gale", last_name="Fictional")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    other = t.make_practice("Second Fictional Practice")
    olive = t.make_user(other, "olive")
    t.make_client(olive, first_name="Orla", last_name="Elsewhere")
    t.make_user(other, "oscar", Role.SUPERVISOR)


def _answers(users, clients):  # type: ignore[no-untyped-def]
    for user in users:
        user.refresh_from_db()
        for client in clients:
            for need in Need:
                for use_grants in (True, False):
                    listed = clients_for(user, need, emergency=use_grants).filter(
                        pk=client.pk).exists()
                    yield (user.username, client.last_name, need, use_grants,
                           can(user, client, need, emergency=use_grants), listed)


@pytest.mark.parametrize("in_request", [False, True], ids=["direct", "inside a request"])
def test_can_agrees_with_clients_for(cast, in_request):
    from psynote.accounts.models import User

    _corners(cast)
    users = list(User.objects.order_by("pk"))
    clients = list(Client.objects.order_by("pk"))
    token = request_memo._memo.set({}) if in_request else None
    try:
        disagreements = [row for row in _answers(users, clients) if row[4] != row[5]]
        checked = len(users) * len(clients) * len(Need) * 2
    finally:
        if token is not None:
            request_memo._memo.reset(token)
    assert checked > 500
    assert disagreements == []


def test_a_grant_opened_inside_a_request_counts_at_once(cast):
    """The facts a request remembers are dropped when an action changes them."""
    token = request_memo._memo.set({})
    try:
        assert not can(cast.bob, cast.client, Need.CLINICAL)
        emergency.break_glass(by=cast.bob, client=cast.client, reason="Fictional: on call.")
        assert can(cast.bob, cast.client, Need.CLINICAL)
        assert not can(cast.bob, cast.client, Need.WRITE_CLINICAL)
    finally:
        request_memo._memo.reset(token)
