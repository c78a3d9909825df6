"""Writing groups and group sessions. Each action is one transaction with its audit event;
audit events name rows and counts, never a member's content."""

from datetime import date, time
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from psynote.accounts.models import CLINICAL_ROLES, User
from psynote.audit import log
from psynote.clients.access import Need, can
from psynote.clients.models import Client
from psynote.groups.models import MAX_MEMBERS, Group, GroupAttendance, GroupMember, GroupSession
from psynote.notes import actions as note_actions
from psynote.notes import content as note_content
from psynote.notes.template_actions import version_for_new_note
from psynote.plans.queries import active_objectives
from psynote.visits import actions as visit_actions
from psynote.visits import cpt
from psynote.visits.models import Session, stop_time_problem

# The note each attending member gets: Data is the shared narrative, Assessment the
# member's own part, Plan the group's plan (docs/adr/0014-group-and-family-sessions.md).
NOTE_TEMPLATE = "dap"
BLOCKS = ("risk", "objectives", "diagnosis_codes", "no_objective_reason")
MAX_NAME = 200


def _member_problem(by: Any, group: Group, client: Client) -> str | None:
    if client.practice_id != group.practice_id:
        return "not a client of this practice"
    if not can(by, client, Need.WRITE_CLINICAL, emergency=False):
        return f"{client.display_name} is not on your caseload"
    for facilitator in group.facilitators.all():
        if not can(facilitator, client, Need.WRITE_CLINICAL, emergency=False):
            return (f"{facilitator.signature_name} is not on {client.display_name}'s care "
                    "team: every facilitator must be, since the roster names its members")
    return None


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "give the group a name"})
    if len(name) > MAX_NAME:
        raise ValidationError({"name": f"the name is longer than {MAX_NAME} characters"})
    return name


@transaction.atomic
def create_group(*, by: Any, name: str, members: list[Client],
                 facilitators: list[Any] = ()) -> Group:
    """`members` are clients (of any practice: a stranger is refused here); `by` facilitates."""
    if not by.is_clinical:
        raise ValidationError("only clinicians lead groups")
    name = _check_name(name)
    if not members:
        raise ValidationError({"members": "the roster is empty: add at least one client"})
    if len({m.pk for m in members}) != len(members):
        raise ValidationError({"members": "a client is on the roster twice"})
    if len(members) > MAX_MEMBERS:
        raise ValidationError({"members": f"a group holds at most {MAX_MEMBERS} members"})
    leaders = {by.pk: by} | {f.pk: f for f in facilitators}
    for leader in leaders.values():
        if (leader.practice_id != by.practice_id or leader.role not in CLINICAL_ROLES
                or not leader.is_active):
            raise ValidationError({"facilitators": "facilitators are active clinicians of "
                                                   "this practice"})
    group = Group.objects.create(practice_id=by.practice_id, name=name, created_by=by)
    group.facilitators.set(leaders.values())
    problems = [p for m in members if (p := _member_problem(by, group, m))]
    if problems:
        raise ValidationError({"members": problems})
    GroupMember.objects.bulk_create(GroupMember(group=group, client=m) for m in members)
    log.record_by(by, "group.create", target_type="group", target_id=group.pk,
                  detail={"members": len(members), "facilitators": len(leaders)})
    return group


@transaction.atomic
def add_member(*, by: Any, group: Group, client: Client) -> GroupMember:
    if group.members.filter(client=client).exists():
        raise ValidationError({"client_id": "this client is already on the roster"})
    if group.members.count() >= MAX_MEMBERS:
        raise ValidationError({"client_id": f"a group holds at most {MAX_MEMBERS} members"})
    if problem := _member_problem(by, group, client):
        raise ValidationError({"client_id": problem})
    member = GroupMember.objects.create(group=group, client=client)
    log.record_by(by, "group.member_add", target_type="group", target_id=group.pk,
                  client_id=client.pk)
    return member


@transaction.atomic
def remove_member(*, by: Any, group: Group, client: Client) -> None:
    """Off the roster for sessions to come; past sessions keep their attendance."""
    deleted, _ = group.members.filter(client=client).delete()
    if not deleted:
        raise ValidationError({"client_id": "this client is not on the roster"})
    log.record_by(by, "group.member_remove", target_type="group", target_id=group.pk,
                  client_id=client.pk)


