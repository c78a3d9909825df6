"""What the operator sees of each practice: counts and health, never a name of a person or
anything clinical (ADR 0017). Each figure is one aggregate query over all practices."""

from dataclasses import dataclass

from django.db.models import Count

from psynote.accounts.models import Practice, User
from psynote.audit import log
from psynote.audit.models import AuditEvent, ChainHead
from psynote.audit.verify import check_practice
from psynote.clients.models import Client
from psynote.notes.models import ProgressNote


@dataclass
class Health:
    practice_id: int
    name: str
    users: int
    clients: int
    notes: int
    audit_events: int
    last_event_at: str  # ISO 8601 UTC, "" when the chain is empty
    # None: not checked on this page; else whether the chain and its checkpoints hold.
    chain_intact: bool | None = None


def _counts(rows: object, key: str) -> dict[int, int]:
    return {row[key]: row["n"] for row in rows}  # type: ignore[attr-defined]


def _last_event_at(heads: dict[int, int]) -> dict[int, str]:
    """The time of each chain's head event, found by its (practice, seq) index."""
    found: dict[int, str] = {}
    for practice_id, seq in heads.items():
        at = AuditEvent.objects.filter(practice_id=practice_id, seq=seq).values_list(
            "at", flat=True).first()
        found[practice_id] = at or ""
    return found


def practices_health(*, verify: bool = False) -> list[Health]:
    users = _counts(User.objects.filter(practice__isnull=False, is_active=True)
                    .values("practice_id").annotate(n=Count("pk")), "practice_id")
    clients = _counts(Client.objects.values("practice_id").annotate(n=Count("pk")),
                      "practice_id")
    notes = _counts(ProgressNote.objects.values("client__practice_id").annotate(n=Count("pk")),
                    "client__practice_id")
    heads = dict(ChainHead.objects.values_list("practice_id", "seq"))
    last = _last_event_at(heads)
    rows = []
    for practice_id, name in Practice.objects.order_by("name", "pk").values_list("pk", "name"):
        rows.append(Health(
            practice_id=practice_id, name=name, users=users.get(practice_id, 0),
            clients=clients.get(practice_id, 0), notes=notes.get(practice_id, 0),
            audit_events=heads.get(practice_id, 0), last_event_at=last.get(practice_id, ""),
            chain_intact=(check_practice(practice_id, write_checkpoint=False).intact
                          if verify else None),
        ))
    return rows


def installation_health(*, verify: bool = False) -> Health:
    """The installation's own chain: what operators did."""
    chain = log.INSTALLATION_CHAIN
    seq = ChainHead.objects.filter(practice_id=chain).values_list("seq", flat=True).first()
    return Health(
        practice_id=chain, name="Installation (operators)",
        users=User.objects.filter(practice__isnull=True, is_active=True).count(),
        clients=0, notes=0, audit_events=seq or 0,
        last_event_at=_last_event_at({chain: seq}).get(chain, "") if seq else "",
        chain_intact=(check_practice(chain, write_checkpoint=False).intact if verify
                      else None),
    )
