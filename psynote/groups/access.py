"""Who sees which groups. A group, its roster and its sessions are seen by its facilitators
only, and every facilitator is on the care team of every member (groups.actions keeps it
so): the roster names clients, so nobody off their care teams sees it. The notes a group
session files are ordinary progress notes in each member's chart and follow that member's
care team (notes.access), not the group."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from psynote.clients.access import deny
from psynote.groups.models import Group, GroupSession


def groups_for(user: Any) -> QuerySet[Group]:
    if not user.is_authenticated or not user.is_active or not user.is_clinical:
        return Group.objects.none()
    return Group.objects.filter(practice_id=user.practice_id, facilitators=user)


def get_group_for(user: Any, group_id: object) -> Group:
    try:
        return groups_for(user).get(pk=group_id)
    except (Group.DoesNotExist, ValidationError, ValueError, TypeError):
        raise deny(user, "group", group_id, "facilitator") from None


def get_group_session_for(user: Any, group_session_id: object) -> GroupSession:
    try:
        return (GroupSession.objects.filter(group__in=groups_for(user))
                .select_related("group", "facilitator").get(pk=group_session_id))
    except (GroupSession.DoesNotExist, ValidationError, ValueError, TypeError):
        raise deny(user, "group_session", group_session_id, "facilitator") from None
