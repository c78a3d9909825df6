"""Generating a large fictional practice, fast.

Going through the actions for 100,000 notes would take hours (one transaction and one
chain append each), so rows are built in Python and bulk-inserted in batches inside
transactions. The result must still be a record that `psynote verify` accepts: notes
are sealed under their client's key with `content_hash = note.compute_hash()`, and the
audit events form the same chain `psynote.audit.log.record` would have written (built
with `chain.payload` and `chain.link`), with one `note.sign` event per note carrying its
content hash. Everything here is fictional.

With `measures=True` (the main benchmark) the practice also holds standard measures:
PHQ-9 and GAD-7 administrations scored through `psynote.measures.scoring` and bulk-inserted
with their `measure.administer` events in the chain, one client with a long history, one
clinician with a large caseload, and one signed treatment plan per client, written through
`psynote.plans.actions` after the chain is built (so each appends its events the way a
clinician's would, and `psynote verify` checks the signed versions).
"""

import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from typing import Any

from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection, transaction
from django.utils import timezone

from bench import generate_measures
from bench.fiction import CODES, FIRST, IPS, LAST, event, text
from psynote.accounts.models import Practice, Role, User
from psynote.audit import chain
from psynote.audit.models import AuditEvent, ChainHead
from psynote.clients import icd10
from psynote.clients.models import CareTeamMember, Client, Diagnosis
from psynote.notes.models import ProgressNote
from psynote.notes.templates import (
    BUILTIN_TEMPLATES,
    INTERVENTION_KEYS,
    MSE_FIELDS,
    empty_content,
)
from psynote.visits.models import Session

PRACTICE_NAME = "Bench Practice (fictional)"
PASSWORD = "bench-fictional-pass-123"  # noqa: S105 - generated fictional users
CLINICIAN_PREFIX = "bench-clinician-"
ADMIN_USERNAME = "bench-admin"

FULL = {"clinicians": 50, "clients": 5_000, "notes": 100_000, "events": 1_000_000}
# With measures, the last clinician carries a large caseload (the outcomes page's timing).
LARGE_CASELOAD = 150
NOTE_BATCH = 5_000
EVENT_BATCH = 10_000
HISTORY_DAYS = 730


@dataclass
class Scale:
    clinicians: int
    clients: int
    notes: int
    events: int

    @classmethod
    def of(cls, factor: float) -> "Scale":
        sized = {k: max(1, round(v * factor)) for k, v in FULL.items()}
        sized["clinicians"] = max(2, sized["clinicians"])
        sized["clients"] = max(sized["clinicians"], sized["clients"])
        return cls(**sized)


@dataclass(order=True)
class _Anchor:
    """An event the record needs (a signature, a new client); filler events go between."""

    at: datetime
    order: int
    values: dict[str, Any] = field(compare=False)
    note: tuple[str, str, int] | None = field(compare=False, default=None)