@transaction.atomic
def create_group_session(*, by: Any, group: Group, date: date, start_time: time,
                         end_time: time, modality: str = Session.Modality.IN_PERSON,
                         place: str = Session.Place.OFFICE) -> GroupSession:
    """A session of the group, with every member of the roster as attending until told
    otherwise; `by` facilitates it and writes its note."""
    members = list(group.members.select_related("client"))
    if not members:
        raise ValidationError("the roster is empty: add a member before recording a session")
    if problem := stop_time_problem(start_time, end_time):
        raise ValidationError({"end_time": problem})
    if start_time == end_time:
        raise ValidationError({"end_time": "the stop time must be after the start time"})
    group_session = GroupSession(group=group, facilitator=by, date=date, start_time=start_time,
                                 end_time=end_time, modality=modality, place=place)
    group_session.full_clean(exclude=["group", "facilitator"])
    group_session.save()
    for member in members:
        GroupAttendance.objects.create(group_session=group_session, client=member.client)
    log.record_by(by, "group_session.create", target_type="group_session",
                  target_id=group_session.pk, detail={"members": len(members)})
    return group_session


def _locked(group_session: GroupSession, by: Any) -> GroupSession:
    locked = GroupSession.objects.select_for_update().select_related("group").get(
        pk=group_session.pk)
    if locked.is_signed:
        raise ValidationError("this group session is signed and filed; add an addendum to a "
                              "member's note instead")
    if locked.facilitator_id != by.pk:
        raise ValidationError("only the session's facilitator writes its note")
    return locked


