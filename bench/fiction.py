"""The fictional words, names and addresses the generated practice is made of, and the
audit event columns it writes. Nothing here is about a real person."""

import random
from datetime import UTC, datetime
from typing import Any

from psynote.accounts.models import User

# Documentation addresses (RFC 5737): plainly not anybody's real address.
IPS = [f"192.0.2.{n}" for n in range(10, 60)]
CODES = ["F41.1", "F32.1", "F33.1", "F43.10", "F40.10", "F42.2", "F43.23", "F34.1"]
FIRST = [
    "Avery",
    "Blake",
    "Casey",
    "Devon",
    "Emery",
    "Finley",
    "Harper",
    "Jordan",
    "Kai",
    "Logan",
    "Morgan",
    "Noor",
    "Oakley",
    "Parker",
    "Quinn",
    "Reese",
    "Rowan",
    "Sage",
    "Skyler",
    "Tatum",
]
LAST = [
    "Fictional",
    "Imaginary",
    "Madeup",
    "Invented",
    "Pretend",
    "Notreal",
    "Sample",
    "Example",
    "Testcase",
    "Placeholder",
]
SENTENCES = [
    "Client reports a fictional week with fewer invented worries than last time.",
    "Sleep described as improved on most nights; appetite unchanged.",
    "Discussed a made-up conflict at work and practised a calmer response.",
    "Reviewed the thought record; client identified two unhelpful predictions.",
    "Homework completed on four of seven days, which the client noted with some pride.",
    "Mood self-rated 6/10, up from 4/10 at the previous session.",
    "Client was on time, casually dressed, engaged throughout the session.",
    "Affect congruent with content, brighter when discussing weekend plans.",
    "No suicidal or homicidal ideation reported; protective factors unchanged.",
    "Progressing toward the objective of three activities a week.",
    "Avoidance remains the main maintaining factor; exposure hierarchy revised.",
    "Continue weekly sessions; next session will review the behavioural experiment.",
    "Client will keep the activity log and bring it next week.",
    "Explored the link between the invented deadline and the rise in tension.",
    "Practised paced breathing for ten minutes; client reported feeling steadier.",
]


def at_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event(
    at: datetime,
    actor: User | None,
    action: str,
    target_type: str,
    target_id: object,
    client_id: object = "",
    detail: dict[str, Any] | None = None,
    ip: str = "",
) -> dict[str, Any]:
    """The columns `audit.log.record` writes, except seq (assigned in chain order)."""
    return {
        "at": at_text(at),
        "actor_id": str(actor.pk) if actor is not None else "",
        "actor_name": actor.signature_name if actor is not None else "",
        "action": action,
        "target_type": target_type,
        "target_id": str(target_id or ""),
        "client_id": str(client_id or ""),
        "ip": ip,
        "detail": detail or {},
    }


def text(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(SENTENCES) for _ in range(rng.randint(low, high)))
