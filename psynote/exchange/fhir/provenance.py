"""Provenance for each signature (US Core Provenance): who signed, in which role, on
behalf of the practice, when, and the SHA-256 of the signed content.

One builder serves notes, addenda and plan versions. `agents` is a list of (role, user
id) pairs, the author first; a co-signer (supervision) is one more pair with the role
"cosigner" (codes.AGENT_ROLES), which adds its agent and its signature. The practice is
the transmitter agent and every person acts on its behalf.
"""

from datetime import datetime
from typing import Any

from psynote.exchange.fhir import codes
from psynote.exchange.fhir.datatypes import instant, ref
from psynote.exchange.fhir.organization import organization_ref
from psynote.exchange.fhir.validation import validated


def _agent(role: str, user_id: int, practice_id: int) -> dict[str, Any]:
    (code, display), _ = codes.AGENT_ROLES[role]
    return {"type": {"coding": [{"system": codes.PROVENANCE_PARTICIPANT, "code": code,
                                 "display": display}]},
            "who": ref("Practitioner", user_id),
            "onBehalfOf": organization_ref(practice_id)}


def _signature(role: str, user_id: int, when: datetime, practice_id: int) -> dict[str, Any]:
    _, (code, display) = codes.AGENT_ROLES[role]
    return {"type": [{"system": codes.SIGNATURE_TYPE, "code": code, "display": display}],
            "when": instant(when), "who": ref("Practitioner", user_id),
            "onBehalfOf": organization_ref(practice_id)}


def signature_provenance(*, id: str, target: dict[str, str], signed_at: datetime,
                         content_hash: str, reason: str, practice_id: int,
                         agents: list[tuple[str, int]],
                         cosigned_at: datetime | None = None) -> dict[str, Any]:
    """`cosigned_at`: when the co-signer signed, if not at the same time as the author."""
    if not agents or agents[0][0] != "author":
        raise ValueError("a signature's Provenance names its author first")
    return validated({
        "resourceType": "Provenance",
        "id": id,
        "extension": [{"url": codes.CONTENT_HASH_EXTENSION, "valueString": content_hash}],
        "target": [target],
        "recorded": instant(signed_at),
        "reason": [{"text": reason}],
        "agent": [_agent(role, user_id, practice_id) for role, user_id in agents]
        + [{"type": {"coding": [codes.TRANSMITTER]}, "who": organization_ref(practice_id)}],
        "signature": [_signature(role, user_id,
                                 cosigned_at if role == "cosigner" and cosigned_at else signed_at,
                                 practice_id)
                      for role, user_id in agents],
    })
