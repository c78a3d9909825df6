from datetime import time
from types import SimpleNamespace

import pytest
from django.utils import timezone

from psynote import testing as t
from psynote.groups import actions

# One marker word per member's individual part, one for the shared narrative.
MARKERS = {"ada": "Aquamarinefalcon", "ben": "Bronzepelican", "cy": "Cinnabarotter"}
SHARED = "Sharedtopazgroup"


@pytest.fixture
def group(cast):
    """alice's group of three (Ada, Ben, Cy), a session signed with Cy a no-show."""
    alice = cast.alice
    members = {
        "ada": t.make_client(alice, first_name="Adaline", last_name="Quill"),
        "ben": t.make_client(alice, first_name="Benedict", last_name="Rook"),
        "cy": t.make_client(alice, first_name="Cyrus", last_name="Stave"),
    }
    grp = actions.create_group(by=alice, name="Tuesday skills group",
                               members=list(members.values()))
    gs = actions.create_group_session(by=alice, group=grp, date=timezone.localdate(),
                                      start_time=time(9, 0), end_time=time(10, 30))
    return SimpleNamespace(alice=alice, members=members, group=grp, gs=gs, cast=cast)


def fill(group, *, no_show: str = "cy") -> None:
    parts = [
        {"client_id": c.pk, "attendance": "no_show"} if key == no_show
        else {"client_id": c.pk, "attendance": "attended",
              "individual": f"{MARKERS[key]} shared a worry about work."}
        for key, c in group.members.items()
    ]
    actions.save_group_session(by=group.alice, group_session=group.gs,
                               shared=f"{SHARED}: the group practised grounding.",
                               plan="Practise grounding daily.", members=parts)


@pytest.fixture
def signed(group):
    fill(group)
    actions.sign_group_session(by=group.alice, group_session=group.gs)
    return group
