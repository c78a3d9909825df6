"""The standard measures and treatment plans of the generated practice (`measures=True`).

PHQ-9 and GAD-7 administrations are scored by the real scorer and bulk-inserted with their
`measure.administer` events anchored in the chain; plans go through `psynote.plans.actions`
after the chain is built, so each appends its own events as a clinician's would.
"""

import random
import uuid
from datetime import date, datetime, timedelta
from datetime import time as clock
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from bench.fiction import IPS, event
from psynote.accounts.models import User
from psynote.audit.models import ChainHead
from psynote.clients.models import Client, Diagnosis
from psynote.measures import library, scoring
from psynote.measures.models import Administration

if TYPE_CHECKING:
    from bench.generate import Generator

# PHQ-9 and GAD-7 taken together at the start of sessions, so 20 administrations are 10 of
# each; one client has a long history (two years, weekly) and the last clinician carries a
# large caseload, the two pages the benchmark times.
ADMINISTRATIONS_PER_CLIENT = 20
LONG_HISTORY_ADMINISTRATIONS = 200
MEASURE_BATCH = 5_000


def administer(gen: "Generator") -> dict[str, Any]:
    """PHQ-9 and GAD-7 in pairs at the client's first sessions; the first client of the
    large caseload has LONG_HISTORY_ADMINISTRATIONS, weekly up to last week."""
    instruments = [library.get("phq9"), library.get("gad7")]
    pairs = ADMINISTRATIONS_PER_CLIENT // len(instruments)
    long_pairs = LONG_HISTORY_ADMINISTRATIONS // len(instruments)
    long_history_client = gen.clients_list[0]
    batch: list[Administration] = []
    total = 0
    for client in gen.clients_list:
        clinician = gen.clinician_of[str(client.pk)]
        if client is long_history_client:
            last = timezone.localdate() - timedelta(days=7)
            days = [last - timedelta(days=7 * (long_pairs - 1 - k)) for k in range(long_pairs)]
        else:
            first = gen.first_session[str(client.pk)]
            days = [first + timedelta(days=7 * k) for k in range(pairs)]
        for instrument in instruments:
            for day, target in zip(days, _trajectory(gen.rng, instrument, len(days)), strict=True):
                batch.append(_administration(gen, client, clinician, instrument, day, target))
        if len(batch) >= MEASURE_BATCH:
            total += _flush(batch)
            batch = []
    total += _flush(batch)
    return {
        "administrations": total,
        "long_history_client": str(long_history_client.pk),
        "long_history_administrations": long_pairs * len(instruments),
        "large_caseload_clinician": gen.clinicians[-1].username,
        "large_caseload_clients": sum(
            1 for c in gen.clinician_of.values() if c.pk == gen.clinicians[-1].pk
        ),
    }


def _trajectory(rng: random.Random, instrument: library.Instrument, count: int) -> list[int]:
    """Totals over a course of treatment: a start somewhere between mild and severe,
    drifting down towards half of it, with week-to-week noise."""
    top = sum(max(item.values) for item in instrument.scored_items if item.number != 9)
    start = rng.randint(round(top * 0.3), round(top * 0.8))
    floor = start // 2
    totals, current = [], float(start)
    for _ in range(count):
        totals.append(max(0, min(top, round(current + rng.uniform(-2, 2)))))
        current += (floor - current) * 0.15
    return totals


def _administration(
    gen: "Generator",
    client: Client,
    clinician: User,
    instrument: library.Instrument,
    day: date,
    target: int,
) -> Administration:
    """Answers that add up to `target`, scored by the real scorer. PHQ-9 item 9 stays 0:
    a positive answer opens a risk alert, which would block signing the drafts the
    benchmark signs."""
    rng = gen.rng
    answers = {item.number: 0 for item in instrument.scored_items}
    open_items = [n for n in answers if not (instrument.key == "phq9" and n == 9)]
    for _ in range(target):
        n = rng.choice(open_items)
        answers[n] += 1
        if answers[n] == 3:
            open_items.remove(n)
    result = scoring.score(instrument, answers)
    at = timezone.make_aware(
        datetime.combine(day, clock(rng.randrange(8, 18), rng.randrange(0, 60)))
    )
    administration = Administration(
        id=uuid.uuid4(),
        client=client,
        instrument=instrument.key,
        administered_at=at,
        source=rng.choice((Administration.Source.IN_SESSION, Administration.Source.SELF_REPORT)),
        created_by=clinician,
        created_at=at,
    )
    administration.apply(result)
    administration.seal_facts()  # bulk_create skips save(), which would seal them
    gen._anchor(
        at,
        event(
            at,
            clinician,
            "measure.administer",
            "administration",
            administration.pk,
            client.pk,
            {"source": administration.source},
            rng.choice(IPS),
        ),
    )
    return administration


@transaction.atomic
def _flush(batch: list[Administration]) -> int:
    Administration.objects.bulk_create(batch, batch_size=1000)
    return len(batch)


def plans(gen: "Generator") -> int:
    """One signed plan per client: a problem on the chart diagnosis, a goal, a
    measurable objective and an intervention, through the real actions."""
    from psynote.plans import actions as plan_actions

    before = ChainHead.objects.get(practice_id=gen.practice.pk).seq
    today = timezone.localdate()
    diagnoses = dict(
        Diagnosis.objects.filter(client__practice=gen.practice).values_list("client_id", "pk")
    )
    for client in gen.clients_list:
        clinician = gen.clinician_of[str(client.pk)]
        version = plan_actions.start_version(by=clinician, client=client)
        structure = {
            "client_agreement_date": today.isoformat(),
            "client_agreement_method": "signed_screen",
            "problems": [
                {
                    "diagnosis_id": diagnoses[client.pk],
                    "text": "Low mood and worry keep the client from work (fictional).",
                    "goals": [
                        {
                            "text": "Return to a daily routine.",
                            "objectives": [
                                {
                                    "text": "Up by 8:00 on five mornings a week.",
                                    "baseline": "Up by 8:00 on one morning a week.",
                                    "target": "Five mornings a week; PHQ-9 below 10.",
                                    "target_date": (today + timedelta(days=90)).isoformat(),
                                    "status": "in_progress",
                                }
                            ],
                        }
                    ],
                    "interventions": [
                        {"modality": "Individual CBT", "frequency": "weekly, 50 minutes"}
                    ],
                }
            ],
        }
        version = plan_actions.save_structure(by=clinician, version=version, structure=structure)
        plan_actions.sign_version(by=clinician, version=version)
    return ChainHead.objects.get(practice_id=gen.practice.pk).seq - before