def _text(value: Any, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError(f"{what} must be text")
    if len(value) > note_content.MAX_TEXT:
        raise ValidationError(f"{what} is longer than {note_content.MAX_TEXT} characters")
    return value.replace("\r\n", "\n").strip()


def _blocks(row: GroupAttendance, given: dict[str, Any]) -> dict[str, Any]:
    """The member's structured blocks, checked as their note will check them."""
    blocks = {key: given[key] for key in BLOCKS if given.get(key) not in (None, "", [], {})}
    chart_codes = {d.code for d in row.client.diagnoses.exclude(status="ruled_out")}
    objectives = {o.key: o.text for o in active_objectives(row.client)}
    try:
        # Checked against the version the member's note will be started with (ADR 0015).
        template = version_for_new_note(row.client.practice_id, NOTE_TEMPLATE).definition()
        note_content.merge(template, {}, blocks, chart_codes, objectives)
    except ValidationError as error:
        raise ValidationError([f"{row.client.display_name}: {m}" for m in error.messages]
                              ) from None
    return blocks


@transaction.atomic
def save_group_session(*, by: Any, group_session: GroupSession, shared: str | None = None,
                       plan: str | None = None, members: list[dict[str, Any]] = ()
                       ) -> GroupSession:
    """Save the draft: the shared narrative and plan, and per member (by `client_id`) their
    attendance, individual part and blocks. Members not named keep what they had."""
    group_session = _locked(group_session, by)
    rows = {str(r.client_id): r for r in
            group_session.attendance.select_related("client").select_for_update()}
    seen: set[str] = set()
    for entry in members:
        key = str(entry.get("client_id", ""))
        if key not in rows:
            raise ValidationError("not a member of this group session (members are the "
                                  "roster when the session was recorded)")
        if key in seen:
            raise ValidationError(f"{rows[key].client.display_name} is listed twice")
        seen.add(key)
        unknown = set(entry) - {"client_id", "attendance", "individual", *BLOCKS}
        if unknown:
            raise ValidationError(f"unknown member fields: {', '.join(sorted(unknown))}")
    first = next((r for r in rows.values() if r.attendance == "attended"), None)
    shared = _text(shared, "the shared narrative") if shared is not None else (
        first.shared if first else "")
    plan = _text(plan, "the plan") if plan is not None else (first.plan if first else "")
    for entry in members:
        row = rows[str(entry["client_id"])]
        attendance = entry.get("attendance", row.attendance)
        if attendance not in GroupAttendance.Attendance.values:
            raise ValidationError("attendance must be one of: "
                                  + ", ".join(GroupAttendance.Attendance.values))
        individual = _text(entry.get("individual"), f"{row.client.display_name}'s part")
        blocks = _blocks(row, entry)
        if attendance != GroupAttendance.Attendance.ATTENDED and (individual or blocks):
            raise ValidationError(
                f"{row.client.display_name} did not attend "
                f"({GroupAttendance.Attendance(attendance).label.lower()}): an individual "
                "part is written only for a member who attended")
        row.attendance, row.individual, row.blocks = attendance, individual, blocks
    for row in rows.values():
        # Only an attending member's copy holds the shared part: a no-show's record does
        # not hold the narrative of a session they were not at.
        attended = row.attendance == GroupAttendance.Attendance.ATTENDED
        row.shared, row.plan = (shared, plan) if attended else ("", "")
        row.save()
    log.record_by(by, "group_session.update", target_type="group_session",
                  target_id=group_session.pk)
    return group_session


def _others(rows: list[GroupAttendance], row: GroupAttendance) -> str:
    others = [r for r in rows if r.attendance == "attended" and r.pk != row.pk]
    if not others:
        return "No other member attended."
    if settings.GROUP_NOTE_INITIALS:
        initials = sorted(f"{r.client.first_name[:1]}.{r.client.last_name[:1]}." for r in others)
        return f"Also attending (initials): {', '.join(initials)}."
    return (f"{len(others)} other member{'s' if len(others) != 1 else ''} attended "
            "(not named in this record).")


def member_note_sections(group_session: GroupSession, rows: list[GroupAttendance],
                         row: GroupAttendance) -> dict[str, str]:
    """The member's note: the shared part and this member's own part, nobody else's."""
    heading = f"Group session: {group_session.group.name}. {_others(rows, row)}"
    return {"data": f"{heading}\n\n{row.shared}", "assessment": row.individual,
            "plan": row.plan}


@transaction.atomic
def sign_group_session(*, by: Any, group_session: GroupSession,
                       late_reason: str = "") -> GroupSession:
    """File the session in each member's chart: a group session (CPT 90853) for every
    member with their attendance and, for each attending member, their progress note,
    signed. Any member's problem refuses the whole; nothing is filed."""
    group_session = _locked(group_session, by)
    rows = list(group_session.attendance.select_related("client").select_for_update())
    attended = [r for r in rows if r.attendance == GroupAttendance.Attendance.ATTENDED]
    if not attended:
        raise ValidationError("nobody attended: record the attendance, there is no note to "
                              "sign")
    if group_session.date > timezone.localdate():
        raise ValidationError("a session in the future cannot be signed")
    if not attended[0].shared:
        raise ValidationError("the shared narrative is empty")
    problems: list[str] = []
    for row in rows:
        try:
            session = visit_actions.create_session(
                by=by, client=row.client, clinician=by, date=group_session.date,
                start_time=group_session.start_time, end_time=group_session.end_time,
                service=cpt.GROUP, modality=group_session.modality, place=group_session.place,
                attendance=row.attendance)
            row.session = session
            row.save(update_fields=["session"])
            if row.attendance != GroupAttendance.Attendance.ATTENDED:
                continue
            if not row.individual:
                raise ValidationError("the individual part is empty")
            note = note_actions.start_note(by=by, session=session, template=NOTE_TEMPLATE)
            changes = {"sections": member_note_sections(group_session, rows, row)} | row.blocks
            if "diagnosis_codes" not in changes:
                primary = row.client.diagnoses.filter(is_primary=True).exclude(
                    status="ruled_out").first()
                changes["diagnosis_codes"] = [primary.code] if primary else []
            note_actions.save_draft(by=by, note=note, changes=changes)
            note_actions.sign_note(by=by, note=note, late_reason=late_reason)
        except ValidationError as error:
            problems += [f"{row.client.display_name}: {m}" for m in error.messages]
    if problems:
        raise ValidationError(problems)
    group_session.status = GroupSession.Status.SIGNED
    group_session.signed_at = timezone.now()
    group_session.save(update_fields=["status", "signed_at"])
    log.record_by(by, "group_session.sign", target_type="group_session",
                  target_id=group_session.pk,
                  detail={"attended": len(attended), "members": len(rows)})
    return group_session


def facilitator_choices(by: Any) -> Any:
    return User.objects.filter(practice_id=by.practice_id, role__in=CLINICAL_ROLES,
                               is_active=True).order_by("last_name", "first_name")