class Generator:
    def __init__(
        self, scale: Scale, *, seed: int = 2026, log: Any = print, measures: bool = False
    ) -> None:
        self.scale = scale
        self.with_measures = measures
        self.rng = random.Random(seed)
        self.log = log
        self.now = timezone.now()
        self.start = self.now - timedelta(days=HISTORY_DAYS)
        self.anchors: list[_Anchor] = []
        self._order = 0

    def _anchor(
        self, at: datetime, values: dict[str, Any], note: tuple[str, str, int] | None = None
    ) -> None:
        self._order += 1
        self.anchors.append(_Anchor(at, self._order, values, note))

    def run(self) -> dict[str, Any]:
        started = time.perf_counter()
        steps: dict[str, float] = {}
        steps_to_run = [
            ("users", self.users),
            ("clients", self.clients),
            ("sessions and signed notes", self.notes),
        ]
        if self.with_measures:
            steps_to_run.append(("measure administrations", self.measures))
        steps_to_run.append(("audit chain", self.audit_chain))
        if self.with_measures:
            steps_to_run.append(("treatment plans (through the actions)", self.plans))
        # The bulk inserts above bypass the signals that keep the search index current.
        steps_to_run.append(("search index (psynote reindex)", self.search_index))
        self.plan_events = 0
        for name, step in steps_to_run:
            t0 = time.perf_counter()
            step()
            steps[name] = time.perf_counter() - t0
            self.log(f"  generated {name} in {steps[name]:.1f} s")
        return {
            "seconds": time.perf_counter() - started,
            "steps": steps,
            "practice_id": self.practice.pk,
            "plan_events": self.plan_events,
            **({"measures": self.measures_meta} if self.with_measures else {}),
        }

    @transaction.atomic
    def users(self) -> None:
        self.practice = Practice.objects.create(name=PRACTICE_NAME)
        # A cheap PBKDF2 hash: Django verifies it with the iteration count it names and
        # upgrades it to Argon2 at the first login, so the server runs unchanged.
        encoded = PBKDF2PasswordHasher().encode(PASSWORD, "benchsalt0123456", iterations=1000)
        admin = User(
            practice=self.practice,
            username=ADMIN_USERNAME,
            role=Role.ADMIN,
            first_name="Bench",
            last_name="Admin",
            password=encoded,
        )
        clinicians = [
            User(
                practice=self.practice,
                username=f"{CLINICIAN_PREFIX}{i:02d}",
                role=Role.CLINICIAN,
                first_name=self.rng.choice(FIRST),
                last_name=f"Clinician{i:02d}",
                credentials=self.rng.choice(["PhD", "LCSW", "LPC"]),
                password=encoded,
            )
            for i in range(1, self.scale.clinicians + 1)
        ]
        User.objects.bulk_create([admin, *clinicians])
        self.admin = User.objects.get(username=ADMIN_USERNAME)
        self.clinicians = list(
            User.objects.filter(username__startswith=CLINICIAN_PREFIX).order_by("username")
        )
        self.clinician_index = {user.pk: i for i, user in enumerate(self.clinicians)}
        for user in [self.admin, *self.clinicians]:
            self._anchor(
                self.start,
                event(
                    self.start,
                    None if user is self.admin else self.admin,
                    "user.create",
                    "user",
                    user.pk,
                    detail={"username": user.username, "role": user.role},
                ),
            )

    @transaction.atomic
    def clients(self) -> None:
        clients, members, diagnoses = [], [], []
        per_client = self.scale.notes // self.scale.clients
        self.first_session: dict[str, date] = {}
        self.diagnosis_code: dict[str, str] = {}
        self.clinician_of: dict[str, User] = {}
        # With measures, the last clinician takes the first LARGE_CASELOAD clients (or what
        # the scale allows) and the others share the rest in turn.
        others = self.clinicians[:-1]
        large = 0
        if self.with_measures:
            large = min(LARGE_CASELOAD, self.scale.clients - len(others))
        for i in range(self.scale.clients):
            if i < large:
                clinician = self.clinicians[-1]
            elif large:
                clinician = others[(i - large) % len(others)]
            else:
                clinician = self.clinicians[i % len(self.clinicians)]
            client = Client(
                id=uuid.uuid4(),
                practice=self.practice,
                first_name=self.rng.choice(FIRST),
                last_name=f"{self.rng.choice(LAST)}{i:05d}",
                date_of_birth=date(1950, 1, 1) + timedelta(days=self.rng.randrange(20_000)),
                email=f"client{i:05d}@example.invalid",
            )
            client.ensure_key()  # bulk_create skips save(), which would seal the data key
            clients.append(client)
            members.append(
                CareTeamMember(client=client, user=clinician, role=CareTeamMember.Role.PRIMARY)
            )
            code = self.rng.choice(CODES)
            description = icd10.describe(code)
            if description is None:
                raise RuntimeError(f"{code} is not in the shipped ICD-10-CM table")
            diagnoses.append(
                Diagnosis(
                    client=client,
                    code=code,
                    description=description,
                    is_primary=True,
                    added_by=clinician,
                )
            )
            weeks = per_client + 1
            first = (
                self.start
                + timedelta(days=1 + self.rng.randrange(max(1, HISTORY_DAYS - 7 * weeks - 3)))
            ).date()
            self.first_session[str(client.pk)] = first
            self.diagnosis_code[str(client.pk)] = code
            self.clinician_of[str(client.pk)] = clinician
            created = timezone.make_aware(datetime.combine(first - timedelta(days=1), clock(9, 0)))
            ip = self.rng.choice(IPS)
            self._anchor(
                created,
                event(created, clinician, "client.create", "client", client.pk, client.pk, ip=ip),
            )
            self._anchor(
                created + timedelta(minutes=5),
                event(
                    created + timedelta(minutes=5),
                    clinician,
                    "diagnosis.add",
                    "diagnosis",
                    "",
                    client.pk,
                    {},
                    ip,
                ),
            )
        Client.objects.bulk_create(clients, batch_size=1000)
        CareTeamMember.objects.bulk_create(members, batch_size=2000)
        Diagnosis.objects.bulk_create(diagnoses, batch_size=2000)
        # Diagnosis ids exist only now: name them in their events, and seal each code and
        # description under its client's key (the id is in the associated data).
        ids = dict(
            Diagnosis.objects.filter(client__practice=self.practice).values_list("client_id", "pk")
        )
        for diagnosis in diagnoses:
            diagnosis.pk = ids[diagnosis.client_id]
            diagnosis.seal_facts()
        Diagnosis.objects.bulk_update(diagnoses, ["facts_ct"], batch_size=1000)
        for anchor in self.anchors:
            if anchor.values["action"] == "diagnosis.add":
                anchor.values["target_id"] = str(ids[uuid.UUID(anchor.values["client_id"])])
        self.clients_list = clients

    def notes(self) -> None:
        per_client, extra = divmod(self.scale.notes, self.scale.clients)
        self.cpt_text: dict[int, str] = {}
        batch_sessions: list[Session] = []
        batch_notes: list[ProgressNote] = []
        for index, client in enumerate(self.clients_list):
            count = per_client + (1 if index < extra else 0)
            clinician = self.clinician_of[str(client.pk)]
            first = self.first_session[str(client.pk)]
            for week in range(count):
                session, note = self._signed_note(
                    client, clinician, first + timedelta(days=7 * week)
                )
                batch_sessions.append(session)
                batch_notes.append(note)
            if len(batch_notes) >= NOTE_BATCH:
                self._flush_notes(batch_sessions, batch_notes)
                batch_sessions, batch_notes = [], []
        self._flush_notes(batch_sessions, batch_notes)

    def search_index(self) -> None:
        from psynote.lib import crypto
        from psynote.search.index import rebuild

        with crypto.keys_cached():
            rebuild(self.practice.pk)

    @transaction.atomic
    def _flush_notes(self, sessions: list[Session], notes: list[ProgressNote]) -> None:
        Session.objects.bulk_create(sessions, batch_size=2000)
        ProgressNote.objects.bulk_create(notes, batch_size=1000)

    def _signed_note(
        self, client: Client, clinician: User, day: date
    ) -> tuple[Session, ProgressNote]:
        rng = self.rng
        start = clock(rng.randrange(8, 18), rng.choice((0, 15, 30, 45)))
        minutes = rng.choice((45, 50, 53, 55, 60))
        end = (datetime.combine(day, start) + timedelta(minutes=minutes)).time()
        session = Session(
            id=uuid.uuid4(),
            client=client,
            clinician=clinician,
            date=day,
            start_time=start,
            end_time=end,
            attendance=Session.Attendance.ATTENDED,
            modality=rng.choice(("in_person", "in_person", "video")),
        )
        session.place = "office" if session.modality == "in_person" else "client_home"
        if minutes not in self.cpt_text:
            self.cpt_text[minutes] = session.cpt_suggestion().text
        ended = session.ended_at
        signed_at = ended + timedelta(
            minutes=rng.randrange(10, 600), microseconds=rng.randrange(1_000_000)
        )
        content = empty_content(BUILTIN_TEMPLATES["soap"]) | {
            "sections": {
                "subjective": text(rng, 3, 6),
                "objective": text(rng, 2, 4),
                "assessment": text(rng, 2, 4),
                "plan": text(rng, 1, 3),
            },
            "interventions": sorted(rng.sample(sorted(INTERVENTION_KEYS), 2)),
            "diagnosis_codes": [self.diagnosis_code[str(client.pk)]],
            # What sign_note adds at signing.
            "late_reason": "",
            "session": {
                "date": day.isoformat(),
                "start": start.isoformat(timespec="minutes"),
                "end": end.isoformat(timespec="minutes"),
                "minutes": minutes,
                "service": session.service,
                "modality": session.modality,
                "place": session.place,
            },
        }
        content["mse"] = {key: "" for key, _ in MSE_FIELDS} | {
            "appearance": "Casually dressed, well groomed.",
            "mood": '"Better this week."',
            "affect": "Euthymic, congruent.",
            "thought_process": "Linear, goal directed.",
            "insight": "Good.",
            "judgment": "Good.",
        }
        note = ProgressNote(
            id=uuid.uuid4(),
            client=client,
            session=session,
            author=clinician,
            template="soap",
            cpt_code=self.cpt_text[minutes],
            late_entry=False,
            created_at=ended,
            updated_at=signed_at,
            signed_at=signed_at,
            signed_by=clinician,
            signer_name=clinician.signature_name,
        )
        note.set_content(content)
        note.content_hash = note.compute_hash()
        self._anchor(
            signed_at,
            event(
                signed_at,
                clinician,
                "note.sign",
                "progress_note",
                note.pk,
                client.pk,
                {"content_hash": note.content_hash, "late_entry": False},
                rng.choice(IPS),
            ),
            note=(str(note.pk), str(client.pk), self.clinician_index[clinician.pk]),
        )
        return session, note

    # --- standard measures ---------------------------------------------------------------

    def measures(self) -> None:
        self.measures_meta = generate_measures.administer(self)

    def plans(self) -> None:
        self.plan_events = generate_measures.plans(self)

    def _events(self) -> Iterator[dict[str, Any]]:
        """The anchors in time order, with `note.view`/`client.view` filler between them
        (views of records that exist by then) until the chain has the requested length."""
        anchors = sorted(self.anchors)
        fillers = max(0, self.scale.events - len(anchors))
        signs = sum(1 for a in anchors if a.note is not None)
        seen_notes: list[tuple[str, str, int]] = []
        seen_clients: list[str] = []
        rng, done_signs, emitted = self.rng, 0, 0
        for position, anchor in enumerate(anchors):
            yield anchor.values
            if anchor.values["action"] == "client.create":
                seen_clients.append(anchor.values["client_id"])
            if anchor.note is None:
                continue
            seen_notes.append(anchor.note)
            done_signs += 1
            # Spread the filler evenly over the signatures; the last one takes the rest.
            quota = fillers * done_signs // signs - emitted
            following = anchors[position + 1].at if position + 1 < len(anchors) else self.now
            step = max(following - anchor.at, timedelta(microseconds=quota + 1)) / (quota + 1)
            for k in range(quota):
                at = anchor.at + step * (k + 1)
                if rng.random() < 0.7:
                    note_id, client_id, who = rng.choice(seen_notes)
                    clinician = self.clinicians[who]
                    yield event(
                        at,
                        clinician,
                        "note.view",
                        "progress_note",
                        note_id,
                        client_id,
                        ip=rng.choice(IPS),
                    )
                else:
                    client_id = rng.choice(seen_clients)
                    clinician = self.clinician_of[client_id]
                    yield event(
                        at,
                        clinician,
                        "client.view",
                        "client",
                        client_id,
                        client_id,
                        ip=rng.choice(IPS),
                    )
            emitted += quota

    def audit_chain(self) -> None:
        table = AuditEvent._meta.db_table
        columns = ("practice_id", "seq", "payload", "hash")
        sql = (
            f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - our names
            f"VALUES ({', '.join(['%s'] * len(columns))})"
        )
        previous, seq, rows = chain.GENESIS, 0, []
        practice_id = self.practice.pk
        key = chain.chain_key(practice_id)
        for values in self._events():
            seq += 1
            values.update(practice_id=practice_id, seq=seq)
            payload = chain.payload(values)
            previous = chain.link(previous, payload, key)
            rows.append((practice_id, seq, payload.decode(), previous))
            if len(rows) >= EVENT_BATCH:
                self._insert(sql, rows)
                rows = []
        self._insert(sql, rows)
        ChainHead.objects.create(practice_id=practice_id, seq=seq, hash=previous)

    @staticmethod
    @transaction.atomic
    def _insert(sql: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            with connection.cursor() as cursor:
                cursor.executemany(sql, rows)
